/* testprogs/string_args for bpftrace's runtime tests: print() gets a
 * struct whose first field is the 8-byte array "hello". */
// build testprogs/string_args: -O0 -g
#include <stdio.h>

struct F {
    char s[8];
};

__attribute__((noinline)) void print(struct F *f) {
    printf("%s\n", f->s);
}

int main(void) {
    struct F f = {"hello"};
    print(&f);
    return 0;
}
