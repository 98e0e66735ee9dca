import AugerCompiler
import AugerScript
import BPF

/// interval and profile (timers), software and hardware counters: sampling
/// perf events, one per CPU (interval: one in all).
struct PerfEventProbes: ProbeFamily {
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        let source: PerfEventSource
        do throws(RateError) {
            source = try Self.source(point.kind, point.parts, cpus: system.onlineCPUs)
        } catch {
            throw AttachError(.invalid(error.message), at: point.range)
        }
        return [AttachTarget(kind: point.kind, location: .perfEvent(source),
                             name: "\(point.kind.name):\(point.parts.joined(separator: ":"))", range: point.range)]
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        guard case .perfEvent(let source) = target.location else { throw AttachError(.notSupported(target.kind), at: target.range) }
        // -p PID: a software or hardware event counts that process's threads
        // (on whichever CPU), as bpftrace opens them; timers stay per CPU.
        var places: [(cpu: Int32, pid: Int32)] = source.cpus.map { ($0, -1) }
        if let pid = system.pid, target.kind == .software || target.kind == .hardware {
            let threads = (directoryEntries("/proc/\(pid)/task") ?? []).compactMap { Int32($0) }
            places = (threads.isEmpty ? [pid] : threads).map { (-1, $0) }
        }
        return try AttachError.attaching(target) {
            try places.map { place in
                let event = switch source.counter {
                case .software(let e): try PerfEvent.software(e, rate: source.rate, cpu: place.cpu, pid: place.pid)
                case .hardware(let e): try PerfEvent.hardware(e, rate: source.rate, cpu: place.cpu, pid: place.pid)
                }
                return try program.attach(to: event)
            }
        }
    }

    struct RateError: Error { var message: String }

    /// The event an attach point names: `interval:s:1` → the CPU clock every second on CPU 0.
    static func source(_ kind: ProbeKind, _ parts: [String], cpus: [Int32]) throws(RateError) -> PerfEventSource {
        switch kind {
        case .interval:
            return PerfEventSource(counter: .software(.cpuClock), rate: try rate(parts), cpus: Array(cpus.prefix(1)))
        case .software:
            guard let event = softwareEvent(parts[0]) else { throw RateError(message: "unknown software event '\(parts[0])'") }
            let clock = event == .cpuClock || event == .taskClock
            let count = parts.count > 1 && !parts[1].isEmpty ? try count(parts[1]) : (clock ? 1_000_000 : 1000)
            return PerfEventSource(counter: .software(event), rate: .period(count), cpus: cpus)
        case .hardware:
            guard let event = hardwareEvent(parts[0]) else { throw RateError(message: "unknown hardware event '\(parts[0])'") }
            let count = parts.count > 1 && !parts[1].isEmpty ? try count(parts[1]) : 1_000_000
            return PerfEventSource(counter: .hardware(event), rate: .period(count), cpus: cpus)
        default:
            return PerfEventSource(counter: .software(.cpuClock), rate: try rate(parts), cpus: cpus)
        }
    }

    /// `s:1`, `ms:100`, `hz:99`, `1s`, `1000000` → a perf sample rate.
    static func rate(_ parts: [String]) throws(RateError) -> SampleRate {
        let rate: SampleRate
        if parts.count == 2 {
            let n = try count(parts[1])
            switch parts[0] {
            case "hz": rate = .frequency(n)
            case "s": rate = .period(try scaled(n, 1_000_000_000, parts[1]))
            case "ms": rate = .period(try scaled(n, 1_000_000, parts[1]))
            case "us": rate = .period(try scaled(n, 1_000, parts[1]))
            default: rate = .period(n)
            }
        } else {
            rate = .period(try count(parts[0]))
        }
        switch rate {
        case .period(0), .frequency(0): throw RateError(message: "invalid rate '\(parts.joined(separator: ":"))': it must be above zero")
        case .period(let ns) where ns > maxPeriod:
            throw RateError(message: "invalid rate '\(parts.joined(separator: ":"))': periods are at most \(maxPeriod / 1_000_000_000) s")
        default: return rate
        }
    }

    /// perf_event_open takes a 64-bit period, but the kernel's timers stop
    /// making sense long before: a day is plenty for a tracer.
    static let maxPeriod: UInt64 = 86_400 * 1_000_000_000

    static func scaled(_ n: UInt64, _ scale: UInt64, _ written: String) throws(RateError) -> UInt64 {
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        if overflow { throw RateError(message: "invalid rate '\(written)': too large") }
        return v
    }

    /// `100`, `1_000`, `1e6`, `100ms` (as nanoseconds).
    static func count(_ s: String) throws(RateError) -> UInt64 {
        if let v = UInt64(s.filter { $0 != "_" }) { return v }
        for (unit, scale) in [("ns", 1), ("us", 1000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)] as [(String, UInt64)] {
            if s.hasSuffix(unit), let v = UInt64(s.dropLast(unit.count)) { return try scaled(v, scale, s) }
        }
        if let e = s.firstIndex(of: "e"), let m = UInt64(s[..<e]), let x = Int(s[s.index(after: e)...]), x >= 0 {
            var v = m
            for _ in 0..<x { v = try scaled(v, 10, s) }
            return v
        }
        throw RateError(message: "invalid rate '\(s)'")
    }

    static func softwareEvent(_ name: String) -> SoftwareEvent? {
        switch name {
        case "cpu-clock", "cpu": .cpuClock
        case "task-clock": .taskClock
        case "page-faults", "faults": .pageFaults
        case "context-switches", "cs": .contextSwitches
        case "cpu-migrations": .cpuMigrations
        case "minor-faults": .minorFaults
        case "major-faults": .majorFaults
        case "alignment-faults": .alignmentFaults
        case "emulation-faults": .emulationFaults
        case "dummy": .dummy
        case "bpf-output": .bpfOutput
        default: nil
        }
    }

    static func hardwareEvent(_ name: String) -> HardwareEvent? {
        switch name {
        case "cpu-cycles", "cycles": .cpuCycles
        case "instructions": .instructions
        case "cache-references": .cacheReferences
        case "cache-misses": .cacheMisses
        case "branch-instructions", "branches": .branchInstructions
        case "branch-misses": .branchMisses
        case "bus-cycles": .busCycles
        case "frontend-stalls": .stalledCyclesFrontend
        case "backend-stalls": .stalledCyclesBackend
        case "ref-cycles": .refCycles
        default: nil
        }
    }
}
