// Glossary, since the words overlap:
// - trace event / tracepoint: a static hook in the kernel, listed in tracefs
//   under events/CATEGORY/NAME with a numeric id.
// - perf event: a file descriptor from perf_event_open(2). It can count or
//   sample a tracepoint, a timer, a software counter or a hardware breakpoint;
//   a BPF program attached to it runs whenever the event fires.
// - link: a descriptor that keeps a program attached; closing it detaches.

import CBPF
#if canImport(Glibc)
import Glibc
#endif

/// Software events the kernel counts without hardware support.
public enum SoftwareEvent: UInt64, Sendable, CaseIterable {
    case cpuClock = 0, taskClock = 1, pageFaults = 2, contextSwitches = 3, cpuMigrations = 4
    case minorFaults = 5, majorFaults = 6, alignmentFaults = 7, emulationFaults = 8, dummy = 9
    case bpfOutput = 10, cgroupSwitches = 11
}

/// Hardware counters of the CPU's performance monitoring unit. Many virtual
/// machines expose none; opening one there fails with ENOENT.
public enum HardwareEvent: UInt64, Sendable, CaseIterable {
    case cpuCycles = 0, instructions = 1, cacheReferences = 2, cacheMisses = 3, branchInstructions = 4
    case branchMisses = 5, busCycles = 6, stalledCyclesFrontend = 7, stalledCyclesBackend = 8, refCycles = 9
}

/// Access that triggers a hardware breakpoint.
public struct BreakpointAccess: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let read = BreakpointAccess(rawValue: UInt32(HW_BREAKPOINT_R))
    public static let write = BreakpointAccess(rawValue: UInt32(HW_BREAKPOINT_W))
    public static let execute = BreakpointAccess(rawValue: UInt32(HW_BREAKPOINT_X))
}

/// How often a sampling event fires.
public enum SampleRate: Hashable, Sendable {
    /// Every `n` occurrences (for clocks: every `n` nanoseconds).
    case period(UInt64)
    /// About `n` times a second.
    case frequency(UInt64)
}

/// The calling thread's id, for perf events that follow one thread.
public func currentThreadID() -> Int32 { cbpf_gettid() }

/// An open perf event, owned by this value; closing it stops the event and
/// detaches anything attached through it.
public final class PerfEvent: Sendable {
    public let fd: FileDescriptor
    /// What was opened, for messages.
    public let what: String

    init(attr: perf_event_attr, pid: Int32, cpu: Int32, what: String) throws {
        var attr = attr
        attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
        var r: Int32
        repeat {
            r = cbpf_perf_event_open(&attr, pid, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
        } while r < 0 && errno == EINTR
        if r < 0 {
            let e = Errno.current
            var hint: String? = nil
            if e == .noEntry || e == Errno(rawValue: ENODEV) { hint = "The kernel does not offer this event" }
            if e == Errno(rawValue: ESRCH) { hint = "No process has pid \(pid)" }
            throw BPFError(call: "perf_event_open", context: "open \(what)", errno: e, hint: hint)
        }
        self.fd = FileDescriptor(owning: r)
        self.what = what
    }

    /// A tracepoint's perf event. One event (any process, CPU 0) suffices:
    /// a program attached to it runs for the tracepoint on every CPU.
    public static func tracepoint(id: UInt64, name: String = "tracepoint") throws -> PerfEvent {
        var attr = perf_event_attr()
        attr.type = PERF_TYPE_TRACEPOINT.rawValue
        attr.config = id
        attr.sample_period = 1
        attr.wakeup_events = 1
        return try PerfEvent(attr: attr, pid: -1, cpu: 0, what: "tracepoint \(name)")
    }

    /// A software event sampled at `rate` on one CPU (or for one process).
    public static func software(_ event: SoftwareEvent, rate: SampleRate, cpu: Int32, pid: Int32 = -1) throws -> PerfEvent {
        var attr = perf_event_attr()
        attr.type = PERF_TYPE_SOFTWARE.rawValue
        attr.config = event.rawValue
        setRate(&attr, rate)
        return try PerfEvent(attr: attr, pid: pid, cpu: cpu, what: "software event \(event) on CPU \(cpu)")
    }

    /// A hardware counter sampled every `rate` occurrences on one CPU.
    public static func hardware(_ event: HardwareEvent, rate: SampleRate, cpu: Int32, pid: Int32 = -1) throws -> PerfEvent {
        var attr = perf_event_attr()
        attr.type = PERF_TYPE_HARDWARE.rawValue
        attr.config = event.rawValue
        setRate(&attr, rate)
        do {
            return try PerfEvent(attr: attr, pid: pid, cpu: cpu, what: "hardware event \(event) on CPU \(cpu)")
        } catch let error as BPFError where error.errno == .noEntry || error.errno == Errno(rawValue: EOPNOTSUPP) {
            throw BPFError(call: "perf_event_open", context: "open hardware event \(event)", errno: error.errno,
                           hint: "This machine exposes no hardware performance counters (common in virtual machines)")
        }
    }

    /// A hardware breakpoint on `length` bytes at `address`, for one process
    /// (pid, any CPU) or one CPU (pid -1).
    /// With `inherit`, threads and children the process starts later get it too.
    public static func breakpoint(address: UInt64, length: UInt64, access: BreakpointAccess, pid: Int32, cpu: Int32 = -1,
                                  inherit: Bool = false) throws -> PerfEvent {
        var attr = perf_event_attr()
        if inherit { attr.inherit = 1 }
        attr.type = PERF_TYPE_BREAKPOINT.rawValue
        attr.bp_type = access.rawValue
        attr.bp_addr = address
        attr.bp_len = length
        attr.sample_period = 1
        attr.wakeup_events = 1
        attr.precise_ip = 2
        return try PerfEvent(attr: attr, pid: pid, cpu: cpu,
                             what: "breakpoint at 0x\(String(address, radix: 16)) of \(length) bytes")
    }

    static func setRate(_ attr: inout perf_event_attr, _ rate: SampleRate) {
        switch rate {
        case .period(let n): attr.sample_period = n
        case .frequency(let n):
            attr.sample_freq = n
            attr.freq = 1
        }
    }

    func ioctl(_ request: UInt, _ arg: UInt, _ action: String) throws {
        if cbpf_ioctl(fd.rawValue, request, arg) < 0 {
            throw BPFError(call: "ioctl", context: "\(action) \(what)", errno: .current)
        }
    }
}

extension PerfEvent {
    /// A uprobe (or uretprobe) at byte `offset` of the ELF file `path`,
    /// through the kernel's uprobe PMU: for every process that maps the
    /// file, or only `pid`.
    /// `semaphore`: the file offset of a USDT semaphore (a 16-bit counter),
    /// which the kernel raises in every process that maps the file while
    /// the probe exists, and lowers again after (Linux 4.20+); 0 for none.
    public static func uprobe(path: String, offset: UInt64, returnProbe: Bool = false, pid: Int32 = -1, semaphore: UInt64 = 0) throws -> PerfEvent {
        try dynamicProbe(pmu: "uprobe", target: path, offset: offset, returnProbe: returnProbe, pid: pid,
                         what: "\(returnProbe ? "uretprobe" : "uprobe") \(path)+0x\(String(offset, radix: 16))",
                         config: semaphore << 32)  // PERF_UPROBE_REF_CTR_OFFSET_SHIFT
    }

    /// A kprobe (or kretprobe) on the kernel function `function`, `offset`
    /// bytes in (or at the address `function` when it is 0x…), through the
    /// kernel's kprobe PMU; it fires on every CPU for every process.
    public static func kprobe(function: String, offset: UInt64 = 0, returnProbe: Bool = false) throws -> PerfEvent {
        try dynamicProbe(pmu: "kprobe", target: function, offset: offset, returnProbe: returnProbe, pid: -1,
                         what: "\(returnProbe ? "kretprobe" : "kprobe") \(function)\(offset == 0 ? "" : "+\(offset)")")
    }

    /// A kprobe at a kernel address (config1 0: no name, config2 the address).
    public static func kprobe(address: UInt64, returnProbe: Bool = false) throws -> PerfEvent {
        try dynamicProbe(pmu: "kprobe", target: nil, offset: address, returnProbe: returnProbe, pid: -1,
                         what: "\(returnProbe ? "kretprobe" : "kprobe") 0x\(String(address, radix: 16))")
    }

    /// The uprobe and kprobe PMUs take the same attributes: config1 points to
    /// the path (or function name), config2 is the offset, and one config bit
    /// (named in format/retprobe) asks for a return probe.
    static func dynamicProbe(pmu name: String, target: String?, offset: UInt64, returnProbe: Bool, pid: Int32, what: String,
                             config: UInt64 = 0) throws -> PerfEvent {
        let pmu = "/sys/bus/event_source/devices/\(name)"
        guard let type = UInt32((try? readFile(pmu + "/type"))?.filter { !$0.isWhitespace } ?? "") else {
            throw BPFError(call: "perf_event_open", context: "open \(what)", errno: Errno(rawValue: ENOENT),
                           hint: "This kernel has no \(name) PMU (\(pmu))")
        }
        var attr = perf_event_attr()
        attr.type = type
        attr.config = config
        if returnProbe {
            // format/retprobe reads like "config:0": the bit that asks for a return probe.
            let format = (try? readFile(pmu + "/format/retprobe")) ?? "config:0"
            let bit = UInt64(format.split(separator: ":").last?.filter(\.isNumber) ?? "0") ?? 0
            attr.config |= 1 << bit
        }
        attr.sample_period = 1
        attr.wakeup_events = 1
        attr.config2 = offset
        guard let target else { return try PerfEvent(attr: attr, pid: pid, cpu: pid == -1 ? 0 : -1, what: what) }
        return try target.withCString { ctarget in
            attr.config1 = UInt64(UInt(bitPattern: ctarget))
            return try PerfEvent(attr: attr, pid: pid, cpu: pid == -1 ? 0 : -1, what: what)
        }
    }
}
