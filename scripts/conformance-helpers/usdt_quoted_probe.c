/* testprogs/usdt_quoted_probe for bpftrace's runtime tests: a marker whose
 * name holds quotes (test:"probe1"), with argument 1, every 10 ms. */
// build testprogs/usdt_quoted_probe: -O1 -g
#include <unistd.h>
#include "auger_sdt.h"

int main(void) {
    for (long i = 0; i < 6000; i++) {
        long one = 1;
        AUGER_SDT_NAMED("test", "\\\"probe1\\\"", 0, "-8@%0", "nor"(one));
        usleep(10000);
    }
    return 0;
}
