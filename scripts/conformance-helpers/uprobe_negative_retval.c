/* testprogs/uprobe_negative_retval for bpftrace's runtime tests: 221 calls
 * of function1, each returning -10, then main returns -100 (the tests sum
 * the casted return values and look for main's). */
// build testprogs/uprobe_negative_retval: -O0 -g
__attribute__((noinline)) int function1(int i) {
    return i - i - 10;
}

int main(void) {
    volatile int sink = 0;
    for (int i = 0; i < 221; i++) sink += function1(i);
    return sink == -2210 ? -100 : 1;
}
