/* testprogs/wait4_ru for bpftrace's runtime tests: waits for a child with
 * wait4() and a struct rusage to fill. */
// build testprogs/wait4_ru: -O2
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t child = fork();
    if (child == 0) _exit(0);
    struct rusage ru;
    int status;
    return wait4(child, &status, 0, &ru) == child ? 0 : 1;
}
