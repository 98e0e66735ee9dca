/* testprogs/struct_array for bpftrace's runtime tests: clear() gets a struct
 * holding an array of five structs (a = 100, 102, …; b = 1, 3, …; c = 100,
 * 98, …) and a trailing 42, which the complex_types scripts read through arg0. */
// build testprogs/struct_array: -O0 -g
struct elem {
    int a;
    int b;
    int c;
};

struct container {
    struct elem elems[5];
    int extra;
};

__attribute__((noinline)) void clear(struct container *c) {
    for (int i = 0; i < 5; i++) c->elems[i].a = c->elems[i].b = c->elems[i].c = 0;
}

int main(void) {
    struct container c;
    for (int i = 0; i < 5; i++) {
        c.elems[i].a = 100 + 2 * i;
        c.elems[i].b = 1 + 2 * i;
        c.elems[i].c = 100 - 2 * i;
    }
    c.extra = 42;
    clear(&c);
    return c.extra == 42 ? 0 : 1;
}
