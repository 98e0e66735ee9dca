#include "workload_probe.h"

/* Kept out of line so that every call enters the symbol a uprobe is on. */
__attribute__((noinline)) long auger_workload_probe(long value) {
    return value * 2 + 1;
}
