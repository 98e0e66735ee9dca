/* testprogs/struct_with_union for bpftrace's runtime tests: func() gets a
 * struct of an int (2) and a union whose int is 5. */
// build testprogs/struct_with_union: -O0 -g
#include <unistd.h>

union N {
    int i;
    float f;
};

struct Foo {
    int m;
    union N n;
};

__attribute__((noinline)) int func(struct Foo *foo) { return foo->m + foo->n.i; }

int main(void) {
    struct Foo foo = {.m = 2, .n = {.i = 5}};
    for (int i = 0; i < 10; i++) {
        func(&foo);
        usleep(50000);
    }
    return 0;
}
