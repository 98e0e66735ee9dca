/* testprogs/struct_walk for bpftrace's runtime tests: clear() gets a struct
 * whose first field is a 32-bit 45 and whose second points to a struct
 * holding 1000; struct_walk.bt follows the pointer. Runs once per second
 * for the tests that start it themselves. */
// build testprogs/struct_walk: -O0 -g
#include <stdint.h>
#include <unistd.h>

struct inner {
    int64_t b;
};

struct outer {
    uint32_t a;
    struct inner *next;
};

__attribute__((noinline)) void clear(struct outer *o) {
    o->a = 0;
    o->next->b = 0;
}

int main(void) {
    for (int i = 0; i < 30; i++) {
        struct inner in = {1000};
        struct outer out = {45, &in};
        clear(&out);
        usleep(100000);
    }
    return 0;
}
