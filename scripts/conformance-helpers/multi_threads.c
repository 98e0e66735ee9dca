/* testprogs/multi_threads for bpftrace's runtime tests: forks a process
 * whose main thread is named parent-thread; it starts son-thread, which
 * starts grandson-thread, and each calls stub(). So from stub, comm is the
 * thread's name, pcomm the parent process's (multi_threads) and
 * leader_comm the thread group leader's (parent-thread). */
// build testprogs/multi_threads: -O0 -g -pthread
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) void stub(void) {
    __asm__ volatile("" ::: "memory");
}

static void *grandson(void *arg) {
    (void)arg;
    prctl(PR_SET_NAME, "grandson-thread");
    stub();
    return NULL;
}

static void *son(void *arg) {
    (void)arg;
    prctl(PR_SET_NAME, "son-thread");
    stub();
    pthread_t t;
    pthread_create(&t, NULL, grandson, NULL);
    pthread_join(t, NULL);
    return NULL;
}

int main(void) {
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_NAME, "parent-thread");
        pthread_t t;
        pthread_create(&t, NULL, son, NULL);
        pthread_join(t, NULL);
        return 0;
    }
    waitpid(child, NULL, 0);
    return 0;
}
