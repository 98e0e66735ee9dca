/* testprogs/mountns_wrapper PROG for bpftrace's runtime tests: runs
 * testprogs/PROG from /tmp/bpftrace-unshare-mountns-test, a tmpfs mounted
 * in a mount namespace of its own, so the path exists only inside it (a
 * tracer must find the file through /proc/PID/root). */
// build testprogs/mountns_wrapper: -O2
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "copy_file.h"

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: mountns_wrapper PROG\n"); return 2; }
    const char *dir = "/tmp/bpftrace-unshare-mountns-test";
    char from[4096], to[4096];
    snprintf(from, sizeof from, "testprogs/%s", argv[1]);
    snprintf(to, sizeof to, "%s/%s", dir, argv[1]);
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { perror("unshare"); return 1; }
    mkdir(dir, 0755);
    if (mount("tmpfs", dir, "tmpfs", 0, NULL) != 0 || copy_file(from, to) != 0) { perror(to); return 1; }
    execv(to, argv + 1);
    perror(to);
    return 1;
}
