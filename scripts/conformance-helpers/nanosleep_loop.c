/* testprogs/nanosleep_loop for bpftrace's runtime tests: sleeps 10 ms at a
 * time for a minute, so -p of one of two such processes sees only its own. */
// build testprogs/nanosleep_loop: -O2
#include <time.h>

int main(void) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000; i++) nanosleep(&ts, NULL);
    return 0;
}
