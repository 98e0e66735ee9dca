/* testprogs/uprobe_library for bpftrace's runtime tests: calls libc's
 * fread every 10 ms for a minute (the tests probe libc by short name). */
// build testprogs/uprobe_library: -O2
#include <stdio.h>
#include <unistd.h>

int main(void) {
    char buffer[16];
    for (int i = 0; i < 6000; i++) {
        FILE *f = fopen("/proc/self/stat", "r");
        if (f) {
            if (fread(buffer, 1, sizeof buffer, f) == 0) buffer[0] = 0;
            fclose(f);
        }
        usleep(10000);
    }
    return 0;
}
