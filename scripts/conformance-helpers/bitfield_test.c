/* testprogs/bitfield_test for bpftrace's runtime tests: func() and func2()
 * get structs of bitfields with the values the tests print (laid out as
 * the tests' own struct definitions declare them). */
// build testprogs/bitfield_test: -O0 -g
#include <unistd.h>

struct Foo {
    unsigned int a : 4, b : 8, c : 3, d : 1, e : 16;
};

struct Bar {
    unsigned short a : 4, b : 8, c : 3, d : 1;
    unsigned int e : 9, f : 15, g : 1, h : 2, i : 5;
};

__attribute__((noinline)) unsigned func(struct Foo *foo) { return foo->a + foo->e; }
__attribute__((noinline)) unsigned func2(struct Bar *bar) { return bar->a + bar->i; }

int main(void) {
    struct Foo foo = {.a = 1, .b = 2, .c = 5, .d = 0, .e = 65535};
    struct Bar bar = {.a = 1, .b = 217, .c = 5, .d = 1, .e = 500, .f = 31117, .g = 1, .h = 2, .i = 27};
    for (int i = 0; i < 10; i++) {
        func(&foo);
        func2(&bar);
        usleep(50000);
    }
    return 0;
}
