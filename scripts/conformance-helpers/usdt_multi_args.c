/* testprogs/usdt_multi_args for bpftrace's runtime tests: one marker with
 * twelve arguments (more than fit in registers: some are in memory), once. */
// build testprogs/usdt_multi_args: -O1 -g
#include <stdint.h>
#include "auger_sdt.h"

int main(void) {
    volatile uint64_t a[12] = {0xdeadbeef, 1, 0xffffffffffffffffULL, 0xcafebabe, 0x8badf00d, 0xfeedface,
                               0x123456789abcdefULL, 0, 0x7fffffffffffffffULL, 0x5555555555555555ULL, 42,
                               0xaaaaaaaaaaaaaaaaULL};
    AUGER_SDT(usdt_multi_args, probe1, 0, "8@%0 8@%1 8@%2 8@%3 8@%4 8@%5 8@%6 8@%7 8@%8 8@%9 8@%10 8@%11",
              "g"(a[0]), "g"(a[1]), "g"(a[2]), "g"(a[3]), "g"(a[4]), "g"(a[5]),
              "m"(a[6]), "m"(a[7]), "m"(a[8]), "m"(a[9]), "m"(a[10]), "m"(a[11]));
    return 0;
}
