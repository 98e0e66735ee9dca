/* testprogs/complex_struct for bpftrace's runtime tests: func() gets a
 * struct of a pointer to the bytes 9 8 7 6, then char[4] 5 4 3 2, uint8[4]
 * 1 2 3 4, int[4] 5…8, uint16[4] 9…12 and uint64[4] 13…16 (buf() and
 * macaddr() read them). */
// build testprogs/complex_struct: -O0 -g
#include <stdint.h>

struct MyStruct {
    const char *a;
    char b[4];
    uint8_t c[4];
    int d[4];
    uint16_t e[4];
    uint64_t f[4];
};

__attribute__((noinline)) int func(struct MyStruct *s) { return s->b[0] + s->c[0]; }

int main(void) {
    static const char bytes[4] = {9, 8, 7, 6};
    /* Touched first: a uprobe cannot fault in a page no one has read yet. */
    if (*(volatile const char *)bytes != 9) return 1;
    struct MyStruct s = {bytes, {5, 4, 3, 2}, {1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}};
    return func(&s) == 6 ? 0 : 1;
}
