import AugerCompiler
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// `watchpoint:FUNC+argN:LEN:MODE`: each such watchpoint waits for the
/// traced process's first call of its function. A uprobe there reports the
/// argument (and, for `watchpoint`, stops the process); the breakpoint then
/// goes on that address, and the process goes on. Later calls change nothing:
/// the arming uprobe is removed once it has served, as in bpftrace.
final class WatchpointArming {
    private struct Waiting {
        var program: BPF.Program
        var target: AttachTarget
        var arming: [Link] = []
    }
    private var waiting: [Waiting] = []
    private var resolver: AttachPointResolver?
    /// The breakpoints placed so far, by address; closed with the session or by unwatch().
    private var links: [UInt64: [Link]] = [:]

    /// A watchpoint on a fixed address, for unwatch() to find.
    func placed(_ address: UInt64, _ new: [Link]) { links[address, default: []] += new }

    /// unwatch(addr): the watchpoints on the address stop (async: the probe may fire a few more times meanwhile).
    func unwatch(_ address: UInt64) {
        links.removeValue(forKey: address)?.forEach { $0.close() }
    }

    /// Attaches an arming uprobe for each watchpoint on a function's argument, in process `pid`.
    func start(_ programs: [(CompiledProgram, BPF.Program)], maps: [String: Map], pid: Int32, resolver: AttachPointResolver) throws {
        self.resolver = resolver
        for (compiled, program) in programs {
            guard case .argumentBreakpoint(let path, _, let offset, let argument, _, _) = compiled.target.location else { continue }
            let spec = WatchpointProbes.armingProgram(index: waiting.count, argument: argument, stop: compiled.target.kind == .watchpoint)
            let arming = try BPF.Program(spec, maps: maps)
            let link = try AttachError.attaching(compiled.target) { try arming.attach(to: PerfEvent.uprobe(path: path, offset: offset, pid: pid)) }
            waiting.append(Waiting(program: program, target: compiled.target, arming: [link]))
        }
    }

    /// An `armWatchpoint` record: the breakpoint on `address` in `pid`, then
    /// the process continues (a synchronous watchpoint's program stopped it).
    func arm(index: Int, address: UInt64, pid: Int32) throws(AttachError) {
        guard index < waiting.count, let resolver else { return }
        let w = waiting[index]
        defer { if w.target.kind == .watchpoint { kill(pid, SIGCONT) } }
        guard !w.arming.isEmpty, case .argumentBreakpoint(_, _, _, _, let length, let access) = w.target.location else { return }
        w.arming.forEach { $0.close() }
        waiting[index].arming = []
        var target = w.target
        target.location = .breakpoint(address: address, length: length, access: access)
        do { placed(address, try resolver.attach(w.program, to: target, process: pid)) } catch {
            // An asyncwatchpoint's process may have ended before its breakpoint could go on: nothing to watch.
            if case .kernel(_, let e) = error.reason, e.errno == Errno(rawValue: ESRCH) { return }
            throw error
        }
    }
}
