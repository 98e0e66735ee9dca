/* Copies a file for the mount namespace wrappers (an executable copy). */
#ifndef COPY_FILE_H
#define COPY_FILE_H
#include <fcntl.h>
#include <unistd.h>

static int copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) return -1;
    char buffer[65536];
    ssize_t n;
    while ((n = read(in, buffer, sizeof buffer)) > 0) {
        if (write(out, buffer, n) != n) return -1;
    }
    close(in);
    close(out);
    return n < 0 ? -1 : 0;
}
#endif
