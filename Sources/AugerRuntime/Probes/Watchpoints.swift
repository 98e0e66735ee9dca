import AugerCompiler
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// `watchpoint:ADDRESS:LENGTH:MODE` (and asyncwatchpoint): a hardware
/// breakpoint (the CPU's debug registers) on reads, writes or execution of
/// 1–8 bytes. A kernel address is watched on every CPU; a user address in
/// the `-p` process (each of its threads) or the `-c` command (and the
/// threads it starts).
struct WatchpointProbes: ProbeFamily {
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        let parts = point.parts
        guard parts.count == 3 else { throw AttachError(.invalid("watchpoints are written watchpoint:ADDRESS:LENGTH:MODE"), at: point.range) }
        guard let address = KernelFunctionProbes.number(parts[0][...]) else {
            if parts[0].contains("+arg") {
                throw AttachError(.invalid("watchpoints on a function's argument (\(parts[0])) are not supported yet; give an address"), at: point.range)
            }
            throw AttachError(.invalid("invalid watchpoint address '\(parts[0])'"), at: point.range)
        }
        guard let length = UInt64(parts[1]) else { throw AttachError(.invalid("invalid watchpoint length '\(parts[1])'"), at: point.range) }
        var access: BreakpointAccess = []
        if parts[2].contains("r") { access.insert(.read) }
        if parts[2].contains("w") { access.insert(.write) }
        if parts[2].contains("x") { access.insert(.execute) }
        return [AttachTarget(kind: point.kind, location: .breakpoint(address: address, length: length, access: access.rawValue),
                             name: "\(point.kind.name):\(parts.joined(separator: ":"))", range: point.range)]
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        guard case .breakpoint(let address, let written, let bits) = target.location else { throw AttachError(.notSupported(target.kind), at: target.range) }
        let access = BreakpointAccess(rawValue: bits)
        // x86 takes execution breakpoints only on a whole word (the kernel wants sizeof(long)).
        let length = access == .execute ? 8 : written
        if Self.isKernelAddress(address) {
            return try AttachError.attaching(target) {
                try system.onlineCPUs.map { cpu in try program.attach(to: PerfEvent.breakpoint(address: address, length: length, access: access, pid: -1, cpu: cpu)) }
            }
        }
        guard let pid = system.pid else {
            throw AttachError(.invalid("a watchpoint on a user address needs a process: -p PID or -c COMMAND"), at: target.range)
        }
        // Each thread of a running process; a command not yet started is one
        // task, whose threads inherit the breakpoint.
        let threads = (directoryEntries("/proc/\(pid)/task") ?? []).compactMap { Int32($0) }
        return try AttachError.attaching(target) {
            do {
                return try (threads.isEmpty ? [pid] : threads).map { tid in
                    try program.attach(to: PerfEvent.breakpoint(address: address, length: length, access: access, pid: tid, inherit: true))
                }
            } catch let error as BPFError where error.errno == Errno(rawValue: ENOSPC) {
                throw BPFError(call: error.call, context: error.context, errno: error.errno,
                               hint: "The CPU's debug registers are all in use (x86 has four)")
            }
        }
    }

    /// x86_64's kernel half of the address space.
    static func isKernelAddress(_ address: UInt64) -> Bool { address >= 0xffff_8000_0000_0000 }
}
