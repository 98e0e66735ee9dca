import AugerCompiler
import AugerScript
import BPF

/// tracepoint:CATEGORY:NAME (through tracefs: each has a format and an id)
/// and rawtracepoint:[MODULE:]NAME (the kernel's raw hooks, by name).
struct TracepointProbes: ProbeFamily {
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        point.kind == .rawtracepoint ? try rawTracepoints(point, system) : try tracepoints(point, system)
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        switch target.location {
        case .tracepoint(let category, let name, _):
            return [try AttachError.attaching(target) { try program.attachTracepoint(category: category, name: name) }]
        case .rawTracepoint(let name):
            return [try AttachError.attaching(target) { try program.attachRawTracepoint(name) }]
        default:
            throw AttachError(.notSupported(target.kind), at: target.range)
        }
    }

    func tracepoints(_ point: AttachPoint, _ system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        guard let tracefs = system.tracefs, let types = system.types else {
            throw AttachError(.unavailable("tracefs is not available"), at: point.range)
        }
        let (category, name) = (point.parts[0], point.parts[1])
        var names: [(String, String)] = []
        if Glob.isPattern(category) || Glob.isPattern(name) {
            let all: [(category: String, name: String)]
            do { all = try tracefs.tracepoints() } catch {
                throw AttachError(.unavailable("cannot list tracepoints: \(error)"), at: point.range)
            }
            names = all.filter { Glob.matches(category, $0.category) && Glob.matches(name, $0.name) }.map { ($0.category, $0.name) }
            if names.isEmpty { throw AttachError(.noMatches(.tracepoint, "\(category):\(name)"), at: point.range) }
        } else {
            names = [(category, name)]
        }
        return try names.map { (c, n) throws(AttachError) in
            guard let format = types.format(category: c, name: n) else {
                throw AttachError(.noMatches(.tracepoint, "\(c):\(n)"), at: point.range)
            }
            return AttachTarget(kind: .tracepoint, location: .tracepoint(category: c, name: n, format: format),
                                name: "tracepoint:\(c):\(n)", range: point.range)
        }
    }

    /// NAME may be a wildcard: every tracepoint has a raw one of its name
    /// (vmlinux's, or a module's with BTF).
    func rawTracepoints(_ point: AttachPoint, _ system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        let name = point.parts.last!
        let module = point.parts.count == 2 ? point.parts[0] : nil
        let written = point.parts.joined(separator: ":")
        func target(_ name: String) -> AttachTarget {
            AttachTarget(kind: .rawtracepoint, location: .rawTracepoint(name: name), name: "rawtracepoint:\(name)", range: point.range)
        }
        if let module, module != "vmlinux", !module.contains("*"), !system.hasModuleBTF(module) {
            throw AttachError(.noMatches(.rawtracepoint, written), at: point.range)
        }
        guard let tracefs = system.tracefs, let all = try? tracefs.tracepoints() else { return [target(name)] }
        var seen: Set<String> = []
        // Per-syscall tracepoints have no raw tracepoints of their own (they ride on sys_enter/sys_exit).
        let names = all.filter { $0.category != "syscalls" }.map(\.name).filter { Glob.matches(name, $0) && seen.insert($0).inserted }
        if names.isEmpty {
            throw AttachError(module == nil ? .noValidAttachPoints : .noMatches(.rawtracepoint, written), at: point.range)
        }
        return names.map(target)
    }
}
