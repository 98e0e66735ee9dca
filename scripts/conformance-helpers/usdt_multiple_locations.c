/* testprogs/usdt_multiple_locations for bpftrace's runtime tests: the
 * marker tracetest:testprobe at two places, tracetest:testprobe2 at one
 * (three probes for tracetest:testprobe*), reached every 10 ms for a minute. */
// build testprogs/usdt_multiple_locations: -O1 -g
#include <unistd.h>
#include "auger_sdt.h"

__attribute__((noinline)) void first(long i) { AUGER_SDT(tracetest, testprobe, 0, "-8@%0", "nor"(i)); }
__attribute__((noinline)) void second(long i) { AUGER_SDT(tracetest, testprobe, 0, "-8@%0", "nor"(i)); }
__attribute__((noinline)) void third(long i) { AUGER_SDT(tracetest, testprobe2, 0, "-8@%0", "nor"(i)); }

int main(void) {
    for (long i = 0; i < 6000; i++) {
        first(i);
        second(i);
        third(i);
        usleep(10000);
    }
    return 0;
}
