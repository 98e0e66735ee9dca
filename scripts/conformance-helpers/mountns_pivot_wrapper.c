/* testprogs/mountns_pivot_wrapper PROG for bpftrace's runtime tests: runs
 * testprogs/PROG as /PROG of a new root (pivot_root into a tmpfs in a mount
 * namespace of its own, /usr bound in for the dynamic linker), so the
 * file is only reachable from outside as /proc/PID/root/PROG. */
// build testprogs/mountns_pivot_wrapper: -O2
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "copy_file.h"

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: mountns_pivot_wrapper PROG\n"); return 2; }
    char root[] = "/tmp/bpftrace-pivot-XXXXXX";
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    char from[4096], to[4096], path[4096];
    snprintf(from, sizeof from, "testprogs/%s", argv[1]);
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { perror("unshare"); return 1; }
    if (mount("tmpfs", root, "tmpfs", 0, NULL) != 0) { perror(root); return 1; }
    snprintf(to, sizeof to, "%s/%s", root, argv[1]);
    if (copy_file(from, to) != 0) { perror(to); return 1; }
    /* The dynamic linker and libc, where the program looks for them. */
    snprintf(path, sizeof path, "%s/usr", root);
    mkdir(path, 0755);
    if (mount("/usr", path, NULL, MS_BIND | MS_REC, NULL) != 0) { perror(path); return 1; }
    snprintf(path, sizeof path, "%s/lib", root);
    symlink("usr/lib", path);
    snprintf(path, sizeof path, "%s/lib64", root);
    symlink("usr/lib64", path);
    snprintf(path, sizeof path, "%s/old", root);
    mkdir(path, 0755);
    if (syscall(SYS_pivot_root, root, path) != 0) { perror("pivot_root"); return 1; }
    if (chdir("/") != 0 || umount2("/old", MNT_DETACH) != 0) { perror("/old"); return 1; }
    snprintf(to, sizeof to, "/%s", argv[1]);
    execv(to, argv + 1);
    perror(to);
    return 1;
}
