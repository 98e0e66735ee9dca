/* testprogs/uprobe_fork_loop for bpftrace's runtime tests: forks, and parent
 * and child both call uprobeFunction1 every 100 ms for a minute, so a -p of
 * one of them must see only that one's calls. */
// build testprogs/uprobe_fork_loop: -O0 -g
#include <sys/types.h>
#include <unistd.h>

__attribute__((noinline)) int uprobeFunction1(int x) {
    return x + 1;
}

int main(void) {
    fork();
    volatile int sink = 0;
    for (int i = 0; i < 600; i++) {
        sink += uprobeFunction1(getpid());
        usleep(100000);
    }
    return 0;
}
