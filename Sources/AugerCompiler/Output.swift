import AugerScript
import BPF

/// What a probe is attached to, after wildcards are expanded: what the
/// resolver found on this system, typed, never a string to split again.
public struct AttachTarget: Sendable {
    public var kind: ProbeKind
    public var location: Location
    /// The whole name, as the `probe` builtin returns it: `tracepoint:syscalls:sys_enter_read`.
    public var name: String
    /// The attach point it came from, for errors at attach time.
    public var range: SourceRange

    public enum Location: Sendable {
        /// Run by Auger itself: begin, end, test.
        case inProcess
        case bench(name: String)
        /// `self:signal:SIGUSR1`: run when Auger receives the signal.
        case signal(name: String)
        case tracepoint(category: String, name: String, format: TracepointFormat)
        case rawTracepoint(name: String)
        /// A function (or address) in an ELF file, at `offset` bytes into the file.
        case userFunction(path: String, symbol: String, offset: UInt64)
        /// Several functions of one ELF file behind one uprobe_multi link,
        /// served by one program: their names and file offsets.
        case userFunctions(path: String, symbols: [String], offsets: [UInt64])
        /// A USDT marker's location in an ELF file: its address (as the file
        /// gives it) and file offset, its semaphore's file offset (0: none),
        /// and where its arguments are.
        case usdt(path: String, address: UInt64, offset: UInt64, semaphore: UInt64, arguments: [USDTArgument])
        /// A hardware breakpoint: `length` bytes at `address`, on these accesses
        /// (the kernel's HW_BREAKPOINT_R/W/X bits).
        case breakpoint(address: UInt64, length: UInt64, access: UInt32)
        /// `watchpoint:FUNC+argN`: a breakpoint on the address argument
        /// `argument` holds when the function at `offset` of `path` is first
        /// entered; until then the program waits, unattached.
        case argumentBreakpoint(path: String, symbol: String, offset: UInt64, argument: Int, length: UInt64, access: UInt32)
        /// A BPF iterator (`task`): its `bpf_iter_NAME` function's BTF id.
        case iterator(name: String, btfID: UInt32)
        case perfEvent(PerfEventSource)
        /// A kernel function by name, `offset` bytes in (kprobes).
        case kernelFunction(name: String, offset: UInt64)
        /// Many kernel functions' entries (or returns) behind one kprobe_multi
        /// link, served by one program.
        case kernelFunctions(names: [String])
        /// Kernel functions' entries and returns behind one kprobe_session
        /// link: a kprobe and a kretprobe probe compiled into one program,
        /// which asks the kernel (bpf_session_is_return) which of the two runs.
        case kernelFunctionSession(names: [String])
        /// A kernel function a BPF trampoline calls the program from (fentry,
        /// fexit): its BTF id (in its module's BTF, when `module` is not nil)
        /// and what its context words hold.
        case tracedFunction(name: String, module: String?, btfID: UInt32, signature: FunctionSignature)
        /// A `syscalls:sys_enter_NAME` (or sys_exit) tracepoint served from the
        /// raw sys_enter (sys_exit) tracepoint: not attached itself, its
        /// program sits in slot `number` of the program array `table`, which
        /// the probe's dispatcher tail-calls.
        case syscall(category: String, name: String, format: TracepointFormat, number: Int, table: String)
        /// The raw sys_enter (sys_exit) program that finds the system call's
        /// number and tail-calls that call's program in `table`; compat
        /// (32-bit) system calls, which syscall tracepoints never see, it skips
        /// by the task's TS_COMPAT bit, `statusOffset` bytes into task_struct.
        case syscallDispatch(exit: Bool, table: String, numbers: [Int], statusOffset: Int)
    }

    public init(kind: ProbeKind, location: Location, name: String, range: SourceRange = .none) {
        self.kind = kind
        self.location = location
        self.name = name
        self.range = range
    }

    /// For tracepoints: the record layout.
    public var format: TracepointFormat? {
        if case .tracepoint(_, _, let format) = location { return format }
        if case .syscall(_, _, let format, _, _) = location { return format }
        return nil
    }

    /// For a system call served by a dispatcher: the program array it sits in.
    public var syscallTable: String? {
        if case .syscall(_, _, _, _, let table) = location { return table }
        return nil
    }

    /// For fentry and fexit: the function's signature.
    public var signature: FunctionSignature? {
        if case .tracedFunction(_, _, _, let signature) = location { return signature }
        return nil
    }

    /// For USDT probes: the marker's arguments.
    public var usdtArguments: (arguments: [USDTArgument], address: UInt64)? {
        if case .usdt(_, let address, _, _, let arguments) = location { return (arguments, address) }
        return nil
    }

    /// How many probes the target stands for: each function of a kprobe_multi counts.
    public var probeCount: Int {
        switch location {
        case .kernelFunctions(let names), .kernelFunctionSession(let names): names.count
        case .userFunctions(_, _, let offsets): offsets.count
        // Each system call counts, not the dispatcher that serves them.
        case .syscallDispatch: 0
        default: 1
        }
    }

    /// Whether one program serves several kernel functions (so `func` comes from the kernel).
    public var isMultiFunction: Bool {
        switch location {
        case .kernelFunctions, .kernelFunctionSession, .userFunctions: true
        default: false
        }
    }

    /// The program type that serves this kind.
    public var programType: ProgramType {
        switch location {
        case .syscall, .syscallDispatch: .rawTracepoint
        default: kind.programType
        }
    }
}

/// A sampling perf event: a timer or a counter, on some CPUs.
public struct PerfEventSource: Sendable, Equatable {
    public enum Counter: Sendable, Equatable {
        case software(SoftwareEvent)
        case hardware(HardwareEvent)
    }
    public var counter: Counter
    public var rate: SampleRate
    /// Where to open the event: one CPU for interval timers, all for the rest.
    public var cpus: [Int32]

    public init(counter: Counter, rate: SampleRate, cpus: [Int32]) {
        self.counter = counter
        self.rate = rate
        self.cpus = cpus
    }
}

extension ProbeKind {
    /// The BPF program type that serves the kind's probes.
    public var programType: ProgramType {
        switch self {
        case .tracepoint: .tracepoint
        case .begin, .end, .rawtracepoint, .test, .bench, .selfSignal: .rawTracepoint
        case .interval, .profile, .software, .hardware, .watchpoint, .asyncwatchpoint: .perfEvent
        case .fentry, .fexit, .iter: .tracing
        case .kprobe, .kretprobe, .uprobe, .uretprobe, .usdt: .kprobe
        }
    }

    /// The kernel's expected attach type for the kind's programs.
    public var attachType: AttachType {
        switch self {
        case .fentry: .traceFentry
        case .fexit: .traceFexit
        case .iter: .traceIter
        default: .none
        }
    }
}

/// How a script map is stored in the kernel and read back.
public struct ScriptMap: Sendable {
    public enum Kind: Sendable, Equatable {
        case plain
        case aggregate(Aggregate)
        /// Log2 histogram with 2^bits linear steps per power of two.
        case hist(bits: Int)
        case lhist(min: Int64, max: Int64, step: Int64)
        /// A ring of `intervals` buckets of `interval` ns each: the key gets
        /// the bucket index; each value is (value, meta, epoch) per CPU.
        case tseries(interval: Int64, intervals: Int64, aggregation: TSeriesAggregation)
    }

    /// For hist() and lhist() maps: their buckets.
    public var histogram: HistogramBuckets? {
        switch kind {
        case .hist(let bits): .log2(bits: bits)
        case .lhist(let lo, let hi, let step): .linear(min: lo, max: hi, step: step)
        default: nil
        }
    }
    /// What ring buffer records (print, clear, zero) name the map by.
    public var id: Int
    public var name: String
    public var key: SType?
    public var value: SType
    public var kind: Kind
    public var spec: MapSpec
    /// The user's key bytes; histograms append an 8-byte bucket index.
    public var userKeySize: Int
    /// Whether aggregated values are signed (sum, min, max, avg of negative numbers).
    public var signedValues: Bool = false

    public init(id: Int, name: String, key: SType?, value: SType, kind: Kind, spec: MapSpec, userKeySize: Int) {
        self.id = id
        self.name = name
        self.key = key
        self.value = value
        self.kind = kind
        self.spec = spec
        self.userKeySize = userKeySize
    }

    /// The map's name in the kernel and in programs' map references.
    public static func kernelName(_ scriptName: String) -> String { "m_" + scriptName }
}

/// One call of printf (or another formatted output) the runtime formats.
public struct FormattedCall: Sendable {
    public var function: String
    /// Where the call is, for errorf and warnf, which print it.
    public var range: SourceRange = .none
    /// Where the macros the call came from were called, for "expanded from" notes.
    public var expandedFrom: [SourceRange] = []
    public var format: FormatString
    public var argumentTypes: [SType]
    public var offsets: [Int]

    public init(function: String, range: SourceRange = .none, format: FormatString, argumentTypes: [SType], offsets: [Int]) {
        self.function = function
        self.range = range
        self.format = format
        self.argumentTypes = argumentTypes
        self.offsets = offsets
    }
}

/// An action a program asks user space to carry out, as the first word
/// of its ring buffer record.
public enum EventKind: UInt64, Sendable {
    case printf = 1, exit = 2, printMap = 3, clearMap = 4, zeroMap = 5, printValue = 6, time = 7, system = 8, cat = 9
    /// join(argv): `[count][argument strings]`, separators kept by id.
    case join = 10
    /// errorf/warnf: a formatted message shown with the call's location.
    case message = 11
    /// A function a watchpoint waits for was entered: `[address][pid]`,
    /// by the index of the waiting watchpoint (Auger's own arming program).
    case armWatchpoint = 12
    /// unwatch(addr): `[address]`; the watchpoints on it are removed.
    case unwatch = 13
}

/// A program compiled for one attach target.
public struct CompiledProgram: Sendable {
    public var probeIndex: Int
    public var target: AttachTarget
    public var spec: ProgramSpec
    /// Instruction index → the script range it came from, in order.
    public var sourceMap: [(instruction: Int, range: SourceRange)]
    /// How many probes "Attached N probes" counts for it: the target's, or
    /// every member's when probes on one event share the program.
    public var probeCount: Int
    /// Bytes of stack the program may use (512 when not known).
    public var stackBytes = ProbeCodeGen.maxStack

    public init(probeIndex: Int, target: AttachTarget, spec: ProgramSpec, sourceMap: [(instruction: Int, range: SourceRange)]) {
        self.probeIndex = probeIndex
        self.target = target
        self.spec = spec
        self.sourceMap = sourceMap
        self.probeCount = target.probeCount
    }

    /// The script range of the statement that produced `instruction`.
    public func sourceRange(of instruction: Int) -> SourceRange? {
        sourceMap.last { $0.instruction <= instruction }?.range
    }
}

/// Everything the runtime needs: programs, maps, and the tables that turn
/// ring buffer records back into text.
public struct CompiledScript: Sendable {
    /// getopt() names → descriptions, to check the command line against.
    public var options: [String: String] = [:]
    public var programs: [CompiledProgram]
    public var maps: [ScriptMap]
    public var formattedCalls: [FormattedCall]
    /// Calls that need --unsafe, other than system(): name and place.
    public var unsafeCalls: [(String, SourceRange)] = []
    /// `print(value)` calls: the type of each printed value.
    public var printedValues: [SType]
    /// `time(fmt)` formats.
    public var timeFormats: [String]
    /// `join(array, sep)` separators.
    public var joinSeparators: [String] = []
    /// join() reads at most this many arguments of this many bytes each.
    public static let joinArguments = 16
    public static let joinArgumentSize = 256
    /// Size of the per-CPU scratch buffer and the ring buffer.
    public var scratchSize: Int
    public var ringBufferSize: UInt32

    public static let ringBufferName = "ringbuf"
    public static let scratchName = "scratch"
    public static let globalsName = "globals"
    /// The globals map's value: start time, child pid, records lost to a full
    /// ring buffer, and whether the run is over (probes then do nothing).
    public static let globalsSize = 32
    public static let stoppedOffset = 24
    public static let lostEventsOffset = 16
    public static let stacksName = "stacks"
    /// Frames kept of each stack, as bpftrace keeps (PERF_MAX_STACK_DEPTH).
    public static let stackDepth = 127
    /// Whether programs take stacks, so the stack map is needed.
    public var usesStacks = false
    /// Whether programs record user addresses to name later (usym, a uprobe's func).
    public var usesUserAddresses = false
    /// Whether a traced process's mappings must be kept, to name its addresses after it exits.
    public var namesUserAddresses: Bool { usesStacks || usesUserAddresses }
}

/// A problem found while generating code, at a script location.
public struct CompileError: Error, Sendable {
    public var message: String
    public var range: SourceRange
    /// The command line is at fault (a getopt() value), not a place in the script.
    public var fromCommandLine = false
}
