/* testprogs/uprobe_separate_debug-stripped for bpftrace's DWARF tests: a
 * binary stripped of everything, whose debug file sits in the standard
 * place beside it (.debug/, named by its .gnu_debuglink); -lv of fn must
 * list `int n` and `const char* str` from there. */
// build testprogs/uprobe_separate_debug-stripped: -O0 -g -no-pie
// then: mkdir -p testprogs/.debug && objcopy --only-keep-debug testprogs/uprobe_separate_debug-stripped testprogs/.debug/uprobe_separate_debug-stripped.debug
// then: cd testprogs && objcopy --strip-all --add-gnu-debuglink=.debug/uprobe_separate_debug-stripped.debug uprobe_separate_debug-stripped
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int fn(int n, const char *str)
{
    return printf("%d %s\n", n, str) > 0 ? n : 0;
}

int main(void)
{
    for (int i = 0; i < 600; i++) {
        fn(i, "separate");
        usleep(100000);
    }
    return 0;
}
