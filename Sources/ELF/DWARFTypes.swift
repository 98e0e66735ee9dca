/// Types and functions from DWARF entries, as a C programmer spells them:
/// what `-lv` lists, what `args` holds, and struct definitions the script's
/// type checker reads as if the script had written them.
public indirect enum DWARFType: Equatable, Sendable {
    /// DW_ATE_* encoding: 2 boolean, 4 float, 5/6 signed, 7/8 unsigned.
    case base(name: String, size: Int, encoding: UInt64)
    case pointer(DWARFType)
    case qualified(String, DWARFType)
    case typedef(String, DWARFType)
    /// `struct Foo` or `union U` (nil name: anonymous), by the entry that defines it.
    case record(keyword: String, name: String?, entry: Int)
    case enumeration(name: String?, size: Int)
    case array(DWARFType, count: Int?)
    case function
    case void

    /// The type as C writes it before a name: `const char*`, `struct Foo*`.
    public var spelling: String {
        switch self {
        case .base(let name, _, _): name
        case .pointer(let t): t.spelling + "*"
        case .qualified(let q, let t): "\(q) \(t.spelling)"
        case .typedef(let name, _): name
        case .record(let keyword, let name, _): "\(keyword) \(name ?? "(anonymous)")"
        case .enumeration(let name, _): "enum \(name ?? "(anonymous)")"
        case .array(let t, let n): "\(t.spelling)[\(n.map(String.init) ?? "")]"
        case .function: "void (*)()"
        case .void: "void"
        }
    }

    /// Without typedefs and qualifiers.
    public var resolved: DWARFType {
        switch self {
        case .qualified(_, let t), .typedef(_, let t): t.resolved
        default: self
        }
    }

    public var byteSize: Int? {
        switch resolved {
        case .base(_, let size, _), .enumeration(_, let size): size
        case .pointer, .function: 8
        case .array(let t, let n?): t.byteSize.map { $0 * n }
        default: nil
        }
    }
}

public struct DWARFFunction: Equatable, Sendable {
    public var name: String
    public var parameters: [(name: String, type: DWARFType)]

    public static func == (a: DWARFFunction, b: DWARFFunction) -> Bool {
        a.name == b.name && a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.type) == b.parameters.map(\.type)
    }
}

extension DWARFEntries {
    enum Tag {
        static let array: UInt64 = 0x01, enumeration: UInt64 = 0x04, parameter: UInt64 = 0x05, member: UInt64 = 0x0d
        static let pointer: UInt64 = 0x0f, structure: UInt64 = 0x13, subroutine: UInt64 = 0x15, typedef: UInt64 = 0x16
        static let union: UInt64 = 0x17, subrange: UInt64 = 0x21, base: UInt64 = 0x24, const: UInt64 = 0x26
        static let subprogram: UInt64 = 0x2e, volatile: UInt64 = 0x35, restrict: UInt64 = 0x37, atomic: UInt64 = 0x47
    }
    enum At {
        static let name: UInt64 = 0x03, byteSize: UInt64 = 0x0b, bitSize: UInt64 = 0x0d, upperBound: UInt64 = 0x2f
        static let abstractOrigin: UInt64 = 0x31, count: UInt64 = 0x37, memberLocation: UInt64 = 0x38
        static let declaration: UInt64 = 0x3c, encoding: UInt64 = 0x3e, specification: UInt64 = 0x47, type: UInt64 = 0x49
        static let dataBitOffset: UInt64 = 0x6b
    }

    /// The type an entry's DW_AT_type names (void when it names none).
    public func type(of entry: Entry, depth: Int = 0) -> DWARFType {
        guard depth < 32, let ref = entry.reference(At.type), let t = entries[ref] else { return .void }
        return type(at: t, depth: depth + 1)
    }

    func type(at e: Entry, depth: Int) -> DWARFType {
        switch e.tag {
        case Tag.base: return .base(name: e.string(At.name) ?? "int", size: Int(e.number(At.byteSize) ?? 0), encoding: UInt64(e.number(At.encoding) ?? 0))
        case Tag.pointer: return .pointer(type(of: e, depth: depth))
        case Tag.const: return .qualified("const", type(of: e, depth: depth))
        case Tag.volatile: return .qualified("volatile", type(of: e, depth: depth))
        case Tag.restrict, Tag.atomic: return type(of: e, depth: depth)
        case Tag.typedef: return .typedef(e.string(At.name) ?? "", type(of: e, depth: depth))
        case Tag.structure, Tag.union:
            let keyword = e.tag == Tag.structure ? "struct" : "union"
            // A declaration stands for the definition of the same name, if there is one.
            let definition = e.flag(At.declaration) ? e.string(At.name).flatMap { record(named: "\(keyword) \($0)") } ?? e.offset : e.offset
            return .record(keyword: keyword, name: e.string(At.name), entry: definition)
        case Tag.enumeration: return .enumeration(name: e.string(At.name), size: Int(e.number(At.byteSize) ?? 4))
        case Tag.array:
            let bounds = e.children.compactMap { entries[$0] }.filter { $0.tag == Tag.subrange }
            var t = type(of: e, depth: depth)
            for b in bounds.reversed() {
                let n = b.number(At.count) ?? b.number(At.upperBound).map { $0 + 1 }
                t = .array(t, count: n.map { Int(clamping: $0) })
            }
            return t
        case Tag.subroutine: return .function
        default: return .void
        }
    }

    /// The defining entry of `struct NAME` / `union NAME`.
    public func record(named full: String) -> Int? {
        let parts = full.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let tag = parts[0] == "struct" ? Tag.structure : parts[0] == "union" ? Tag.union : 0
        return entries.values.lazy.filter { $0.tag == tag && !$0.flag(At.declaration) && $0.string(At.name) == String(parts[1]) }
            .map(\.offset).min()
    }

    /// A function's parameters, from the entry that defines it (not an inlined copy).
    public func function(named name: String) -> DWARFFunction? {
        let candidates = entries.values.filter { $0.tag == Tag.subprogram && $0.string(At.name) == name }.sorted { $0.offset < $1.offset }
        guard let f = candidates.first(where: { !$0.flag(At.declaration) }) ?? candidates.first else { return nil }
        var parameters: [(name: String, type: DWARFType)] = []
        for child in f.children.compactMap({ entries[$0] }) where child.tag == Tag.parameter {
            parameters.append((child.string(At.name) ?? "__arg\(parameters.count)", type(of: child)))
        }
        return DWARFFunction(name: name, parameters: parameters)
    }

    /// `struct Foo { int a; char b[10]; };` for the type checker: members
    /// that C can spell; nil for a record C text cannot express (anonymous
    /// members, offsets C's layout rules would not give).
    public func cDefinition(ofRecordAt offset: Int) -> (text: String, uses: [Int])? {
        guard let e = entries[offset], e.tag == Tag.structure || e.tag == Tag.union, let name = e.string(At.name) else { return nil }
        let keyword = e.tag == Tag.structure ? "struct" : "union"
        var lines: [String] = [], uses: [Int] = []
        var end = 0
        for m in e.children.compactMap({ entries[$0] }) where m.tag == Tag.member {
            guard let member = m.string(At.name) else { return nil }
            let t = type(of: m)
            guard let declared = Self.declaration(t, member) else { return nil }
            let at = Int(m.number(At.memberLocation) ?? 0)
            if let bits = m.number(At.bitSize) {
                lines.append("\(declared) : \(bits);")
            } else {
                // C's layout must land where DWARF says the member is.
                if keyword == "struct", let size = byteSize(t), let align = alignment(t) {
                    let natural = (end + align - 1) / align * align
                    guard natural == at else { return nil }
                    end = at + size
                } else { end = max(end, at + (byteSize(t) ?? 0)) }
                lines.append("\(declared);")
            }
            uses += Self.records(in: t)
        }
        return ("\(keyword) \(name) { \(lines.joined(separator: " ")) };", uses)
    }

    public static func records(in t: DWARFType) -> [Int] {
        switch t {
        case .record(_, _, let entry): [entry]
        case .pointer(let t), .qualified(_, let t), .typedef(_, let t), .array(let t, _): records(in: t)
        default: []
        }
    }

    /// Sizes and alignments as C lays records out, records' from their entries.
    func byteSize(_ t: DWARFType) -> Int? {
        switch t.resolved {
        case .record(_, _, let entry): entries[entry]?.number(At.byteSize).map { Int(clamping: $0) }
        case .array(let e, let n?): byteSize(e).map { $0 * n }
        default: t.byteSize
        }
    }

    func alignment(_ t: DWARFType, depth: Int = 0) -> Int? {
        guard depth < 16 else { return nil }
        switch t.resolved {
        case .array(let e, _): return alignment(e, depth: depth + 1)
        case .base(_, let size, _), .enumeration(_, let size): return max(1, min(size, 8))
        case .pointer, .function: return 8
        case .record(_, _, let entry):
            let members = entries[entry]?.children.compactMap { entries[$0] }.filter { $0.tag == Tag.member } ?? []
            return members.map { alignment(type(of: $0), depth: depth + 1) ?? 1 }.max() ?? 1
        default: return nil
        }
    }

    /// `int c[3]`, `struct Foo *foos[2]`, `const char *p`: a C declaration.
    static func declaration(_ t: DWARFType, _ name: String) -> String? {
        switch t {
        case .array(let e, let n): return declaration(e, "\(name)[\(n.map(String.init) ?? "0")]")
        case .pointer(.function), .function: return "void *\(name)"
        case .pointer(let p): return declaration(p, "*\(name)")
        case .record(_, nil, _), .enumeration(nil, _): return nil
        case .enumeration(_, let size): return "\(["", "unsigned char", "unsigned short", "", "unsigned int"][min(size, 4)]) \(name)"
        case .typedef(_, let inner): return declaration(inner, name)
        case .void: return "void \(name)"
        default: return "\(t.spelling) \(name)"
        }
    }
}
