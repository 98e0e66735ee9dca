/* testprogs/uprobe_loop for bpftrace's runtime tests: main → spin →
 * uprobeFunction1, over and over, with frame pointers, so a user stack from
 * a uprobe on uprobeFunction1 reads uprobeFunction1, spin, main. */
// build testprogs/uprobe_loop: -O0 -g -fno-omit-frame-pointer -no-pie
#include <unistd.h>

__attribute__((noinline)) int uprobeFunction1(int x) {
    return x * 2;
}

__attribute__((noinline)) void spin(void) {
    volatile int sink = 0;
    for (int i = 0; i < 6000; i++) {
        sink += uprobeFunction1(i);
        usleep(10000);
    }
}

int main(void) {
    spin();
    return 0;
}
