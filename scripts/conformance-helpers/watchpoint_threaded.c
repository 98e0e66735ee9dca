/* testprogs/watchpoint_threaded for bpftrace's runtime tests: maps a page
 * at 0x10000000 and starts a thread that writes its first byte every 10 ms
 * for a minute (the tests watch it from the process and from the thread). */
// build testprogs/watchpoint_threaded: -O1 -g -pthread
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static void *writer(void *memory) {
    for (int i = 0; i < 6000; i++) {
        *(volatile unsigned char *)memory = (unsigned char)i;
        usleep(10000);
    }
    return NULL;
}

int main(void) {
    void *memory = mmap((void *)0x10000000, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (memory == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    usleep(200000); /* time for a tracer to attach to the process before the thread starts */
    pthread_t thread;
    if (pthread_create(&thread, NULL, writer, memory) != 0) return 1;
    pthread_join(thread, NULL);
    return 0;
}
