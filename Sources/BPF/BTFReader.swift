#if canImport(Glibc)
import Glibc
#endif

/// The kernel's own type information (/sys/kernel/btf/vmlinux), read on
/// demand: one pass indexes where each type starts and which structs and
/// unions have which names; members are decoded when asked for.
public final class KernelBTF: @unchecked Sendable {
    public enum Kind: UInt32, Sendable {
        case int = 1, pointer, array, structure, union, enumeration, forward, typedef, volatile, const, restrict
        case function, functionPrototype, variable, dataSection, float, declarationTag, typeTag, enumeration64
    }

    /// One member of a struct or union.
    public struct Member: Sendable {
        public var name: String
        public var type: UInt32
        /// From the start of the containing type, in bits.
        public var bitOffset: UInt32
        /// Non-zero for a bitfield.
        public var bitSize: UInt32
    }

    /// What Auger needs of a type, with qualifiers and typedefs left to `resolved`.
    public enum Shape: Sendable, Equatable {
        case void
        case integer(bytes: Int, signed: Bool)
        case pointer(to: UInt32)
        case array(of: UInt32, count: Int)
        case record(name: String, size: Int, union: Bool)
        case enumeration(bytes: Int)
        case other
    }

    private let bytes: [UInt8]
    private let typesStart: Int, stringsStart: Int, stringsLength: UInt32
    /// Byte offset of each type id's record (index 0 stands for void, or for
    /// the base's last type in split BTF).
    private var offsets: [Int] = [0]
    private var records: [String: UInt32] = [:]
    /// A module's BTF is split: its ids and string offsets continue the
    /// kernel's, which it refers to for the types they share.
    public let base: KernelBTF?
    /// Added to a local index to give a type id (0 without a base).
    private let idShift: UInt32
    /// Where the base's strings end.
    private let stringShift: UInt32

    public convenience init(path: String = "/sys/kernel/btf/vmlinux", base: KernelBTF? = nil) throws {
        try self.init(bytes: readBytes(path), base: base)
    }

    public init(bytes: [UInt8], base: KernelBTF? = nil) throws {
        self.bytes = bytes
        self.base = base
        idShift = base.map { $0.idShift + UInt32($0.offsets.count - 1) } ?? 0
        stringShift = base.map { $0.stringShift + $0.stringsLength } ?? 0
        guard bytes.count >= 24, bytes[0] == 0x9f, bytes[1] == 0xeb else { throw BTFReadError.notBTF }
        let header = Int(Self.u32(bytes, 4))
        typesStart = header + Int(Self.u32(bytes, 8))
        let typesLength = Int(Self.u32(bytes, 12))
        stringsStart = header + Int(Self.u32(bytes, 16))
        stringsLength = Self.u32(bytes, 20)
        guard typesStart + typesLength <= bytes.count, stringsStart <= bytes.count else { throw BTFReadError.truncated }
        var at = typesStart
        while at + 12 <= typesStart + typesLength {
            offsets.append(at)
            let info = Self.u32(bytes, at + 4)
            let kind = (info >> 24) & 0x1f, vlen = Int(info & 0xffff)
            if kind == Kind.structure.rawValue || kind == Kind.union.rawValue {
                let name = string(Self.u32(bytes, at))
                if !name.isEmpty { records[(kind == Kind.union.rawValue ? "union " : "struct ") + name] = idShift + UInt32(offsets.count - 1) }
            }
            at += 12 + Self.trailerSize(kind: kind, vlen: vlen)
        }
    }

    /// The ids this BTF itself describes (a module's own, after the kernel's).
    private var localIDs: Range<UInt32> { (idShift + 1)..<(idShift + UInt32(offsets.count)) }

    /// The base's answer for an id the base describes.
    private func inBase(_ id: UInt32) -> KernelBTF? { id <= idShift ? base : nil }

    /// The id of `struct name` or `union name` (tag included).
    public func record(named name: String) -> UInt32? { records[name] ?? base?.record(named: name) }

    /// Every named struct and union, tag included.
    public var recordNames: [String] { Array(records.keys) }

    /// The id of the kernel variable `name` (a VAR type: per-CPU variables
    /// are described), and the id of its type.
    public func variable(named name: String) -> (id: UInt32, type: UInt32)? {
        for id in localIDs {
            guard let at = offset(id), (Self.u32(bytes, at + 4) >> 24) & 0x1f == Kind.variable.rawValue,
                  string(Self.u32(bytes, at)) == name else { continue }
            return (id, Self.u32(bytes, at + 8))
        }
        return nil
    }

    /// Every enum's constants by the enum's name (anonymous enums under ""),
    /// read on first use.
    public var enumerations: [String: [(name: String, value: Int64)]] {
        if let cached = enumCache { return cached }
        var out: [String: [(name: String, value: Int64)]] = [:]
        for id in localIDs {
            guard let at = offset(id) else { continue }
            let info = Self.u32(bytes, at + 4), kind = (info >> 24) & 0x1f, vlen = Int(info & 0xffff)
            let signed = info >> 31 != 0
            guard kind == Kind.enumeration.rawValue || kind == Kind.enumeration64.rawValue else { continue }
            let wide = kind == Kind.enumeration64.rawValue
            var constants: [(name: String, value: Int64)] = []
            for i in 0..<vlen {
                let e = at + 12 + i * (wide ? 12 : 8)
                let low = Self.u32(bytes, e + 4)
                let value = wide ? Int64(bitPattern: UInt64(Self.u32(bytes, e + 8)) << 32 | UInt64(low))
                                 : (signed ? Int64(Int32(bitPattern: low)) : Int64(low))
                constants.append((string(Self.u32(bytes, e)), value))
            }
            out[string(Self.u32(bytes, at)), default: []] += constants
        }
        enumCache = out
        return out
    }
    private var enumCache: [String: [(name: String, value: Int64)]]?

    /// The id of the kernel function `name` (a FUNC type), for fentry and
    /// fexit programs and raw tracepoints' arguments; indexed on first use.
    public func function(named name: String) -> UInt32? {
        if functionIndex == nil {
            var index: [String: UInt32] = [:]
            for id in localIDs {
                guard let at = offset(id), (Self.u32(bytes, at + 4) >> 24) & 0x1f == Kind.function.rawValue else { continue }
                index[string(Self.u32(bytes, at))] = id
            }
            functionIndex = index
        }
        return functionIndex?[name]
    }
    private var functionIndex: [String: UInt32]?

    /// Whether `name` is a kfunc: a function the kernel's BTF tags `bpf_kfunc`.
    public func isKfunc(_ name: String) -> Bool {
        guard let id = function(named: name) else { return false }
        if kfuncIDs == nil {
            var ids: Set<UInt32> = []
            for tag in localIDs {
                guard let at = offset(tag), (Self.u32(bytes, at + 4) >> 24) & 0x1f == Kind.declarationTag.rawValue,
                      string(Self.u32(bytes, at)) == "bpf_kfunc" else { continue }
                ids.insert(Self.u32(bytes, at + 8))
            }
            kfuncIDs = ids
        }
        return kfuncIDs?.contains(id) ?? false
    }
    private var kfuncIDs: Set<UInt32>?

    /// Every kernel function BTF describes, for fentry wildcards and listings.
    public var functionNames: Dictionary<String, UInt32>.Keys {
        _ = function(named: "")
        return functionIndex!.keys
    }

    /// A type after typedefs, const, volatile, restrict and type tags.
    public func resolved(_ id: UInt32) -> UInt32 {
        var id = id
        for _ in 0..<32 {
            guard let (kind, _, _, ref) = header(id) else { return id }
            switch kind {
            case .typedef, .volatile, .const, .restrict, .typeTag: id = ref
            default: return id
            }
        }
        return id
    }

    public func shape(_ id: UInt32) -> Shape {
        let id = resolved(id)
        guard id != 0 else { return .void }
        if let base = inBase(id) { return base.shape(id) }
        guard let (kind, name, _, sizeOrType) = header(id), let at = offset(id) else { return .other }
        switch kind {
        case .int:
            let encoding = Self.u32(bytes, at + 12)
            return .integer(bytes: Int(sizeOrType), signed: (encoding >> 24) & 1 != 0)
        case .pointer: return .pointer(to: sizeOrType)
        case .array: return .array(of: Self.u32(bytes, at + 12), count: Int(Self.u32(bytes, at + 20)))
        case .structure, .union: return .record(name: name, size: Int(sizeOrType), union: kind == .union)
        case .enumeration, .enumeration64: return .enumeration(bytes: Int(sizeOrType))
        default: return .other
        }
    }

    /// The members of a struct or union, in order.
    public func members(_ id: UInt32) -> [Member] {
        let id = resolved(id)
        if let base = inBase(id) { return base.members(id) }
        guard let at = offset(id), let (kind, _, _, _) = header(id), kind == .structure || kind == .union else { return [] }
        let info = Self.u32(bytes, at + 4), vlen = Int(info & 0xffff), bitfields = info >> 31 != 0
        return (0..<vlen).map { i in
            let m = at + 12 + i * 12
            let raw = Self.u32(bytes, m + 8)
            return Member(name: string(Self.u32(bytes, m)), type: Self.u32(bytes, m + 4),
                          bitOffset: bitfields ? raw & 0xffffff : raw, bitSize: bitfields ? raw >> 24 : 0)
        }
    }

    /// A member by name, looking into anonymous structs and unions as C does;
    /// the bit offset is from the start of `id`.
    public func member(_ id: UInt32, named name: String) -> Member? {
        for m in members(id) {
            if m.name == name { return m }
            if m.name.isEmpty, var inner = member(m.type, named: name) {
                inner.bitOffset += m.bitOffset
                return inner
            }
        }
        return nil
    }

    private func offset(_ id: UInt32) -> Int? { localIDs.contains(id) ? offsets[Int(id - idShift)] : nil }

    /// A function prototype's parameter types.
    func parameters(_ proto: UInt32) -> [UInt32] { namedParameters(proto).map(\.type) }

    /// A function prototype's parameters: names (empty where BTF has none) and types.
    public func namedParameters(_ proto: UInt32) -> [(name: String, type: UInt32)] {
        if let base = inBase(proto) { return base.namedParameters(proto) }
        guard let at = offset(proto), let (kind, _, vlen, _) = header(proto), kind == .functionPrototype else { return [] }
        return (0..<vlen).map { (string(Self.u32(bytes, at + 12 + $0 * 8)), Self.u32(bytes, at + 12 + $0 * 8 + 4)) }
    }

    /// A function prototype's return type (0: void).
    public func returnType(ofPrototype proto: UInt32) -> UInt32? {
        guard let (kind, _, _, type) = header(proto), kind == .functionPrototype else { return nil }
        return type
    }

    /// A FUNC's prototype.
    public func prototype(ofFunction id: UInt32) -> UInt32? {
        guard let (kind, _, _, proto) = header(id), kind == .function else { return nil }
        return proto
    }

    /// A type's kind, name, vlen and size-or-type, as stored.
    func header(_ id: UInt32) -> (Kind, String, Int, UInt32)? {
        if let base = inBase(id) { return base.header(id) }
        guard let at = offset(id) else { return nil }
        let info = Self.u32(bytes, at + 4)
        guard let kind = Kind(rawValue: (info >> 24) & 0x1f) else { return nil }
        return (kind, string(Self.u32(bytes, at)), Int(info & 0xffff), Self.u32(bytes, at + 8))
    }

    private func string(_ offset: UInt32) -> String {
        if let base, offset < stringShift { return base.string(offset) }
        var end = stringsStart + Int(offset - stringShift)
        let start = end
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Bytes after the 12-byte common header, by kind.
    static func trailerSize(kind: UInt32, vlen: Int) -> Int {
        switch kind {
        case 1: 4                           // int: encoding
        case 3: 12                          // array
        case 4, 5: 12 * vlen                // members
        case 6: 8 * vlen                    // enum values
        case 13: 8 * vlen                   // parameters
        case 14: 4                          // var
        case 15: 12 * vlen                  // section entries
        case 17: 4                          // decl tag
        case 19: 12 * vlen                  // enum64 values
        default: 0
        }
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        guard at + 4 <= b.count else { return 0 }
        return UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}

public enum BTFReadError: Error, Sendable {
    case notBTF, truncated
}
