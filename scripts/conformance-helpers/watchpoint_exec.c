/* testprogs/watchpoint_exec for bpftrace's runtime tests: copies a tiny
 * function (x86_64 `ret`) to 0x10000000 and calls it every 10 ms for a
 * minute (the tests put an execution breakpoint there). */
// build testprogs/watchpoint_exec: -O1 -g
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
    unsigned char *code = mmap((void *)0x10000000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    code[0] = 0xc3; /* ret */
    void (*function)(void) = (void (*)(void))code;
    for (int i = 0; i < 6000; i++) {
        function();
        usleep(10000);
    }
    return 0;
}
