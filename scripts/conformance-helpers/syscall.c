/* testprogs/syscall for bpftrace's runtime tests: makes one system call the
 * tests then look for.
 *   syscall read | open | openat | nanosleep [NS] | execve PATH [ARGS…] | connect IP PORT
 * open/openat create $TMPDIR/bpftrace_runtime_test_syscall_gen_open_temp
 * (the name the tests match) and remove it; their flags are O_CREAT alone
 * (64, which the 32-bit tracepoint argument test waits for). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *temp_path(void) {
    static char path[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bpftrace_runtime_test_syscall_gen_open_temp", dir && *dir ? dir : "/tmp");
    return path;
}

static int usage(void) {
    fprintf(stderr, "usage: syscall read | open | openat | nanosleep [NS] | execve PATH [ARGS...] | connect IP PORT\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    const char *call = argv[1];
    if (!strcmp(call, "nanosleep")) {
        /* Nanoseconds, written as the tests write them: 100, 1e8, 5e8. */
        double ns = argc > 2 ? strtod(argv[2], NULL) : 1e8;
        struct timespec t = { (time_t)(ns / 1e9), (long)(ns - (double)(time_t)(ns / 1e9) * 1e9) };
        return syscall(SYS_nanosleep, &t, NULL) == 0 ? 0 : 1;
    }
    if (!strcmp(call, "read")) {
        const char *path = temp_path();
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, "bpftrace", 8) != 8) { perror(path); return 1; }
        char buf[8];
        lseek(fd, 0, SEEK_SET);
        long n = syscall(SYS_read, fd, buf, sizeof buf);
        close(fd);
        unlink(path);
        return n < 0;
    }
    if (!strcmp(call, "open") || !strcmp(call, "openat")) {
        const char *path = temp_path();
#ifdef SYS_open
        long fd = !strcmp(call, "open") ? syscall(SYS_open, path, O_CREAT, 0600)
                                         : syscall(SYS_openat, AT_FDCWD, path, O_CREAT, 0600);
#else
        long fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT, 0600);
#endif
        if (fd < 0) { perror(path); return 1; }
        close((int)fd);
        unlink(path);
        return 0;
    }
    if (!strcmp(call, "execve")) {
        if (argc < 3) return usage();
        execve(argv[2], argv + 2, environ);
        return 1; /* the tests also exec things that cannot run, such as "." */
    }
    if (!strcmp(call, "connect")) {
        if (argc < 4) return usage();
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3])) };
        if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) return usage();
        int s = socket(AF_INET, SOCK_STREAM, 0);
        connect(s, (struct sockaddr *)&to, sizeof to); /* refused is fine: the call was made */
        close(s);
        return 0;
    }
    return usage();
}
