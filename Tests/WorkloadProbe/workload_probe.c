#include "workload_probe.h"

/* Kept out of line so that every call enters the symbol a uprobe is on. */
__attribute__((noinline)) long auger_workload_probe(long value) {
    return value * 2 + 1;
}

/* A second function for wildcards (auger_workload_probe*), called half as often. */
__attribute__((noinline)) long auger_workload_probe_other(long value) {
    return value + 7;
}
