#include "workload_probe.h"
#include "auger_sdt.h"

/* A variable for uaddr(): a 4-byte value in a position-independent executable. */
int auger_workload_global = 0x12345678;

/* Kept out of line so that every call enters the symbol a uprobe is on. */
__attribute__((noinline)) long auger_workload_probe(long value) {
    return value * 2 + 1;
}

/* A second function for wildcards (auger_workload_probe*), called half as often. */
__attribute__((noinline)) long auger_workload_probe_other(long value) {
    return value + 7;
}

AUGER_SDT_SEMAPHORE(auger, guarded);

/* USDT markers: auger:call with i in a register (or an immediate) and 2i in
 * memory; auger:guarded only while a tracer has raised its semaphore. */
__attribute__((noinline)) void auger_workload_markers(long i) {
    volatile long twice = 2 * i;
    AUGER_SDT(auger, call, 0, "-8@%0 -8@%1", "nor"(i), "m"(twice));
    if (auger_guarded_semaphore) AUGER_SDT(auger, guarded, auger_guarded_semaphore, "-8@%0", "nor"(i));
}

/* Arrays in a struct, for array member reads: x = [1,2,3,4], y = [[5,6],[7,8]], *z[1] = 20. */
struct auger_arrays { int x[4]; int y[2][2]; int *z[2]; };
static int auger_ten = 10, auger_twenty = 20;
static struct auger_arrays auger_arrays_value = {{1, 2, 3, 4}, {{5, 6}, {7, 8}}, {&auger_ten, &auger_twenty}};

__attribute__((noinline)) int auger_workload_arrays(struct auger_arrays *a) {
    return a->x[0] + a->y[1][1] + *a->z[0];
}

int auger_workload_call_arrays(void) { return auger_workload_arrays(&auger_arrays_value); }

/* One 8-byte store, for watchpoints (Swift's debug builds may split a store in two). */
__attribute__((noinline)) void auger_workload_write(volatile long *where, long value) {
    *where = value;
}

long auger_workload_compat_getpid(void) {
    long ret;
    /* 20 is getpid in the ia32 table; the kernel marks the task TS_COMPAT meanwhile. */
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
    return ret;
}
