// A deterministic workload for end-to-end tests: makes an exact number of
// system calls, so counts that tracing reports can be checked exactly.
//
//   auger-workload getppid N     N getppid(2) calls
//   auger-workload sleep MS      sleeps, then exits
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    var bytes = Array((message + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
    exit(2)
}

let args = CommandLine.arguments
guard args.count >= 3, let n = Int(args[2]) else {
    fail("usage: auger-workload getppid N | sleep MS")
}
switch args[1] {
case "getppid":
    for _ in 0..<n { _ = getppid() }
case "sleep":
    usleep(useconds_t(n * 1000))
default:
    fail("unknown workload \(args[1])")
}
