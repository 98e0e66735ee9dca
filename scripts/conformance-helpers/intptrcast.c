/* testprogs/intptrcast for bpftrace's runtime tests: fn() gets an array of
 * 16-bit integers whose second is 1110. */
// build testprogs/intptrcast: -O0 -g
#include <stdint.h>
#include <unistd.h>

__attribute__((noinline)) int fn(uint16_t *values) {
    return values[0] + values[1];
}

int main(void) {
    uint16_t values[4] = {7, 1110, 3, 4};
    for (int i = 0; i < 10; i++) {
        fn(values);
        usleep(50000);
    }
    return 0;
}
