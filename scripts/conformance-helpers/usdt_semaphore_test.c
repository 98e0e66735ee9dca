/* testprogs/usdt_semaphore_test for bpftrace's runtime tests: the marker
 * tracetest:testprobe has a semaphore, and is reached only while a tracer
 * has raised it, with arg1 "USDT semaphore: N" (the counter's value). */
// build testprogs/usdt_semaphore_test: -O1 -g
#include <stdio.h>
#include <unistd.h>
#include "auger_sdt.h"

AUGER_SDT_SEMAPHORE(tracetest, testprobe);

int main(void) {
    char text[64];
    for (long i = 0; i < 6000; i++) {
        if (tracetest_testprobe_semaphore) {
            snprintf(text, sizeof text, "USDT semaphore: %d", tracetest_testprobe_semaphore);
            const char *p = text;
            AUGER_SDT(tracetest, testprobe, tracetest_testprobe_semaphore, "-8@%0 8@%1", "nor"(i), "nor"(p));
        }
        usleep(10000);
    }
    return 0;
}
