import AugerCompiler
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// Attaching a compiled program to its target: tracepoints, raw
/// tracepoints, uprobes and perf events (timers, software and hardware).
extension Session {
    func attach(_ compiledProgram: CompiledProgram, _ program: BPF.Program) throws -> [Link] {
        do {
            return try attachLinks(compiledProgram, program)
        } catch let error as BPFError {
            throw RuntimeError.system("Error attaching probe: \(compiledProgram.target.name): \(error)")
        }
    }

    private func attachLinks(_ compiledProgram: CompiledProgram, _ program: BPF.Program) throws -> [Link] {
        let target = compiledProgram.target
        let parts = target.name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch target.provider {
        case "tracepoint":
            return [try program.attachTracepoint(category: parts[1], name: parts[2])]
        case "rawtracepoint":
            return [try program.attachRawTracepoint(parts.last!)]
        case "uprobe", "uretprobe":
            // name: provider:path:symbol:offset
            let event = try PerfEvent.uprobe(path: parts[1], offset: UInt64(parts[3]) ?? 0, returnProbe: target.provider == "uretprobe",
                                             pid: options.pid ?? -1)
            return [try program.attach(to: event)]
        case "interval":
            return [try program.attach(to: PerfEvent.software(.cpuClock, rate: try Self.rate(Array(parts.dropFirst())), cpu: 0))]
        case "profile":
            let rate = try Self.rate(Array(parts.dropFirst()))
            return try CPU.online.map { cpu in try program.attach(to: PerfEvent.software(.cpuClock, rate: rate, cpu: Int32(cpu))) }
        case "software":
            let event = try Self.softwareEvent(parts[1])
            let count = parts.count > 2 ? UInt64(parts[2]) ?? 1000 : (event == .cpuClock || event == .taskClock ? 1_000_000 : 1000)
            return try CPU.online.map { cpu in try program.attach(to: PerfEvent.software(event, rate: .period(count), cpu: Int32(cpu))) }
        case "hardware":
            let event = try Self.hardwareEvent(parts[1])
            let count = parts.count > 2 ? UInt64(parts[2]) ?? 1_000_000 : 1_000_000
            return try CPU.online.map { cpu in try program.attach(to: PerfEvent.hardware(event, rate: .period(count), cpu: Int32(cpu))) }
        default:
            throw RuntimeError.system("\(target.provider) probes are not supported yet")
        }
    }

    /// `s:1`, `ms:100`, `hz:99`, `1s`, `1000000` → a perf sample rate.
    static func rate(_ parts: [String]) throws -> SampleRate {
        func count(_ s: String) throws -> UInt64 {
            if let v = UInt64(s.filter { $0 != "_" }) { return v }
            for (unit, scale) in [("ns", 1), ("us", 1000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)] as [(String, UInt64)] {
                if s.hasSuffix(unit), let v = UInt64(s.dropLast(unit.count)) { return v * scale }
            }
            if let e = s.firstIndex(of: "e"), let m = UInt64(s[..<e]), let x = Int(s[s.index(after: e)...]) {
                var v = m
                for _ in 0..<x { v *= 10 }
                return v
            }
            throw RuntimeError.system("invalid rate '\(s)'")
        }
        if parts.count == 2 {
            let n = try count(parts[1])
            switch parts[0] {
            case "hz": return .frequency(n)
            case "s": return .period(n * 1_000_000_000)
            case "ms": return .period(n * 1_000_000)
            case "us": return .period(n * 1_000)
            default: return .period(n)
            }
        }
        return .period(try count(parts[0]))
    }

    static func softwareEvent(_ name: String) throws -> SoftwareEvent {
        switch name {
        case "cpu-clock", "cpu": return .cpuClock
        case "task-clock": return .taskClock
        case "page-faults", "faults": return .pageFaults
        case "context-switches", "cs": return .contextSwitches
        case "cpu-migrations": return .cpuMigrations
        case "minor-faults": return .minorFaults
        case "major-faults": return .majorFaults
        case "alignment-faults": return .alignmentFaults
        case "emulation-faults": return .emulationFaults
        case "dummy": return .dummy
        case "bpf-output": return .bpfOutput
        default: throw RuntimeError.system("unknown software event '\(name)'")
        }
    }

    static func hardwareEvent(_ name: String) throws -> HardwareEvent {
        switch name {
        case "cpu-cycles", "cycles": return .cpuCycles
        case "instructions": return .instructions
        case "cache-references": return .cacheReferences
        case "cache-misses": return .cacheMisses
        case "branch-instructions", "branches": return .branchInstructions
        case "branch-misses": return .branchMisses
        case "bus-cycles": return .busCycles
        case "frontend-stalls": return .stalledCyclesFrontend
        case "backend-stalls": return .stalledCyclesBackend
        case "ref-cycles": return .refCycles
        default: throw RuntimeError.system("unknown hardware event '\(name)'")
        }
    }
}
