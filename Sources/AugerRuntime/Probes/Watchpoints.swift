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
        guard let length = UInt64(parts[1]) else { throw AttachError(.invalid("invalid watchpoint length '\(parts[1])'"), at: point.range) }
        var access: BreakpointAccess = []
        if parts[2].contains("r") { access.insert(.read) }
        if parts[2].contains("w") { access.insert(.write) }
        if parts[2].contains("x") { access.insert(.execute) }
        let name = "\(point.kind.name):\(parts.joined(separator: ":"))"
        guard let address = KernelFunctionProbes.number(parts[0][...]) else {
            let pieces = parts[0].split(separator: "+", maxSplits: 1).map(String.init)
            guard pieces.count == 2, !pieces[0].isEmpty, pieces[1].hasPrefix("arg"), let argument = Int(pieces[1].dropFirst(3)) else {
                throw AttachError(.invalid("invalid watchpoint address '\(parts[0])': give an address or FUNCTION+argN"), at: point.range)
            }
            let function = pieces[0]
            let (path, offset) = try Self.function(function, argument: argument, in: system, at: point.range)
            return [AttachTarget(kind: point.kind, location: .argumentBreakpoint(path: path, symbol: function, offset: offset, argument: argument,
                                                                                  length: length, access: access.rawValue),
                                 name: name, range: point.range)]
        }
        return [AttachTarget(kind: point.kind, location: .breakpoint(address: address, length: length, access: access.rawValue),
                             name: name, range: point.range)]
    }

    /// The traced program's function `name` (the -p process's executable, or
    /// the -c command's): its file and file offset, for the arming uprobe.
    static func function(_ name: String, argument: Int, in system: ProbeSystem, at range: SourceRange) throws(AttachError) -> (String, UInt64) {
        guard argument >= 0, argument < 6 else {
            throw AttachError(.invalid("a watchpoint's argument is one of arg0 to arg5, the ones passed in registers"), at: range)
        }
        let program: String?
        if let pid = system.pid {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
            program = n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
        } else if let command = system.command?.split(separator: " ").first {
            program = UserBinaries.find(String(command), pid: nil).first?.path
        } else {
            throw AttachError(.invalid("a watchpoint on a function's argument needs a process: -p PID or -c COMMAND"), at: range)
        }
        guard let program, let elf = DebugFiles.symbols(program) else {
            throw AttachError(.invalid("cannot read the traced program's symbols for \(name)"), at: range)
        }
        guard let f = elf.function(named: name), let offset = elf.fileOffset(ofAddress: f.address) else {
            throw AttachError(.invalid("No function \(name) in \(program)"), at: range)
        }
        return (program, offset)
    }

    /// The program a uprobe on the function runs: it sends the argument's
    /// value (and the process) as an `armWatchpoint` record for waiting
    /// watchpoint `index`, and for a synchronous watchpoint stops the
    /// process until the breakpoint is in place.
    static func armingProgram(index: Int, argument: Int, stop: Bool) -> ProgramSpec {
        var asm = Assembler()
        let record: Int16 = -24
        asm.emit(.store(.u32, .r10, record, imm: Int32(index)), .store(.u32, .r10, record + 4, imm: Int32(EventKind.armWatchpoint.rawValue)))
        asm.emit(.load(.u64, .r2, .r1, Int16(Registers.arguments[argument])), .store(.u64, .r10, record + 8, .r2))
        asm.emit(.call(.getCurrentPidTgid), .alu64(.rsh, .r0, 32), .store(.u64, .r10, record + 16, .r0))
        asm.loadMap(.r1, CompiledScript.ringBufferName)
        asm.emit(.mov(.r2, .r10), .alu64(.add, .r2, Int32(record)), .mov(.r3, 24), .mov(.r4, 0), .call(.ringbufOutput))
        if stop { asm.emit(.mov(.r1, SIGSTOP), .call(.sendSignal)) }
        asm.emit(.mov(.r0, 0), .exit)
        let assembled = try! asm.assemble()  // no labels: nothing can fail
        return ProgramSpec(name: "watch_arm", type: .kprobe, instructions: assembled.instructions, mapReferences: assembled.mapReferences)
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        guard case .breakpoint(let address, let written, let bits) = target.location else {
            // On a function's argument: attached when the function runs (Session.armWatchpoint).
            if case .argumentBreakpoint = target.location { return [] }
            throw AttachError(.notSupported(target.kind), at: target.range)
        }
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
