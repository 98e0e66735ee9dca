import AugerCompiler
import AugerScript
import BPF

/// kprobe and kretprobe (through the kernel's kprobe PMU), fentry and fexit
/// (BPF trampolines, by BTF id): the kernel's own functions.
struct KernelFunctionProbes: ProbeFamily {
    /// kretprobes return in the order they were entered: their newest runs last.
    func runsNewestFirst(_ kind: ProbeKind) -> Bool { kind != .kretprobe }

    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        let written = point.parts.last ?? ""
        let function = String(written.prefix { $0 != "+" })
        let isKprobe = point.kind == .kprobe || point.kind == .kretprobe
        // A function the kernel does not have is named as bpftrace names it, before what Auger lacks.
        // With kprobes, ftrace's list decides instead: syscall entry points such as
        // __x64_sys_getppid are traceable but have no BTF.
        let inVmlinux = point.parts.count < 2 || point.parts[0] == "vmlinux"
        if !(isKprobe && system.hasKprobes), inVmlinux, !Glob.isPattern(function), !function.hasPrefix("0x"),
           let btf = system.kernel.btf, btf.function(named: function) == nil,
           !(isKprobe && KernelSymbols.address(of: function) != nil) {
            throw AttachError(.noMatches(point.kind, point.parts.joined(separator: ":")), at: point.range)
        }
        switch point.kind {
        case .kprobe, .kretprobe:
            guard system.hasKprobes else {
                let instead = KernelFunctionSupport.suggestion(function, point.kind, system)
                throw AttachError(.unavailable("\(point.kind.name) probes need kprobes, which this kernel does not have (CONFIG_KPROBES is off)\(instead)"), at: point.range)
            }
            return try kprobes(point, system)
        case .fentry, .fexit:
            return try tracedFunctions(point, system)
        default:
            throw AttachError(.notSupported(point.kind), at: point.range)
        }
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        if case .tracedFunction = target.location {
            // The program names its function by BTF id; the trampoline is built at attach.
            return [try AttachError.attaching(target) { try program.attachRawTracepoint(nil) }]
        }
        let isReturn = target.kind == .kretprobe
        if case .kernelFunctions(let names) = target.location {
            return [try AttachError.attaching(target) { try program.attachKprobeMulti(names, returnProbe: isReturn) }]
        }
        if case .kernelFunctionSession(let names) = target.location {
            return [try AttachError.attaching(target) { try program.attachKprobeMulti(names, returnProbe: false, session: true) }]
        }
        guard case .kernelFunction(let name, let offset) = target.location else { throw AttachError(.notSupported(target.kind), at: target.range) }
        return [try AttachError.attaching(target) {
            if name.hasPrefix("0x"), let address = UInt64(name.dropFirst(2), radix: 16) {
                return try program.attach(to: PerfEvent.kprobe(address: address, returnProbe: isReturn))
            }
            return try program.attach(to: PerfEvent.kprobe(function: name, offset: offset, returnProbe: isReturn))
        }]
    }

    /// `kprobe:[MODULE:]FUNCTION[+OFFSET]`, `kprobe:0xADDRESS`; FUNCTION and
    /// MODULE may be wildcards, matched against the functions ftrace can trace.
    func kprobes(_ point: AttachPoint, _ system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        let written = point.parts.last!
        let module = point.parts.count == 2 ? point.parts[0] : nil
        func target(_ name: String, _ offset: UInt64, module: String?) -> AttachTarget {
            let shown = (module.map { "\($0):" } ?? "") + name + (offset == 0 ? "" : "+\(offset)")
            return AttachTarget(kind: point.kind, location: .kernelFunction(name: name, offset: offset),
                                name: "\(point.kind.name):\(shown)", range: point.range)
        }
        if written.hasPrefix("0x") {
            guard let address = UInt64(written.dropFirst(2), radix: 16) else { throw AttachError(.invalid("invalid address '\(written)'"), at: point.range) }
            // Named in decimal, as bpftrace names it (`kprobe:305419896`).
            return [AttachTarget(kind: point.kind, location: .kernelFunction(name: written, offset: 0),
                                 name: "\(point.kind.name):\(address)", range: point.range)]
        }
        var function = written
        var offset: UInt64 = 0
        if let plus = written.firstIndex(of: "+") {
            guard point.kind == .kprobe, let n = Self.number(written[written.index(after: plus)...]) else {
                throw AttachError(.invalid(point.kind == .kprobe ? "invalid offset in '\(written)'" : "kretprobes attach to a function's start, not an offset"), at: point.range)
            }
            function = String(written[..<plus])
            offset = n
        }
        let isWildcard = Glob.isPattern(function) || (module.map(Glob.isPattern) ?? false)
        // ftrace's list says which functions may be probed; without tracefs the kernel decides at attach.
        guard let traceable = system.traceableFunctions else {
            if isWildcard {
                throw AttachError(.unavailable("kprobe wildcards need tracefs (available_filter_functions)"), at: point.range)
            }
            return [target(function, offset, module: module)]
        }
        if !isWildcard, Self.isRCU(function) {
            throw AttachError(.invalid("\(function) cannot be probed: kprobes on RCU functions can hang or crash the kernel"), at: point.range)
        }
        var seen: Set<String> = []
        let found = traceable.filter { f in
            Glob.matches(function, f.name) && (module.map { m in f.module.map { Glob.matches(m, $0) } ?? Glob.matches(m, "vmlinux") } ?? true)
                && seen.insert(f.name).inserted
        }
        // A wildcard skips RCU's functions: a kprobe on those the idle loop
        // calls crashed Debian's 6.1 here (as bpftrace skips them).
        let matches = found.filter { !Self.isRCU($0.name) }
        if matches.isEmpty && !found.isEmpty { throw AttachError(.noValidAttachPoints, at: point.range) }
        if matches.isEmpty {
            let whole = point.parts.joined(separator: ":")
            if let module, !Glob.isPattern(module), module != "vmlinux", !traceable.contains(where: { $0.module == module }) {
                throw AttachError(.invalid("specified module \(module) in probe \(point.kind.name):\(whole) is not loaded."), at: point.range)
            }
            if isWildcard { throw AttachError(.noMatches(point.kind, whole), at: point.range) }
            // Not in ftrace's list but a kernel symbol (6.12's __x64_sys_* wrappers): a kprobe
            // still attaches there, through a breakpoint instead of ftrace.
            guard module == nil || module == "vmlinux", KernelSymbols.address(of: function) != nil else {
                var error = AttachError(.noMatches(point.kind, whole), at: point.range)
                error.warning = "\(function) is not traceable (either non-existing, inlined, or marked as \"notrace\"); attaching to it will likely fail"
                throw error
            }
            return [target(function, offset, module: module)]
        }
        return matches.map { target($0.name, offset, module: module == nil ? nil : $0.module ?? "vmlinux") }
    }

    /// `fentry:[MODULE:]FUNCTION`: functions BTF describes (vmlinux's, or a
    /// loaded module's), wildcards matched against those ftrace can trace
    /// (BTF also lists notrace functions).
    func tracedFunctions(_ point: AttachPoint, _ system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        let function = point.parts.last!
        let module = point.parts.count == 2 ? point.parts[0] : "vmlinux"
        guard system.kernel.btf != nil else {
            throw AttachError(.unavailable("\(point.kind.name) probes need the kernel's BTF (/sys/kernel/btf/vmlinux), which this kernel does not have"), at: point.range)
        }
        let traceable = system.traceableFunctions
        var targets: [AttachTarget] = []
        for name in system.modulesWithBTF(matching: module) {
            let moduleName = name == "vmlinux" ? nil : name
            guard let btf = moduleName.map(system.kernel.moduleBTF) ?? system.kernel.btf else { continue }
            var names = [function]
            if Glob.isPattern(function) {
                let inModule = traceable.map { Set($0.filter { $0.module == moduleName }.map(\.name)) }
                names = btf.functionNames.filter { Glob.matches(function, $0) && inModule?.contains($0) != false }.sorted()
            }
            for f in names {
                guard let id = btf.function(named: f), let signature = system.kernel.kernelFunction(f, module: moduleName) else { continue }
                targets.append(AttachTarget(kind: point.kind, location: .tracedFunction(name: f, module: moduleName, btfID: id, signature: signature),
                                            name: "\(point.kind.name):\(name):\(f)", range: point.range))
            }
        }
        guard !targets.isEmpty else { throw AttachError(.noMatches(point.kind, point.parts.joined(separator: ":")), at: point.range) }
        guard system.hasTrampolines else {
            let instead = KernelFunctionSupport.suggestion(function, point.kind, system)
            throw AttachError(.unavailable("\(point.kind.name) probes need BPF trampolines, which this kernel refuses (it would not load and attach a trivial fentry program)\(instead)"), at: point.range)
        }
        return targets
    }

    /// A probe's kprobes (and its kretprobes) at functions' starts, as one
    /// target each that one kprobe_multi link serves: one program to verify
    /// and one ftrace update instead of one per function. Not when the probe
    /// reads `probe`, which then names each function, so each gets its own program.
    static func combine(_ targets: [AttachTarget], of probe: Probe, in system: ProbeSystem) -> [AttachTarget] {
        func function(_ t: AttachTarget) -> String? {
            guard case .kernelFunction(let name, 0) = t.location, !name.hasPrefix("0x") else { return nil }
            return name
        }
        let candidates = targets.filter { ($0.kind == .kprobe || $0.kind == .kretprobe) && function($0) != nil }
        guard candidates.count > 1, system.hasKprobeMulti, !probe.uses(builtin: "probe") else { return targets }
        var out: [AttachTarget] = []
        var merged: Set<ProbeKind> = []
        for t in targets {
            guard function(t) != nil, t.kind == .kprobe || t.kind == .kretprobe else { out.append(t); continue }
            let same = candidates.filter { $0.kind == t.kind }
            if same.count < 2 { out.append(t); continue }
            guard merged.insert(t.kind).inserted else { continue }
            var seen: Set<String> = []
            let names = same.compactMap(function).filter { seen.insert($0).inserted }
            // Named as written: `kprobe:vfs_*,kprobe:ksys_read`.
            let written = probe.attachPoints.filter { $0.kind == t.kind }.map { "\($0.kind.name):\($0.parts.joined(separator: ":"))" }
            out.append(AttachTarget(kind: t.kind, location: .kernelFunctions(names: names),
                                    name: written.joined(separator: ","), range: t.range))
        }
        return out
    }

    /// A kprobe probe and a kretprobe probe written for the same functions
    /// (one attach point each, the same text, no module, offset or predicate,
    /// neither reading `probe`) become one kprobe_session program, as
    /// bpftrace merges them; a kprobe probe pairs only when exactly one such
    /// kretprobe probe is left for it.
    static func sessions(_ probes: [Probe], _ targets: inout [[AttachTarget]], in system: ProbeSystem) -> [SessionPair] {
        // Only asked of the kernel (a test attach) when a script has both kinds.
        let kinds = Set(probes.flatMap { $0.attachPoints.map(\.kind) })
        guard kinds.contains(.kprobe), kinds.contains(.kretprobe), system.hasKprobeSession else { return [] }
        func names(_ index: Int) -> [String]? {
            var out: [String] = []
            for t in targets[index] {
                switch t.location {
                case .kernelFunction(let name, 0) where !name.hasPrefix("0x"): out.append(name)
                case .kernelFunctions(let names): out += names
                default: return nil
                }
            }
            return out.isEmpty ? nil : out
        }
        func candidate(_ index: Int, _ kind: ProbeKind) -> Bool {
            let probe = probes[index]
            guard probe.attachPoints.count == 1, let point = probe.attachPoints.first, point.kind == kind,
                  point.parts.count == 1, !point.parts[0].contains("+"), probe.predicate == nil, !probe.uses(builtin: "probe") else { return false }
            return names(index) != nil
        }
        var pairs: [SessionPair] = []
        var taken: Set<Int> = []
        for entry in probes.indices where candidate(entry, .kprobe) {
            let written = probes[entry].attachPoints[0].parts
            let returns = probes.indices.filter { !taken.contains($0) && candidate($0, .kretprobe) && probes[$0].attachPoints[0].parts == written }
            guard returns.count == 1, let exit = returns.first, let functions = names(entry), names(exit) == functions else { continue }
            taken.insert(exit)
            pairs.append(SessionPair(entry: entry, exit: exit))
            for (index, kind) in [(entry, ProbeKind.kprobe), (exit, .kretprobe)] {
                targets[index] = [AttachTarget(kind: kind, location: .kernelFunctionSession(names: functions),
                                               name: "\(kind.name):\(written[0])", range: probes[index].attachPoints[0].range)]
            }
        }
        return pairs
    }

    /// RCU's own functions (`rcu_*`), which kprobes must not interrupt.
    static func isRCU(_ function: String) -> Bool { function.hasPrefix("rcu_") }

    /// `16` or `0x10`.
    static func number(_ s: Substring) -> UInt64? {
        s.hasPrefix("0x") ? UInt64(s.dropFirst(2), radix: 16) : UInt64(s)
    }
}
