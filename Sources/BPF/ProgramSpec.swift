import CBPF

/// Kinds of BPF program that Auger loads.
public enum ProgramType: UInt32, Sendable {
    case socketFilter = 1
    /// kprobes and uprobes.
    case kprobe = 2
    case tracepoint = 5
    /// Sampling perf events: timers, software events, breakpoints.
    case perfEvent = 7
    case rawTracepoint = 17
    /// BTF-typed programs: tp_btf, fentry, fexit, iterators.
    case tracing = 26
}

/// How a tracing program attaches (the kernel's `expected_attach_type`).
public enum AttachType: UInt32, Sendable {
    case none = 0
    case traceRawTracepoint = 23  // BPF_TRACE_RAW_TP (tp_btf)
    case traceFentry = 24
    case traceFexit = 25
    /// BPF iterators (iter:task, …): the program runs once per object, and a final time with none.
    case traceIter = 28
    case perfEvent = 41           // BPF_PERF_EVENT, for BPF_LINK_CREATE
    /// kprobe programs attached to many functions through one fprobe link.
    case traceKprobeMulti = 42
    /// uprobe programs attached to many offsets of one file through one link (Linux 6.6+).
    case traceUprobeMulti = 48
    /// One kprobe program run at both entry and return of each function
    /// (Linux 6.10+); it tells which with the bpf_session_is_return kfunc.
    case traceKprobeSession = 56
}

/// A description of a program: instructions and what the kernel needs to
/// know to load it. A plain value; `Program(spec, maps:)` loads it.
public struct ProgramSpec: Hashable, Sendable {
    /// Shown by bpftool; the kernel keeps 15 characters.
    public var name: String
    public var type: ProgramType
    public var instructions: [Instruction]
    /// `LD_IMM64` slots to fill with a map's descriptor at load time, by map name.
    public var mapReferences: [Int: String]
    /// Helpers such as bpf_probe_read need a GPL-compatible license.
    public var license: String
    public var expectedAttachType: AttachType
    /// For tracing programs: the BTF id of the function or tracepoint to attach to.
    public var attachBTFID: UInt32
    /// For tracing programs at a module's function: the module whose BTF
    /// `attachBTFID` is an id in (nil: vmlinux's).
    public var attachBTFModule: String?
    /// BPF functions after the main one (callbacks), by first instruction.
    /// When there are any, loading describes every function to the kernel in BTF.
    public var functions: [FunctionStart] = []

    public struct FunctionStart: Hashable, Sendable {
        public var offset: Int
        public var name: String
        public init(offset: Int, name: String) { self.offset = offset; self.name = name }
    }

    public init(name: String, type: ProgramType, instructions: [Instruction], mapReferences: [Int: String] = [:],
                license: String = "GPL", expectedAttachType: AttachType = .none, attachBTFID: UInt32 = 0) {
        self.name = name
        self.type = type
        self.instructions = instructions
        self.mapReferences = mapReferences
        self.license = license
        self.expectedAttachType = expectedAttachType
        self.attachBTFID = attachBTFID
    }

    public init(name: String, type: ProgramType, assembled: Assembled, license: String = "GPL",
                expectedAttachType: AttachType = .none, attachBTFID: UInt32 = 0) {
        self.init(name: name, type: type, instructions: assembled.instructions, mapReferences: assembled.mapReferences,
                  license: license, expectedAttachType: expectedAttachType, attachBTFID: attachBTFID)
        self.functions = assembled.functions.map { FunctionStart(offset: $0.offset, name: $0.name) }
    }
}
