/* testprogs/usdt_test for bpftrace's runtime tests: three USDT markers
 * (tracetest:testprobe, tracetest:testprobe2, tracetest2:testprobe2), each
 * with a counter and a "Hello World1/2/3" string, reached every 10 ms for
 * a minute. Built PIE and not (usdt_test*: six markers). */
// build testprogs/usdt_test: -O1 -g -no-pie
// build testprogs/usdt_test-pie: -O1 -g -fPIE -pie
#include <unistd.h>
#include "auger_sdt.h"

int main(void) {
    /* On the stack: a string in a page the process never touched would not be readable from a probe. */
    char one[] = "Hello World1", two[] = "Hello World2", three[] = "Hello World3";
    for (long i = 0; i < 6000; i++) {
        AUGER_SDT(tracetest, testprobe, 0, "-8@%0 8@%1", "nor"(i), "nor"((const char *)one));
        AUGER_SDT(tracetest, testprobe2, 0, "-8@%0 8@%1", "nor"(i), "nor"((const char *)two));
        AUGER_SDT(tracetest2, testprobe2, 0, "-8@%0 8@%1", "nor"(i), "nor"((const char *)three));
        usleep(10000);
    }
    return 0;
}
