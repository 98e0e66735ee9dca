/* testprogs/nested_struct_test for bpftrace's runtime tests:
 * test_nested_struct() gets a struct with a struct inside (x 20, y 30). */
// build testprogs/nested_struct_test: -O0 -g
#include <unistd.h>

struct Foo {
    int m;
    struct {
        int x;
        int y;
    } bar;
    int n;
};

__attribute__((noinline)) int test_nested_struct(struct Foo *foo) { return foo->bar.x + foo->bar.y; }

int main(void) {
    struct Foo foo = {.m = 10, .bar = {20, 30}, .n = 40};
    for (int i = 0; i < 10; i++) {
        test_nested_struct(&foo);
        usleep(50000);
    }
    return 0;
}
