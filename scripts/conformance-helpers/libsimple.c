/* testlibs/libsimple.so for bpftrace's runtime tests: a shared library
 * (installed without execute permission) with one function, fun. */
// build testlibs/libsimple.so: -O0 -g -shared -fPIC
int fun(int x) {
    return x + 1;
}
