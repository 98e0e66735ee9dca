/// A kind of probe: what `tracepoint` in `tracepoint:syscalls:sys_enter_read`
/// names. Everything that depends on the kind is answered here, so a new
/// kind is one case, its answers, and the runtime file that attaches it.
public enum ProbeKind: String, CaseIterable, Hashable, Sendable {
    case begin, end
    case tracepoint, rawtracepoint
    case kprobe, kretprobe, fentry, fexit
    case uprobe, uretprobe, usdt
    case profile, interval, software, hardware
    case watchpoint, asyncwatchpoint
    case iter
    /// `self:signal:SIGUSR1`: runs when Auger receives the signal.
    case selfSignal = "self"
    case bench, test

    /// The full name, as `probe` and messages print it.
    public var name: String { rawValue }

    /// Every name the kind answers to in an attach point (full name first).
    public var spellings: [String] {
        switch self {
        case .begin: ["begin", "BEGIN"]
        case .end: ["end", "END"]
        case .tracepoint: ["tracepoint", "t"]
        case .rawtracepoint: ["rawtracepoint", "rt"]
        case .kprobe: ["kprobe", "k"]
        case .kretprobe: ["kretprobe", "kr"]
        case .fentry: ["fentry", "kfunc", "f"]
        case .fexit: ["fexit", "kretfunc", "fr"]
        case .uprobe: ["uprobe", "u"]
        case .uretprobe: ["uretprobe", "ur"]
        case .usdt: ["usdt", "U"]
        case .profile: ["profile", "p"]
        case .interval: ["interval", "i"]
        case .software: ["software", "s"]
        case .hardware: ["hardware", "h"]
        case .watchpoint: ["watchpoint", "w"]
        case .asyncwatchpoint: ["asyncwatchpoint", "aw"]
        case .iter: ["iter", "it"]
        case .selfSignal: ["self"]
        case .bench: ["bench"]
        case .test: ["test"]
        }
    }

    private static let bySpelling: [String: ProbeKind] = {
        var table: [String: ProbeKind] = [:]
        for kind in allCases { for s in kind.spellings { table[s] = kind } }
        return table
    }()

    /// The kind an attach point's first part names, or nil.
    public init?(written: String) {
        guard let kind = Self.bySpelling[written] else { return nil }
        self = kind
    }

    /// How many colon-separated parts may follow the kind's name.
    public var arity: ClosedRange<Int> {
        switch self {
        case .begin, .end: 0...0
        case .tracepoint, .selfSignal: 2...2
        case .rawtracepoint, .kprobe, .kretprobe, .profile, .interval, .software, .hardware, .iter: 1...2
        case .fentry, .fexit, .uprobe, .uretprobe, .usdt: 1...3
        case .watchpoint, .asyncwatchpoint: 3...3
        case .test, .bench: 1...1
        }
    }

    /// An attach point of this kind, for error messages.
    public var example: String? {
        switch self {
        case .tracepoint: "tracepoint:syscalls:sys_enter_openat"
        case .kprobe: "kprobe:vfs_read"
        case .uprobe: "uprobe:/bin/bash:readline"
        case .profile: "profile:hz:99"
        case .interval: "interval:s:1"
        case .watchpoint: "watchpoint:0x1000:8:w"
        case .software: "software:cpu-clock:1000000"
        case .selfSignal: "self:signal:SIGUSR1"
        case .begin, .end, .rawtracepoint, .kretprobe, .fentry, .fexit, .uretprobe, .usdt, .hardware, .asyncwatchpoint, .iter, .bench, .test: nil
        }
    }

    // MARK: What the kind's probes can do

    /// Where `arg0`…`argN` come from.
    public enum ArgumentSource: Sendable {
        /// The calling convention's registers in pt_regs (and the stack, for sargN).
        case registers
        /// The context is an array of 64-bit words (raw tracepoints).
        case contextWords
        case none
    }

    public var argumentSource: ArgumentSource {
        switch self {
        case .kprobe, .uprobe, .usdt: .registers
        case .rawtracepoint: .contextWords
        case .begin, .end, .tracepoint, .kretprobe, .fentry, .fexit, .uretprobe, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .iter, .selfSignal, .bench, .test: .none
        }
    }

    /// Whether the program's context starts with the interrupted pt_regs, so
    /// `reg("ip")` can read them (perf events' context begins with them too).
    public var contextHasRegisters: Bool {
        switch self {
        case .kprobe, .kretprobe, .uprobe, .uretprobe, .usdt, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint: true
        case .begin, .end, .tracepoint, .rawtracepoint, .fentry, .fexit, .iter, .selfSignal, .bench, .test: false
        }
    }

    /// Where the fields of `args` are read from.
    public enum ArgsLayout: Sendable {
        /// The tracepoint's record, laid out as its tracefs format says.
        case tracepointRecord
        /// One u64 word of the context per argument, typed by BTF
        /// (raw tracepoints, fentry, fexit).
        case contextWords
        /// Registers and stack, as the program's debug info places them (uprobes).
        case debugInfo
        /// The iterator's context struct.
        case iteratorContext
        case none
    }

    public var argsLayout: ArgsLayout {
        switch self {
        case .tracepoint: .tracepointRecord
        case .rawtracepoint, .fentry, .fexit: .contextWords
        case .uprobe, .uretprobe: .debugInfo
        case .iter: .iteratorContext
        case .begin, .end, .kprobe, .kretprobe, .usdt, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .selfSignal, .bench, .test: .none
        }
    }

    /// Whether the `args` builtin is a record of the probe's arguments.
    public var hasArgs: Bool { argsLayout != .none }

    /// Whether `retval` is the traced function's return value.
    public var hasRetval: Bool {
        switch self {
        case .kretprobe, .uretprobe, .fexit: true
        case .begin, .end, .tracepoint, .rawtracepoint, .kprobe, .fentry, .uprobe, .usdt, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .iter, .selfSignal, .bench, .test: false
        }
    }

    /// Whether the probe fires when a function returns (through a return trampoline).
    public var isReturnProbe: Bool { self == .kretprobe || self == .uretprobe }

    /// Whether `func` names the traced function.
    public var hasFunc: Bool {
        switch self {
        case .kprobe, .kretprobe, .uprobe, .uretprobe, .fentry, .fexit: true
        case .begin, .end, .tracepoint, .rawtracepoint, .usdt, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .iter, .selfSignal, .bench, .test: false
        }
    }

    /// Whether the instruction pointer the probe sees is one past the
    /// function's first byte (the breakpoint instruction's end).
    /// (The uprobe handler sets the ip back to the probed instruction first.)
    public var instructionPointerPastEntry: Bool { self == .kprobe }

    /// Whether `ctx` is available.
    public var hasContext: Bool {
        switch self {
        case .iter, .kprobe, .kretprobe, .uprobe, .uretprobe, .tracepoint, .profile, .interval, .software, .hardware,
             .watchpoint, .asyncwatchpoint: true
        case .begin, .end, .rawtracepoint, .fentry, .fexit, .usdt, .selfSignal, .bench, .test: false
        }
    }

    /// Whether the probe traces a user-space program: its pointers are
    /// user addresses, `func` is a user symbol, the attach point names a binary.
    public var tracesUserSpace: Bool {
        switch self {
        case .uprobe, .uretprobe, .usdt: true
        case .begin, .end, .tracepoint, .rawtracepoint, .kprobe, .kretprobe, .fentry, .fexit, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .iter, .selfSignal, .bench, .test: false
        }
    }

    /// BEGIN and END: bpftrace's "special" probes, which frame the run.
    public var isSpecial: Bool { self == .begin || self == .end }

    /// What `probetype` prints.
    public var probetypeName: String { isSpecial ? "special" : name }

    /// Whether the probe runs in Auger's own process, from user space
    /// (test runs), rather than being attached to kernel events.
    public var runsInAuger: Bool {
        switch self {
        case .begin, .end, .bench, .selfSignal, .test: true
        case .tracepoint, .rawtracepoint, .kprobe, .kretprobe, .fentry, .fexit, .uprobe, .uretprobe, .usdt, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .iter: false
        }
    }

    /// Whether `usermode` is 1: the probe interrupts user code (or is Auger's own).
    public var firesInUserMode: Bool { tracesUserSpace || isSpecial }

    /// Whether `-p PID` filters the probe in its program: it fires for every
    /// process (uprobes are attached to the process itself instead).
    public var filteredByPID: Bool {
        switch self {
        case .tracepoint, .rawtracepoint, .kprobe, .kretprobe, .fentry, .fexit: true
        case .begin, .end, .uprobe, .uretprobe, .usdt, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .iter, .selfSignal, .bench, .test: false
        }
    }

    /// Auger runs the program itself, once, and drains its output right after:
    /// what it prints never competes with events for the ring buffer.
    public var runsOnce: Bool { self == .begin || self == .end || self == .test || self == .selfSignal }

    /// Timers start after BEGIN has run, so `interval:s:1` fires a whole second after it.
    public var isTimer: Bool { self == .interval || self == .profile }

    /// Whether resolving the kind's attach points needs tracefs: tracepoint
    /// formats, or ftrace's list of the functions that may be traced.
    public var needsTracefs: Bool {
        switch self {
        case .tracepoint, .rawtracepoint, .kprobe, .kretprobe, .fentry, .fexit: true
        case .begin, .end, .uprobe, .uretprobe, .usdt, .profile, .interval, .software, .hardware, .watchpoint, .asyncwatchpoint, .iter, .selfSignal, .bench, .test: false
        }
    }
}
