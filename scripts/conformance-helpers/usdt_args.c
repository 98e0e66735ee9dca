/* testprogs/usdt_args for bpftrace's runtime tests: one marker per width
 * and signedness (u64 s64 u32 s32 u16 s16 u8 s8) for each way an argument
 * can be placed — an immediate (const_*), a register (reg_*), memory
 * (addr_*) — all of 0xf7f6f5f4f3f2f1f0 cut to the width, reached once each. */
// build testprogs/usdt_args: -O1 -g
#include <stdint.h>
#include "auger_sdt.h"

#define VALUE 0xf7f6f5f4f3f2f1f0ULL

volatile uint64_t u64 = VALUE;
volatile int64_t s64 = (int64_t)VALUE;
volatile uint32_t u32 = (uint32_t)VALUE;
volatile int32_t s32 = (int32_t)VALUE;
volatile uint16_t u16 = (uint16_t)VALUE;
volatile int16_t s16 = (int16_t)VALUE;
volatile uint8_t u8 = (uint8_t)VALUE;
volatile int8_t s8 = (int8_t)VALUE;

int main(void) {
    AUGER_SDT(usdt_args, const_u64, 0, "8@%0", "n"((uint64_t)VALUE));
    AUGER_SDT(usdt_args, const_s64, 0, "-8@%0", "n"((int64_t)VALUE));
    AUGER_SDT(usdt_args, const_u32, 0, "4@%0", "n"((uint32_t)VALUE));
    AUGER_SDT(usdt_args, const_s32, 0, "-4@%0", "n"((int32_t)VALUE));
    AUGER_SDT(usdt_args, const_u16, 0, "2@%0", "n"((uint16_t)VALUE));
    AUGER_SDT(usdt_args, const_s16, 0, "-2@%0", "n"((int16_t)VALUE));
    AUGER_SDT(usdt_args, const_u8, 0, "1@%0", "n"((uint8_t)VALUE));
    AUGER_SDT(usdt_args, const_s8, 0, "-1@%0", "n"((int8_t)VALUE));
    AUGER_SDT(usdt_args, reg_u64, 0, "8@%0", "r"(u64));
    AUGER_SDT(usdt_args, reg_s64, 0, "-8@%0", "r"(s64));
    AUGER_SDT(usdt_args, reg_u32, 0, "4@%0", "r"(u32));
    AUGER_SDT(usdt_args, reg_s32, 0, "-4@%0", "r"(s32));
    AUGER_SDT(usdt_args, reg_u16, 0, "2@%0", "r"(u16));
    AUGER_SDT(usdt_args, reg_s16, 0, "-2@%0", "r"(s16));
    AUGER_SDT(usdt_args, reg_u8, 0, "1@%0", "q"(u8));
    AUGER_SDT(usdt_args, reg_s8, 0, "-1@%0", "q"(s8));
    AUGER_SDT(usdt_args, addr_u64, 0, "8@%0", "m"(u64));
    AUGER_SDT(usdt_args, addr_s64, 0, "-8@%0", "m"(s64));
    AUGER_SDT(usdt_args, addr_u32, 0, "4@%0", "m"(u32));
    AUGER_SDT(usdt_args, addr_s32, 0, "-4@%0", "m"(s32));
    AUGER_SDT(usdt_args, addr_u16, 0, "2@%0", "m"(u16));
    AUGER_SDT(usdt_args, addr_s16, 0, "-2@%0", "m"(s16));
    AUGER_SDT(usdt_args, addr_u8, 0, "1@%0", "m"(u8));
    AUGER_SDT(usdt_args, addr_s8, 0, "-1@%0", "m"(s8));
    return 0;
}
