/* testprogs/helper_error_test for bpftrace's runtime tests:
 * test_helper_error() gets a pointer no one can read (-k reports the read). */
// build testprogs/helper_error_test: -O0 -g
#include <unistd.h>

struct foo {
    int a;
};

__attribute__((noinline)) int test_helper_error(struct foo *f) { return f != 0; }

int main(void) {
    for (int i = 0; i < 10; i++) {
        test_helper_error((struct foo *)0x10);
        usleep(50000);
    }
    return 0;
}
