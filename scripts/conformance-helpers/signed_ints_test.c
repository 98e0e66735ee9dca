/* testprogs/signed_ints_test for bpftrace's runtime tests:
 * test_signed_ints() gets a struct holding one zero word, which the test
 * compares with 0 and 1 and expects to print as 0 and 1. */
// build testprogs/signed_ints_test: -O0 -g
#include <unistd.h>

struct x {
    unsigned long x;
};

__attribute__((noinline)) unsigned long test_signed_ints(struct x *v) {
    return v->x;
}

int main(void) {
    struct x v = {0};
    for (int i = 0; i < 20; i++) {
        test_signed_ints(&v);
        usleep(50000);
    }
    return 0;
}
