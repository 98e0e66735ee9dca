/* testlibs/libusdt_tp.so for bpftrace's runtime tests: a shared library
 * with a USDT marker, tracetestlib:lib_probe_1, which usdt_lib calls. */
// build testlibs/libusdt_tp.so: -O1 -g -shared -fPIC
#include "auger_sdt.h"

__attribute__((noinline)) void usdt_tp_fire(long i) {
    AUGER_SDT(tracetestlib, lib_probe_1, 0, "-8@%0", "nor"(i));
}
