/* testprogs/uprobe_test for bpftrace's runtime tests: functions with
 * pointer, char and struct arguments, and globals, that the uprobe tests
 * probe and read (their expected values: *n == 13, c == 'x', foo1 = {123,
 * "hello", [1,2,3]}, foo2 = {456, "world", …}, GLOBAL_A/GLOBAL_C). Tests start
 * it before or after attaching, so it keeps calling them for a minute.
 * There is deliberately no uprobeFunction3. The source-line tests name
 * lines: uprobeFunction1 opens on line 22; 34, 36 and 39 run every loop. */
// build testprogs/uprobe_test: -O0 -g -fno-omit-frame-pointer -no-pie
// build testprogs/uprobe_test-pie: -O0 -g -fno-omit-frame-pointer -fPIE -pie
#include <unistd.h>

struct Foo { int a; char b[10]; int c[3]; };
struct Bar { struct Foo *foos[2]; };

int GLOBAL_A = 0x55555555;
int GLOBAL_B = 0x44444444;
int GLOBAL_C = 0x33333333;

struct Foo *uprobeFunction2(struct Foo *foo1, struct Foo *foo2);
int uprobeFunctionBar(struct Bar *bar);

__attribute__((noinline)) int uprobeFunction1(int *n, char c) {
    return *n + c;
}

int main(int argc, char **argv) {
    (void)argv;
    int n = 13;
    struct Foo foo1 = {123, "hello", {1, 2, 3}};
    struct Foo foo2 = {456, "world", {4, 5, 6}};
    struct Bar bar = {{&foo1, &foo2}};
    volatile int sink = argc;
    for (int i = 0; i < 6000; i++) {
        sink += uprobeFunction1(&n, 'x');
        usleep(5000);
        sink += uprobeFunction2(&foo1, &foo2)->a;
        usleep(5000);
        sink += uprobeFunctionBar(&bar);
        sink += i;
    }
    return sink == 0;
}

__attribute__((noinline)) struct Foo *uprobeFunction2(struct Foo *foo1, struct Foo *foo2) {
    return foo1->a > foo2->a ? foo1 : foo2;
}

__attribute__((noinline)) int uprobeFunctionBar(struct Bar *bar) {
    return bar->foos[0]->a + bar->foos[1]->a;
}

// Stripped and split variants for the separate-debug-file tests (kept down here: the lines above are numbered by the tests).
// build testprogs/uprobe_test-stripped: -O0 -g -fno-omit-frame-pointer -no-pie
// build testprogs/external_debug/dwo/uprobe_test-split: -O0 -g -gsplit-dwarf -fno-omit-frame-pointer -no-pie
// build testprogs/external_debug/dwp/uprobe_test-split: -O0 -g -gsplit-dwarf -fno-omit-frame-pointer -no-pie
// then: objcopy --only-keep-debug testprogs/uprobe_test-stripped testprogs/external_debug/uprobe_test-stripped.debug
// then: objcopy --strip-all --add-gnu-debuglink=testprogs/external_debug/uprobe_test-stripped.debug testprogs/uprobe_test-stripped
// then: cd testprogs/external_debug/dwp && llvm-dwp -e uprobe_test-split -o uprobe_test-split.dwp && rm -f *.dwo
