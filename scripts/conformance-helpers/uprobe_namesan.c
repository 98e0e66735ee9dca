/* testprogs/uprobe_namesan for bpftrace's runtime tests: functions whose
 * names hold characters a BPF program's name cannot (the compiler's
 * `.cold`-style suffixes), matched by a wildcard. */
// build testprogs/uprobe_namesan: -O0 -g
#include <unistd.h>

__attribute__((noinline)) int fn_plain(int x) __asm__("fn.plain$1");
__attribute__((noinline)) int fn_plain(int x) { return x + 1; }

int main(void) {
    for (int i = 0; i < 20; i++) {
        fn_plain(i);
        usleep(50000);
    }
    return 0;
}
