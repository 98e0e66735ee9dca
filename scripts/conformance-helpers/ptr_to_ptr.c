/* testprogs/ptr_to_ptr for bpftrace's runtime tests: function() gets a
 * pointer to a pointer to a struct whose first field is 123. */
// build testprogs/ptr_to_ptr: -O0 -g
struct Foo {
    int a;
    char b[10];
};

__attribute__((noinline)) int function(struct Foo **pp) {
    return (*pp)->a;
}

int main(void) {
    struct Foo foo = {123, "hello"};
    struct Foo *p = &foo;
    return function(&p) == 123 ? 0 : 1;
}
