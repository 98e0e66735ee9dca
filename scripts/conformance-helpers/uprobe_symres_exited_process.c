/* testprogs/uprobe_symres_exited_process for bpftrace's runtime tests:
 * main → test2 → test a few times, then exits, so the stacks and names the
 * tests print must have been resolved while it ran. */
// build testprogs/uprobe_symres_exited_process: -O0 -g -fno-omit-frame-pointer -no-pie
#include <unistd.h>

__attribute__((noinline)) int test(int x) {
    return x + 1;
}

__attribute__((noinline)) int test2(int x) {
    return test(x) * 2;
}

int main(void) {
    volatile int sink = 0;
    for (int i = 0; i < 20; i++) {
        sink += test2(i);
        usleep(100000);
    }
    return 0;
}
