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
    case aggregate(Aggregate)
    case kstack, ustack, ksym, usym
    case timestamp, inet, macaddr, cgroupPath, strerror, username
    /// `args` of a tracepoint: a record of its fields.
    case probeArgs
    /// A map used as a value (`print(@m)`), or a type passed to a macro.
    case map
    case typeValue

    public static let u8 = SType.integer(bits: 8, signed: false)
    public static let u16 = SType.integer(bits: 16, signed: false)
    public static let u32 = SType.integer(bits: 32, signed: false)
    public static let u64 = SType.integer(bits: 64, signed: false)
    public static let i8 = SType.integer(bits: 8, signed: true)
    public static let i16 = SType.integer(bits: 16, signed: true)
    public static let i32 = SType.integer(bits: 32, signed: true)
    public static let i64 = SType.integer(bits: 64, signed: true)

    public var isInteger: Bool { if case .integer = self { true } else { false } }
    public var isPointer: Bool { if case .pointer = self { true } else { false } }
    public var isString: Bool { if case .string = self { true } else { false } }
    public var isAggregate: Bool { if case .aggregate = self { true } else { false } }
    /// Integers, bools and pointers: what arithmetic and conditions take.
    public var isScalar: Bool {
        switch self { case .integer, .bool, .pointer: true; default: false }
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
        case .aggregate(let a): a.rawValue + "_t"
        case .kstack: "kstack"
        case .ustack: "ustack"
        case .ksym: "ksym_t"
        case .usym: "usym_t"
        case .timestamp: "timestamp"
        case .inet: "inet"
        case .macaddr: "macaddr_t"
        case .cgroupPath: "cgroup_path_t"
        case .strerror: "strerror_t"
        case .username: "username"
        case .probeArgs: "args"
        case .map: "map"
        case .typeValue: "type"
        }
    }
}

public struct RecordField: Hashable, Sendable {
    public var name: String
    public var type: SType
}

/// Map value kinds that aggregate per CPU and merge in user space.
public enum Aggregate: String, Sendable, CaseIterable {
    case count, sum, avg, min, max, stats, hist, lhist, tseries
}
