/* testprogs/work_loop for bpftrace's runtime tests: spins on the CPU for a
 * minute, so CPU-clock samples of it come with its pid. */
// build testprogs/work_loop: -O2
#include <time.h>

int main(void) {
    volatile unsigned long sink = 0;
    time_t end = time(NULL) + 60;
    while (time(NULL) < end) {
        for (int i = 0; i < 1000000; i++) sink += i;
    }
    return 0;
}
