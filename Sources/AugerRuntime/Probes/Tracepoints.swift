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
        case .syscallDispatch(let exit, _, _, _):
            return [try AttachError.attaching(target) { try program.attachRawTracepoint(exit ? "sys_exit" : "sys_enter") }]
        case .syscall:
            return []  // in its dispatcher's program array

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

    /// The script's `syscalls:sys_enter_*`/`sys_exit_*` tracepoints become
    /// programs on the raw sys_enter/sys_exit tracepoints: one dispatcher per
    /// direction for the whole script, attached once, tail-calls the program
    /// for the call being made from its table. Probes on the same call share
    /// that slot's program (SharedEvent), so 142 probes on sys_enter_read are
    /// one dispatcher and one program, never 142 programs on every system
    /// call. Calls the compiled-in table does not know keep their perf event.
    static func dispatchSyscalls(_ targets: inout [[AttachTarget]], in system: ProbeSystem) {
        guard !system.disabled.contains(.syscallDispatch), let statusOffset = compatStatusOffset else { return }
        func call(_ t: AttachTarget) -> (exit: Bool, number: Int)? {
            guard t.kind == .tracepoint, case .tracepoint("syscalls", let name, _) = t.location else { return nil }
            for (prefix, exit) in [("sys_enter_", false), ("sys_exit_", true)] where name.hasPrefix(prefix) {
                return SyscallNumbers.x86_64[String(name.dropFirst(prefix.count))].map { (exit, $0) }
            }
            return nil
        }
        var served: [Bool: Set<Int>] = [false: [], true: []]
        var firstProbe: [Bool: (index: Int, range: SourceRange)] = [:]
        for p in targets.indices {
            var kept: [AttachTarget] = []
            var named: Set<[Int]> = []
            for t in targets[p] {
                guard let (exit, number) = call(t), case .tracepoint(let category, let name, let format) = t.location else { kept.append(t); continue }
                // Named twice in one probe (sys_enter_read,sys_enter_r*): once is enough.
                guard named.insert([exit ? 1 : 0, number]).inserted else { continue }
                served[exit]!.insert(number)
                if firstProbe[exit] == nil { firstProbe[exit] = (p, t.range) }
                kept.append(AttachTarget(kind: t.kind, location: .syscall(category: category, name: name, format: format, number: number,
                                                                           table: tableName(exit: exit)), name: t.name, range: t.range))
            }
            targets[p] = kept
        }
        for exit in [false, true] {
            guard let (index, range) = firstProbe[exit] else { continue }
            let numbers = served[exit]!.sorted()
            targets[index].append(AttachTarget(kind: .tracepoint, location: .syscallDispatch(exit: exit, table: tableName(exit: exit), numbers: numbers,
                                                                                               statusOffset: statusOffset),
                                               name: "rawtracepoint:\(exit ? "sys_exit" : "sys_enter")", range: range))
        }
    }

    /// The program array a dispatcher tail-calls through.
    static func tableName(exit: Bool) -> String { exit ? "sys_exit_calls" : "sys_enter_calls" }

    /// Where x86_64's thread_info.status is in task_struct (thread_info comes
    /// first): {flags, syscall_work, status, cpu} since Linux 5.11, {flags,
    /// status} before. Nil elsewhere: the perf events stay.
    static let compatStatusOffset: Int? = {
        let kernel = KernelIdentity.current
        guard kernel.architecture == "x86_64", let version = kernel.majorMinor else { return nil }
        return version >= (5, 11) ? 16 : 8
    }()

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
