// A deterministic workload for end-to-end tests: makes an exact number of
// system calls, so counts that tracing reports can be checked exactly.
//
//   auger-workload getppid N     N getppid(2) calls
//   auger-workload sleep MS      sleeps, then exits
//   auger-workload call N        N calls of auger_workload_probe(i) and N/2 of
//                                auger_workload_probe_other(i), for uprobes, and
//                                N passes over the USDT markers auger:call and
//                                auger:guarded (see WorkloadProbe)
//   auger-workload touch N       touches N fresh pages: at least N page faults
//   auger-workload pread N       N pread(2)s of 4093 bytes from a file it writes,
//                                $TMPDIR/auger-pread (kernel-function tests
//                                match the odd size to skip the loader's reads)
//   auger-workload watch N       N 8-byte writes to 0x10000000 (a page it maps there)
//   auger-workload compat N      N 32-bit getpid calls (int $0x80, ia32 number 20,
//                                which is writev in the 64-bit table): syscall
//                                tracepoints must not see them
//   auger-workload bpf-objects 0 prints how many BPF programs, maps and links
//                                the kernel holds (from any process), so a
//                                test can check a run left nothing loaded
//   auger-workload getppid N sleep MS …   several, in order
//
// With AUGER_WORKLOAD_ELAPSED set, prints `elapsed_ns T` at the end: the
// steps' wall time, for benchmarks inside guest kernels (no python there).
#if canImport(Glibc)
import Glibc
#endif
import WorkloadProbe
import BPF

nonisolated(unsafe) var probeSink = 0

func fail(_ message: String) -> Never {
    var bytes = Array((message + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
    exit(2)
}

let args = CommandLine.arguments
guard args.count >= 3, args.count % 2 == 1 else {
    fail("usage: auger-workload getppid N | sleep MS [...]")
}
func now() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t.tv_sec * 1_000_000_000 + t.tv_nsec
}
let started = now()
for step in stride(from: 1, to: args.count, by: 2) {
    guard let n = Int(args[step + 1]) else { fail("not a number: \(args[step + 1])") }
    switch args[step] {
    case "getppid":
        for _ in 0..<n { _ = getppid() }
    case "sleep":
        usleep(useconds_t(n * 1000))
    case "compat":
        for _ in 0..<n { probeSink &+= auger_workload_compat_getpid() }
    case "call":
        for i in 0..<n {
            probeSink &+= auger_workload_probe(i)  // C functions: see WorkloadProbe
            if i % 2 == 0 { probeSink &+= auger_workload_probe_other(i) }
            auger_workload_markers(i)
            probeSink &+= Int(auger_workload_call_arrays())
        }
    case "touch":
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let memory = mmap(nil, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { fail("mmap failed") }
        for i in 0..<n { memory.storeBytes(of: UInt8(1), toByteOffset: i * page, as: UInt8.self) }
        munmap(memory, n * page)
    case "pread":
        let path = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") + "/auger-pread"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fail("cannot create \(path)") }
        var buffer = [UInt8](repeating: 7, count: 4093)
        guard write(fd, &buffer, buffer.count) == buffer.count else { fail("cannot write \(path)") }
        for _ in 0..<n { guard pread(fd, &buffer, buffer.count, 0) == buffer.count else { fail("short pread") } }
        close(fd)
        unlink(path)
    case "watch", "watch-slow":
        // N writes to a page at the fixed address 0x10000000, for watchpoints
        // (20 ms apart when slow, so a tracer can act between two).
        guard let memory = mmap(UnsafeMutableRawPointer(bitPattern: 0x1000_0000), 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), memory != MAP_FAILED else { fail("mmap at 0x10000000 failed") }
        for i in 0..<n {
            auger_workload_write(memory.assumingMemoryBound(to: Int.self), i)
            if args[step] == "watch-slow" { usleep(20_000) }
        }
        munmap(memory, 4096)
    case "bpf-objects":
        do {
            print("programs \(try LoadedObjects.programIDs().count) maps \(try LoadedObjects.mapIDs().count) links \(try LoadedObjects.linkIDs().count)")
        } catch { fail("\(error)") }
    default:
        fail("unknown workload \(args[step])")
    }
}
if getenv("AUGER_WORKLOAD_ELAPSED") != nil { print("elapsed_ns \(now() - started)") }
