import AugerScript
import BPF

/// Gives the type checker the fields of tracepoints, read from tracefs.
public final class TracepointTypes: TypeInfoProvider, @unchecked Sendable {
    let tracefs: Tracefs
    private var cache: [String: TracepointFormat?] = [:]

    public init(tracefs: Tracefs) { self.tracefs = tracefs }

    public func format(category: String, name: String) -> TracepointFormat? {
        let key = category + ":" + name
        if let cached = cache[key] { return cached }
        let f = try? tracefs.format(category: category, name: name)
        cache[key] = f
        return f
    }

    public func tracepointArgs(category: String, name: String) -> [RecordField]? {
        guard let f = format(category: category, name: name) else { return nil }
        return f.ownFields.map { RecordField(name: $0.name, type: Self.type(of: $0)) }
    }

    /// bpftrace's view of a field: char arrays and __data_loc strings are
    /// strings, pointers are 64-bit addresses, the rest integers of their size.
    static func type(of field: TracepointField) -> SType {
        if field.isDataLoc { return .string(Functions.maxStrlen) }
        if let n = field.arrayLength {
            if field.type.hasSuffix("char") { return .string(max(n, 1)) }
            return .array(.integer(bits: 8 * max(1, field.size / max(n, 1)), signed: field.isSigned), n)
        }
        if field.type.hasSuffix("*") {
            // `struct timespec *`: a pointer BTF can describe the fields of;
            // `const char *const * argv`: a pointer to pointers to chars.
            let stars = field.type.filter { $0 == "*" }.count
            let words = field.type.split(whereSeparator: { $0 == " " || $0 == "*" }).filter { $0 != "const" && $0 != "__user" }
            var type: SType = words.count == 2 && (words[0] == "struct" || words[0] == "union") ? .cType(words.joined(separator: " "))
                : words.contains("char") ? .i8 : .void
            for _ in 0..<stars { type = .pointer(type) }
            return type
        }
        // `enum skb_drop_reason reason`: prints by the constant's name (from BTF).
        if field.type.hasPrefix("enum "), [1, 2, 4, 8].contains(field.size) { return .enumValue(String(field.type.dropFirst(5))) }
        switch field.size {
        case 1, 2, 4, 8: return .integer(bits: field.size * 8, signed: field.isSigned)
        default: return .unknown
        }
    }
}
