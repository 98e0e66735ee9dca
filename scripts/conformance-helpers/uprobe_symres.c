/* testprogs/uprobe_symres for bpftrace's runtime tests: calls test()
 * every 10 ms for a minute; the tests name it by `func`. */
// build testprogs/uprobe_symres: -O0 -g -fno-omit-frame-pointer
#include <unistd.h>

__attribute__((noinline)) int test(int x) {
    return x + 1;
}

int main(void) {
    volatile int sink = 0;
    for (int i = 0; i < 6000; i++) {
        sink += test(i);
        usleep(10000);
    }
    return 0;
}
