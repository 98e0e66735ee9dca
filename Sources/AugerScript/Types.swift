/// The types the checker assigns to expressions, following bpftrace's.
public indirect enum SType: Hashable, Sendable, CustomStringConvertible {
    case void
    case integer(bits: Int, signed: Bool)
    case bool
    /// A string of at most `n` bytes including the terminating NUL.
    case string(Int)
    case buffer(Int)
    case pointer(SType)
    case array(SType, Int)
    case tuple([SType])
    case record([RecordField])
    /// A C struct, union or enum known by name (from BTF or a definition).
    case cType(String)
    /// A value of a C enum, named by the enum: a 64-bit integer that prints
    /// as its constant's name.
    case enumValue(String)
    case aggregate(Aggregate)
    /// A stack id, printed in a mode with at most so many frames.
    case kstack(StackFormat), ustack(StackFormat)
    case ksym, usym
    case timestamp, inet, macaddr, cgroupPath, strerror, username
    /// signal_name(n): a signal number that prints as its description.
    case signalName
    /// syscall_name(n): a system call number that prints as its name.
    case syscallName
    /// `args` of a tracepoint: a record of its fields.
    case probeArgs
    /// A map used as a value (`print(@m)`), or a type passed to a macro.
    case map
    case typeValue
    /// Not known without the running kernel's type information (BTF or a
    /// tracepoint's format); every check passes it.
    case unknown

    public static let u8 = SType.integer(bits: 8, signed: false)
    public static let u16 = SType.integer(bits: 16, signed: false)
    public static let u32 = SType.integer(bits: 32, signed: false)
    public static let u64 = SType.integer(bits: 64, signed: false)
    public static let i8 = SType.integer(bits: 8, signed: true)
    public static let i16 = SType.integer(bits: 16, signed: true)
    public static let i32 = SType.integer(bits: 32, signed: true)
    public static let i64 = SType.integer(bits: 64, signed: true)

    public var isInteger: Bool {
        switch self { case .integer, .enumValue: true; default: false }
    }
    /// An integer that prints as a number (not an enum's constant).
    public var isPlainInteger: Bool { if case .integer = self { true } else { false } }
    /// An enum value as the plain integer arithmetic makes of it.
    public var withoutEnum: SType { if case .enumValue = self { .u64 } else { self } }
    public var isPointer: Bool { if case .pointer = self { true } else { false } }
    public var isString: Bool { if case .string = self { true } else { false } }
    public var isAggregate: Bool { if case .aggregate = self { true } else { false } }
    /// Integers, bools and pointers: what arithmetic and conditions take.
    public var isScalar: Bool {
        switch self { case .integer, .bool, .pointer, .enumValue, .unknown: true; default: false }
    }

    /// Widens two types to one that holds both, as bpftrace does for a
    /// variable or map assigned twice: integers grow (a signed type twice the
    /// unsigned one's width when signs differ), strings take the longer size.
    public static func unify(_ a: SType, _ b: SType) -> SType? {
        if a == b { return a }
        if case .enumValue = a { return unify(.u64, b) }
        if case .enumValue = b { return unify(a, .u64) }
        switch (a, b) {
        case (.unknown, _): return b
        case (_, .unknown): return a
        case (.integer(let ab, let asg), .integer(let bb, let bsg)):
            if asg == bsg { return .integer(bits: max(ab, bb), signed: asg) }
            let (unsignedBits, signedBits) = asg ? (bb, ab) : (ab, bb)
            let bits = max(signedBits, unsignedBits * 2)
            return bits <= 64 ? .integer(bits: bits, signed: true) : nil
        case (.string(let x), .string(let y)): return .string(max(x, y))
        case (.buffer(let x), .buffer(let y)): return .buffer(max(x, y))
        case (.tuple(let xs), .tuple(let ys)) where xs.count == ys.count:
            var out: [SType] = []
            for (x, y) in zip(xs, ys) {
                guard let u = unify(x, y) else { return nil }
                out.append(u)
            }
            return .tuple(out)
        case (.record(let xs), .record(let ys)) where Set(xs.map(\.name)) == Set(ys.map(\.name)) && xs.count == ys.count:
            // Fields match by name; the first type's order is kept.
            var out: [RecordField] = []
            for x in xs {
                guard let y = ys.first(where: { $0.name == x.name }), let u = unify(x.type, y.type) else { return nil }
                out.append(RecordField(name: x.name, type: u))
            }
            return .record(out)
        case (.pointer(.void), .pointer), (.pointer, .pointer(.void)): return a == .pointer(.void) ? b : a
        case (.pointer(let x), .pointer(let y)): return unify(x, y).map { .pointer($0) }
        default: return nil
        }
    }

    /// The smallest integer type that holds `value` (negated when `negative`).
    public static func literal(_ value: UInt64, negative: Bool) -> SType? {
        if !negative {
            for bits in [8, 16, 32, 64] where bits == 64 || value < (UInt64(1) << UInt64(bits)) { return .integer(bits: bits, signed: false) }
        }
        for bits in [8, 16, 32, 64] where value <= (UInt64(1) << UInt64(bits - 1)) { return .integer(bits: bits, signed: true) }
        return nil
    }

    public var description: String {
        switch self {
        case .void: "void"
        case .integer(let bits, let signed): "\(signed ? "" : "u")int\(bits)"
        case .bool: "bool"
        case .string(let n): "string[\(n)]"
        case .buffer(let n): "buffer[\(n)]"
        case .pointer(let t): "\(t) *"
        case .array(let t, let n): "\(t)[\(n)]"
        case .tuple(let ts): "(" + ts.map(\.description).joined(separator: ", ") + ")"
        case .record(let fs): "(" + fs.map { "\($0.name)=\($0.type)" }.joined(separator: ", ") + ")"
        case .cType(let name): name
        case .enumValue(let name): "enum \(name)"
        case .aggregate(let a): a.rawValue + "_t"
        case .kstack(let f): "kstack" + f.suffix
        case .ustack(let f): "ustack" + f.suffix
        case .ksym: "ksym_t"
        case .usym: "usym_t"
        case .timestamp: "timestamp"
        case .inet: "inet"
        case .macaddr: "macaddr_t"
        case .cgroupPath: "cgroup_path_t"
        case .strerror: "strerror_t"
        case .signalName: "signal_name_t"
        case .syscallName: "syscall_name_t"
        case .username: "username"
        case .probeArgs: "args"
        case .map: "map"
        case .typeValue: "type"
        case .unknown: "unknown"
        }
    }
}

public struct RecordField: Hashable, Sendable {
    public var name: String
    public var type: SType

    public init(name: String, type: SType) {
        self.name = name
        self.type = type
    }
}

/// Map value kinds that aggregate per CPU and merge in user space.
public enum Aggregate: String, Sendable, CaseIterable {
    case count, sum, avg, min, max, stats, hist, lhist, tseries
}

/// bpftrace's stack modes: `bpftrace` (symbol+offset, indented), `perf`
/// (address, symbol, object), `raw` (addresses), `build_id`.
public enum StackMode: String, Sendable, Hashable, CaseIterable {
    case bpftrace, perf, raw
    case buildID = "build_id"
}

/// How a kstack or ustack value prints: `kstack(perf, 3)`. A nil mode is the
/// `stack_mode` setting's; a nil limit is every frame taken.
public struct StackFormat: Sendable, Hashable {
    public var mode: StackMode?
    public var limit: Int?
    public init(mode: StackMode? = nil, limit: Int? = nil) { self.mode = mode; self.limit = limit }
    /// Every frame, in the configured mode.
    public static let whole = StackFormat()

    var suffix: String {
        let parts = [mode?.rawValue, limit.map(String.init)].compactMap { $0 }
        return parts.isEmpty ? "" : "(" + parts.joined(separator: ", ") + ")"
    }
}

extension SType {
    public var isStack: Bool {
        switch self {
        case .kstack, .ustack: true
        default: false
        }
    }
}
