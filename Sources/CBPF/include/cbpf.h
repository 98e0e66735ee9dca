// The only C in Auger: fixed-arity wrappers for the variadic syscall(2),
// the ioctl request numbers that Swift cannot import from their macros,
// and acquire/release accesses to memory shared with the kernel.
#ifndef CBPF_H
#define CBPF_H

#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/hw_breakpoint.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <stdint.h>

static inline int cbpf_bpf(int cmd, union bpf_attr *attr, unsigned int size) {
    return (int)syscall(__NR_bpf, cmd, attr, size);
}

static inline int cbpf_perf_event_open(struct perf_event_attr *attr, int pid,
                                       int cpu, int group_fd, unsigned long flags) {
    return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

static inline int cbpf_gettid(void) {
    return (int)syscall(__NR_gettid);
}

static inline int cbpf_ioctl(int fd, unsigned long request, unsigned long arg) {
    return ioctl(fd, request, arg);
}

static const unsigned long CBPF_PERF_EVENT_IOC_ENABLE = PERF_EVENT_IOC_ENABLE;
static const unsigned long CBPF_PERF_EVENT_IOC_DISABLE = PERF_EVENT_IOC_DISABLE;
static const unsigned long CBPF_PERF_EVENT_IOC_SET_BPF = PERF_EVENT_IOC_SET_BPF;

// The ring buffer's positions are written by the kernel on another CPU; these
// pair with its smp_store_release / smp_load_acquire.
static inline uint64_t cbpf_load_acquire_u64(const void *p) {
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}
static inline uint32_t cbpf_load_acquire_u32(const void *p) {
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}
static inline void cbpf_store_release_u64(void *p, uint64_t v) {
    __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
}

#endif
