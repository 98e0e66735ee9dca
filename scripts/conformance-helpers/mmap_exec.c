/* testprogs/mmap_exec for bpftrace's runtime tests: maps a file of bare
 * machine code (no ELF) executable and runs it from its first byte, so a
 * uprobe at offset 0 of that file fires. */
// build testprogs/mmap_exec: -O2
// then: printf '\277\001\000\000\000\270\074\000\000\000\017\005' > testprogs/false.bin
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) return 2;
    void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (code == MAP_FAILED) return 2;
    ((void (*)(void))code)();  /* false.bin: exit(1) */
    return 2;
}
