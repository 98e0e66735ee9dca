import AugerCompiler
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// A family of probe kinds that share a way to find their targets on the
/// running system and to attach programs to them (tracepoints, uprobes,
/// perf events, …). Each family is one file in Probes/.
protocol ProbeFamily: Sendable {
    /// The targets an attach point names here: wildcards expanded,
    /// symbols and rates resolved.
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget]
    /// Attaches a loaded program to one of its targets. Kinds that run in
    /// Auger's own process have no links.
    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link]
    /// Whether the kernel runs the programs on one event of this kind newest
    /// first (uprobe consumers, kprobes, trampolines list them so): then
    /// they are attached last to first, and run in the script's order.
    func runsNewestFirst(_ kind: ProbeKind) -> Bool
}

extension ProbeFamily {
    func runsNewestFirst(_ kind: ProbeKind) -> Bool { false }
}

extension ProbeKind {
    /// The family that resolves and attaches the kind's probes.
    var family: any ProbeFamily {
        switch self {
        case .begin, .end, .bench, .selfSignal, .test: InProcessProbes()
        case .tracepoint, .rawtracepoint: TracepointProbes()
        case .uprobe, .uretprobe: UserFunctionProbes()
        case .interval, .profile, .software, .hardware: PerfEventProbes()
        case .kprobe, .kretprobe, .fentry, .fexit: KernelFunctionProbes()
        case .usdt: USDTProbes()
        case .iter: IteratorProbes()
        case .watchpoint, .asyncwatchpoint: WatchpointProbes()
        }
    }
}

/// Mechanisms Auger uses where the kernel has them, which `--no-feature`
/// turns off (bpftrace's names).
public enum KernelFeature: String, Sendable, CaseIterable {
    /// One link for many kprobes.
    case kprobeMulti = "kprobe_multi"
    /// One link for many uprobes of one file.
    case uprobeMulti = "uprobe_multi"
    /// A kprobe and a kretprobe on the same functions as one program and link.
    case kprobeSession = "kprobe_session"
    /// System-call tracepoints served from raw sys_enter/sys_exit, one attachment each.
    case syscallDispatch = "syscall_dispatch"
}

/// What resolving and attaching may look at on the running system.
public struct ProbeSystem: Sendable {
    public var tracefs: Tracefs?
    public var types: TracepointTypes?
    /// The kernel's BTF (the type checker's, read once), for the names of its functions.
    public var kernel: KernelTypes
    /// -p PID: uprobes are opened for this process only.
    public var pid: Int32?
    /// The CPUs a per-CPU perf event is opened on.
    public var onlineCPUs: [Int32]
    /// Where sysfs is (tests point it at a fixture tree).
    public var sysfs = "/sys"

    public init(tracefs: Tracefs?, types: TracepointTypes?, kernel: KernelTypes? = nil, pid: Int32? = nil,
                onlineCPUs: [Int32] = CPU.online.map { Int32($0) }) {
        self.tracefs = tracefs
        self.types = types
        self.kernel = kernel ?? KernelTypes(tracepoints: types)
        self.pid = pid
        self.onlineCPUs = onlineCPUs
    }

    /// Whether the kernel has a module of this name with BTF.
    func hasModuleBTF(_ module: String) -> Bool { access("\(sysfs)/kernel/btf/\(module)", F_OK) == 0 }

    /// vmlinux and the loaded modules with BTF whose names match `pattern`, sorted.
    func modulesWithBTF(matching pattern: String) -> [String] {
        guard Glob.isPattern(pattern) else { return pattern == "vmlinux" || hasModuleBTF(pattern) ? [pattern] : [] }
        let all = directoryEntries("\(sysfs)/kernel/btf") ?? ["vmlinux"]
        return all.filter { Glob.matches(pattern, $0) }.sorted()
    }

    /// ftrace's list of traceable functions (50,000 lines), read once for
    /// all of a script's attach points; nil without tracefs or when unreadable.
    var traceableFunctions: [(name: String, module: String?)]? { functionList.value(tracefs) }
    private let functionList = FunctionList()

    /// Tests set this to resolve fentry probes as if the kernel built trampolines.
    var assumeTrampolines: Bool?
    /// Tests set this to combine kprobes as if the kernel had kprobe_multi links.
    var assumeKprobeMulti: Bool?
    /// --no-feature: mechanisms not to use even where the kernel has them.
    public var disabled: Set<KernelFeature> = []

    /// Whether one kprobe_multi link may serve many kprobes (probed once).
    var hasKprobeMulti: Bool {
        !disabled.contains(.kprobeMulti) && (assumeKprobeMulti ?? (hasKprobes && KernelFunctionSupport.kprobeMultiWorks))
    }

    /// Tests set this to combine uprobes as if the kernel had uprobe_multi links.
    var assumeUprobeMulti: Bool?

    /// Whether one uprobe_multi link may serve many uprobes of one file
    /// (probed once, at a function of the file it would be used for).
    func hasUprobeMulti(trying path: String, _ offset: UInt64) -> Bool {
        !disabled.contains(.uprobeMulti) && (assumeUprobeMulti ?? UprobeMultiSupport.works(trying: path, offset))
    }

    /// --unsafe: uprobes on functions of unknown size, offsets past their end.
    public var unsafe = false
    /// -c: the command, whose program a `watchpoint:FUNC+argN` names a function of.
    public var command: String?

    /// Tests set this to pair probes as if the kernel had kprobe_session links.
    var assumeKprobeSession: Bool?

    /// Whether one kprobe_session program may serve a kprobe and a kretprobe probe (probed once).
    var hasKprobeSession: Bool {
        !disabled.contains(.kprobeSession) && hasKprobeMulti
            && (assumeKprobeSession ?? (hasKprobes && KernelFunctionSupport.kprobeSessionProblem == nil))
    }

    /// Whether fentry and fexit programs attach here (probed once).
    var hasTrampolines: Bool { assumeTrampolines ?? KernelFunctionSupport.trampolinesWork }

    /// Whether the kernel has kprobes (their PMU).
    var hasKprobes: Bool { access("\(sysfs)/bus/event_source/devices/kprobe", F_OK) == 0 }
}

/// Expands attach points against the running system, kind by kind.
public struct AttachPointResolver: Sendable {
    public let system: ProbeSystem

    public init(_ system: ProbeSystem) { self.system = system }

    public init(tracefs: Tracefs?, types: TracepointTypes?, kernel: KernelTypes? = nil) {
        self.init(ProbeSystem(tracefs: tracefs, types: types, kernel: kernel))
    }

    public func resolve(_ point: AttachPoint) throws(AttachError) -> [AttachTarget] {
        try point.kind.family.resolve(point, in: system)
    }

    /// One probe's targets, with those one link can serve merged (kprobe_multi, uprobe_multi).
    public func combine(_ targets: [AttachTarget], of probe: Probe) -> [AttachTarget] {
        UserFunctionProbes.combine(KernelFunctionProbes.combine(targets, of: probe, in: system), of: probe, in: system)
    }

    /// Pairs of kprobe and kretprobe probes one kprobe_session program can
    /// serve; their targets become one `.kernelFunctionSession` each.
    public func sessions(_ probes: [Probe], _ targets: inout [[AttachTarget]]) -> [SessionPair] {
        KernelFunctionProbes.sessions(probes, &targets, in: system)
    }

    /// The script's system-call tracepoints, served from raw sys_enter/sys_exit
    /// where they can be (see TracepointProbes.dispatchSyscalls).
    public func dispatchSyscalls(_ targets: inout [[AttachTarget]]) {
        TracepointProbes.dispatchSyscalls(&targets, in: system)
    }

    /// Attaches `program` to `target`; an error names the attach point's place.
    /// `process`: the -c command's pid, for probes attached to it once it exists.
    public func attach(_ program: BPF.Program, to target: AttachTarget, process: Int32? = nil) throws(AttachError) -> [Link] {
        var system = system
        if let process { system.pid = process }
        return try target.kind.family.attach(program, to: target, in: system)
    }
}

/// Why an attach point cannot be used here, at the attach point's place.
public struct AttachError: Error, Sendable {
    public enum Reason: Sendable {
        /// Nothing on this system has the name: `No matches for tracepoint x:y.`
        case noMatches(ProbeKind, String)
        /// A wildcard that matched nothing.
        case noValidAttachPoints
        /// A value in the attach point that cannot be used (a signal, a rate, a binary).
        case invalid(String)
        /// The kernel lacks what the kind needs.
        case unavailable(String)
        /// Auger cannot serve the kind yet.
        case notSupported(ProbeKind)
        /// The kernel refused to attach.
        case kernel(target: String, BPFError)
    }

    public var reason: Reason
    public var range: SourceRange
    /// Said before the error, at the same place (bpftrace warns that a
    /// function is not traceable, then says nothing matched).
    public var warning: String?

    public init(_ reason: Reason, at range: SourceRange) {
        self.reason = reason
        self.range = range
    }

    public var message: String {
        switch reason {
        case .noMatches(let kind, let what): "No matches for \(kind.name) \(what)."
        case .noValidAttachPoints: "Probe has no valid attach points."
        case .invalid(let why), .unavailable(let why): why
        case .notSupported(let kind): "\(kind.name) probes are not supported yet"
        case .kernel(let target, _): "Unable to attach probe: \(target). If this is expected, set the 'missing_probes' config variable to 'warn'."
        }
    }

    /// The error at its place in the script: `file:line:col: ERROR: …`.
    static func rendered(_ error: AttachError, in source: SourceFile) -> String {
        error.diagnostics.rendered(in: source)
    }

    /// The warning, if any, then the error; what the kernel said as its hint.
    var diagnostics: Diagnostics {
        var d = Diagnostics()
        if let warning { d.warning(warning, at: range) }
        d.error(message, at: range, hint: kernelReason)
        return d
    }

    /// Why the kernel refused to attach, when it did.
    var kernelReason: String? {
        if case .kernel(_, let error) = reason { return "\(error)" }
        return nil
    }

    /// bpftrace reports names that match nothing before anything else.
    public var isNoMatch: Bool {
        switch reason {
        case .noMatches, .noValidAttachPoints: true
        default: false
        }
    }
}

extension AttachError {
    /// Runs a kernel call that attaches `target`, turning its failure into an AttachError.
    static func attaching<T>(_ target: AttachTarget, _ body: () throws -> T) throws(AttachError) -> T {
        do { return try body() } catch let error as BPFError {
            throw AttachError(.kernel(target: target.name, error), at: target.range)
        } catch {
            throw AttachError(.unavailable("Error attaching probe: \(target.name): \(error)"), at: target.range)
        }
    }
}

/// The traceable-function list, read on first use. Resolving runs on one
/// thread, before anything is attached.
private final class FunctionList: @unchecked Sendable {
    private var read = false
    private var functions: [(name: String, module: String?)]?

    func value(_ tracefs: Tracefs?) -> [(name: String, module: String?)]? {
        if !read { functions = try? tracefs?.traceableFunctions(); read = true }
        return functions
    }
}
