import BPF
#if canImport(Glibc)
import Glibc
#endif

/// `--info`: what this system offers a tracer, each feature found by trying
/// it (creating the map, loading and attaching the program) or by the file
/// the kernel shows for it.
public enum SystemInfo {
    public static func report(version: String) -> String {
        let kernel = KernelIdentity.current
        func yes(_ b: Bool) -> String { b ? "yes" : "no" }
        func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
        var out = "System\n"
        out += "  OS: \(kernel.system) \(kernel.release) \(kernel.version)\n"
        out += "  Arch: \(kernel.architecture)\n\n"
        out += "Build\n  version: \(version)\n  LLVM: not used (Auger writes BPF instructions itself)\n\n"

        let btf = try? KernelBTF()
        let modules = (try? readText("/proc/modules")).map { !$0.isEmpty } ?? false
        out += "Kernel features\n"
        out += "  btf: \(yes(btf != nil))\n"
        out += "  module btf: \(yes(modules && exists("/sys/kernel/btf")))\n"
        let loop: [Instruction] = [.mov(.r1, 0), .alu64(.add, .r1, 1), .jump(.jlt, .r1, 10, -2), .mov(.r0, 0), .exit]
        out += "  Loop support: \(yes(programLoads(.rawTracepoint, loop)))\n\n"

        out += "Map types\n"
        let maps: [(String, MapType, UInt32, UInt32)] = [
            ("hash", .hash, 8, 8), ("array", .array, 4, 8), ("percpu hash", .percpuHash, 8, 8), ("percpu array", .percpuArray, 4, 8),
            ("stack_trace", .stackTrace, 4, 8 * 127), ("perf_event_array", .perfEventArray, 4, 4), ("lru hash", .lruHash, 8, 8),
            ("lru percpu hash", .lruPercpuHash, 8, 8), ("ringbuf", .ringBuffer, 0, 0),
        ]
        for (name, type, key, value) in maps {
            let entries: UInt32 = type == .ringBuffer ? 4096 : 1
            out += "  \(name): \(yes((try? Map(MapSpec(name: "probe", type: type, keySize: key, valueSize: value, maxEntries: entries))) != nil))\n"
        }

        let tracefs = try? Tracefs.locate()
        let kprobes = exists("/sys/bus/event_source/devices/kprobe") || tracefs.map { exists($0.root + "/kprobe_events") } == true
        let fentry = btf.map { KernelFunctionSupport.fentryAttaches($0) } ?? false
        out += "\nProbe types\n"
        out += "  tracepoint: \(yes(tracefs != nil))\n"
        out += "  rawtracepoint: \(yes(programLoads(.rawTracepoint, [.mov(.r0, 0), .exit])))\n"
        let dispatch = TracepointProbes.compatStatusOffset == nil ? "no (x86_64 only)" : "yes (\(SyscallNumbers.x86_64.count) calls known)"
        out += "  syscall_dispatch (syscalls:* from raw sys_enter/sys_exit): \(dispatch)\n"
        out += "  kprobe: \(yes(kprobes))\n"
        out += "  kprobe_multi: \(!kprobes ? "no" : KernelFunctionSupport.kprobeMultiProblem.map { "no (\($0))" } ?? "yes")\n"
        out += "  kprobe_session: \(!kprobes ? "no" : KernelFunctionSupport.kprobeSessionProblem.map { "no (\($0))" } ?? "yes")\n"
        out += "  uprobe: \(yes(exists("/sys/bus/event_source/devices/uprobe")))\n"
        out += "  fentry: \(yes(fentry))\n"
        out += "  fexit: \(yes(fentry))\n"
        out += "  perf_event (interval, profile, software): \(yes(exists("/sys/bus/event_source/devices/software")))\n"
        out += "  hardware: \(yes(exists("/sys/bus/event_source/devices/cpu")))\n"
        out += "  watchpoint: \(yes(exists("/sys/bus/event_source/devices/breakpoint")))\n"
        return out
    }

    static func programLoads(_ type: ProgramType, _ instructions: [Instruction]) -> Bool {
        (try? BPF.Program(ProgramSpec(name: "probe", type: type, instructions: instructions))) != nil
    }
}
