/* testprogs/usdt_sized_args for bpftrace's runtime tests: markers whose
 * arguments are narrower than a word (test:probe1 a 4-byte 2, test:probe2 a
 * 1-byte 1 in a register whose upper bytes hold garbage), every 10 ms for a minute. */
// build testprogs/usdt_sized_args: -O1 -g
#include <stdint.h>
#include <unistd.h>
#include "auger_sdt.h"

int main(void) {
    for (long i = 0; i < 6000; i++) {
        int32_t two = 2;
        /* 0x...01: only the low byte is the argument. */
        uint64_t word = 0xabcdef0000000001ULL | ((uint64_t)i << 8);
        AUGER_SDT(test, probe1, 0, "-4@%0", "r"(two));
        AUGER_SDT(test, probe2, 0, "1@%b0", "q"(word));
        usleep(10000);
    }
    return 0;
}
