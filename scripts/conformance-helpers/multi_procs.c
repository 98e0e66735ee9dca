/* testprogs/multi_procs for bpftrace's runtime tests: names itself
 * parent-proc and forks son-proc, which forks grandson-proc; both children
 * call stub(). So from stub, pcomm is the parent process's name and
 * leader_comm the calling process's own. */
// build testprogs/multi_procs: -O0 -g
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) void stub(void) {
    __asm__ volatile("" ::: "memory");
}

int main(void) {
    prctl(PR_SET_NAME, "parent-proc");
    pid_t son = fork();
    if (son == 0) {
        prctl(PR_SET_NAME, "son-proc");
        stub();
        pid_t grandson = fork();
        if (grandson == 0) {
            prctl(PR_SET_NAME, "grandson-proc");
            stub();
            return 0;
        }
        waitpid(grandson, NULL, 0);
        return 0;
    }
    waitpid(son, NULL, 0);
    return 0;
}
