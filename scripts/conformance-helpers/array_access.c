/* testprogs/array_access for bpftrace's runtime tests: functions whose
 * arguments point at arrays the tests index (values from the tests:
 * x = [1,2,3,4] and bytes aa bb cc dd after them, y = [[5,6],[7,8]], z
 * pointing at 1..4, a flexible y[0] = 1).
 * Each is called every 10 ms for a minute. */
// build testprogs/array_access: -O0 -g -fno-omit-frame-pointer
#include <unistd.h>

struct A { int x[4]; unsigned char y[4]; };
struct B { int y[2][2]; };
struct C { int *z[4]; };
struct D { int x; int y[4]; };

__attribute__((noinline)) int test_struct(struct A *a, struct B *b) { return a->x[0] + b->y[0][0]; }
__attribute__((noinline)) int test_array(int *a) { return a[0]; }
__attribute__((noinline)) int test_arrays(struct A *a, struct A *b) { return a->x[0] - b->x[0]; }
__attribute__((noinline)) int test_ptr_array(struct C *c) { return *c->z[0]; }
__attribute__((noinline)) int test_variable_array(struct D *d) { return d->y[0]; }

int main(void) {
    struct A a = {{1, 2, 3, 4}, {0xaa, 0xbb, 0xcc, 0xdd}}, other = {{4, 3, 2, 1}, {0}};
    struct B b = {{{5, 6}, {7, 8}}};
    int one = 1, two = 2, three = 3, four = 4;
    struct C c = {{&one, &two, &three, &four}};
    struct D d = {42, {1, 2, 3, 4}};
    int array[4] = {1, 2, 3, 4};
    volatile int sink = 0;
    for (int i = 0; i < 6000; i++) {
        sink += test_struct(&a, &b);
        sink += test_array(array);
        sink += test_arrays(&a, &other);
        sink += test_ptr_array(&c);
        sink += test_variable_array(&d);
        usleep(10000);
    }
    return sink == 0;
}
