/* testprogs/simple_struct for bpftrace's runtime tests: func gets a
 * struct { int m; int n; } holding {2, 3}, n_func a pointer to its n (the
 * tests walk back with container_of). Called every 10 ms for a minute. */
// build testprogs/simple_struct: -O0 -g -fno-omit-frame-pointer
#include <unistd.h>

struct Foo { int m; int n; };

__attribute__((noinline)) int func(struct Foo *foo) { return foo->m + foo->n; }
__attribute__((noinline)) int n_func(int *n) { return *n; }

int main(void) {
    struct Foo foo = {2, 3};
    volatile int sink = 0;
    for (int i = 0; i < 6000; i++) {
        sink += func(&foo);
        sink += n_func(&foo.n);
        usleep(10000);
    }
    return sink == 0;
}
