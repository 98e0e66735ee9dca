import AugerScript
import BPF

/// What the running kernel offers for tracing its functions, and what to use
/// instead when it offers neither kprobes nor trampolines (the Firecracker
/// VMs here): the error should name a probe that does work.
enum KernelFunctionSupport {
    /// Whether the kernel loads and attaches a trivial fentry program: some
    /// refuse tracing programs even to root (EPERM), or build no trampolines.
    /// Asked once per process.
    static let trampolinesWork: Bool = {
        guard let btf = try? KernelBTF() else { return false }
        return fentryAttaches(btf)
    }()

    static func fentryAttaches(_ btf: KernelBTF) -> Bool {
        guard let id = btf.function(named: "vfs_read") ?? btf.function(named: "do_nanosleep") else { return false }
        let spec = ProgramSpec(name: "probe", type: .tracing, instructions: [.mov(.r0, 0), .exit],
                               expectedAttachType: .traceFentry, attachBTFID: id)
        guard let program = try? BPF.Program(spec), let link = try? program.attachRawTracepoint(nil) else { return false }
        link.close()
        return true
    }

    /// Whether kprobe_multi links attach here: the kernel knows the attach
    /// type and was built with fprobe. Asked once per process, by attaching
    /// an empty program to one function for a moment.
    static var kprobeMultiWorks: Bool { kprobeMultiProblem == nil }

    /// Why kprobe_multi links do not attach here (nil when they do).
    static let kprobeMultiProblem: String? = {
        let spec = ProgramSpec(name: "probe", type: .kprobe, instructions: [.mov(.r0, 0), .exit],
                               expectedAttachType: .traceKprobeMulti)
        let program: BPF.Program
        do { program = try BPF.Program(spec) } catch { return "\(error)" }
        var problem = "no function to try"
        for function in ["vfs_read", "do_nanosleep", "schedule"] {
            do {
                try program.attachKprobeMulti([function], returnProbe: false).close()
                return nil
            } catch let error as BPFError where error.errno == .notSupported {
                return "the kernel was built without fprobe (CONFIG_FPROBE)"
            } catch { problem = "\(error)" }
        }
        return problem
    }()

    /// The BTF id of bpf_session_is_return, the kfunc a kprobe_session
    /// program calls to tell its return run from its entry run.
    static func sessionIsReturnID(_ btf: KernelBTF?) -> UInt32? { btf?.function(named: "bpf_session_is_return") }

    /// Why kprobe_session links do not attach here (nil when they do):
    /// asked once, by attaching a program that calls the kfunc to one function.
    static let kprobeSessionProblem: String? = {
        if let problem = kprobeMultiProblem { return problem }
        guard let id = sessionIsReturnID(try? KernelBTF()) else { return "the kernel has no bpf_session_is_return (Linux 6.10+)" }
        let spec = ProgramSpec(name: "probe", type: .kprobe, instructions: [.callKernelFunction(btfID: id), .mov(.r0, 0), .exit],
                               expectedAttachType: .traceKprobeSession)
        do {
            let program = try BPF.Program(spec)
            var last: Error?
            for function in ["vfs_read", "do_nanosleep", "schedule"] {
                do {
                    try program.attachKprobeMulti([function], returnProbe: false, session: true).close()
                    return nil
                } catch { last = error }
            }
            return last.map { "\($0)" } ?? "no function to try"
        } catch { return "\(error)" }
    }()

    /// Probes that see the same event as `function`: fentry or kprobe on it
    /// where the kernel can, a tracepoint of the same name, or the system
    /// call's tracepoint for a syscall's entry points.
    static func alternatives(to function: String, for kind: ProbeKind, in system: ProbeSystem) -> [String] {
        let returning = kind.isReturnProbe || kind == .fexit
        var out: [String] = []
        if kind == .kprobe || kind == .kretprobe, system.kernel.btf?.function(named: function) != nil, system.hasTrampolines {
            out.append("\(returning ? "fexit" : "fentry"):\(function)")
        }
        if kind == .fentry || kind == .fexit, system.hasKprobes { out.append("\(returning ? "kretprobe" : "kprobe"):\(function)") }
        let tracepoints = (try? system.tracefs?.tracepoints()) ?? []
        if let call = syscallName(function), tracepoints.contains(where: { $0.category == "syscalls" && $0.name == "sys_enter_\(call)" }) {
            out.append("tracepoint:syscalls:sys_\(returning ? "exit" : "enter")_\(call)")
        }
        for t in tracepoints where t.name == function && t.category != "syscalls" { out.append("tracepoint:\(t.category):\(t.name)") }
        return out
    }

    /// `read` for the kernel's entry points of read(2): `__x64_sys_read`, `__se_sys_read`, `ksys_read`, ….
    static func syscallName(_ function: String) -> String? {
        for prefix in ["__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__se_sys_", "__do_sys_", "ksys_", "sys_"] where function.hasPrefix(prefix) {
            let name = function.dropFirst(prefix.count)
            return name.isEmpty ? nil : String(name)
        }
        return nil
    }

    /// The sentence that ends an "unavailable" error: what to write instead.
    static func suggestion(_ function: String, _ kind: ProbeKind, _ system: ProbeSystem) -> String {
        let names = Glob.isPattern(function) ? [] : alternatives(to: function, for: kind, in: system)
        if names.isEmpty { return "; tracepoints still work here (auger -l 'tracepoint:*' lists them)" }
        return "; \(names.joined(separator: " or ")) \(names.count == 1 ? "sees" : "see") the same event"
    }
}
