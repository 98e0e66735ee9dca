/* testprogs/usdt_lib for bpftrace's runtime tests: calls libusdt_tp.so's
 * marker every 10 ms for a minute, so a -p of it finds the library's probe. */
// build testprogs/usdt_lib: -O1 -g {staged}/testlibs/libusdt_tp.so -Wl,-rpath,{staged}/testlibs
#include <unistd.h>

void usdt_tp_fire(long i);

int main(void) {
    for (long i = 0; i < 6000; i++) {
        usdt_tp_fire(i);
        usleep(10000);
    }
    return 0;
}
