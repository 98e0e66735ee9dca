/* testprogs/disable_aslr for bpftrace's runtime tests: runs a command with
 * address space randomization off (the same addresses every run). */
// build testprogs/disable_aslr: -O2
#include <stdio.h>
#include <sys/personality.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: disable_aslr COMMAND [ARGS...]\n");
        return 2;
    }
    personality(ADDR_NO_RANDOMIZE);
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
