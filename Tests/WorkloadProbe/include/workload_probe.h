#ifndef WORKLOAD_PROBE_H
#define WORKLOAD_PROBE_H
/* A function for uprobe tests: a plain C symbol the workload calls. */
long auger_workload_probe(long value);
long auger_workload_probe_other(long value);
void auger_workload_markers(long i);
int auger_workload_call_arrays(void);
void auger_workload_write(volatile long *where, long value);
/* getpid through the 32-bit system call entry (int $0x80): -ENOSYS where
 * the kernel has no ia32 emulation. */
long auger_workload_compat_getpid(void);
#endif
