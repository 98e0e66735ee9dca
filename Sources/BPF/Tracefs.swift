#if canImport(Glibc)
import Glibc
#endif

/// The kernel's tracing file system, where tracepoints are listed with their
/// ids and record formats.
public struct Tracefs: Sendable {
    /// Where it is mounted, e.g. `/sys/kernel/tracing`.
    public let root: String

    public init(root: String) { self.root = root }

    static let candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    /// Finds tracefs; when it is not mounted and `mountIfMissing` is set
    /// (needs root), mounts it at /sys/kernel/tracing.
    public static func locate(mountIfMissing: Bool = true) throws -> Tracefs {
        if let root = candidates.first(where: { access($0 + "/events", F_OK) == 0 }) { return Tracefs(root: root) }
        // Mounted but closed to this user: mounting again would only fail with EPERM.
        if access(candidates[0], F_OK) == 0, access(candidates[0] + "/events", F_OK) != 0, errno == EACCES {
            throw BPFError(call: "access", context: "read tracefs at \(candidates[0])", errno: .current,
                           hint: "tracefs is readable only by root: run as root")
        }
        guard mountIfMissing else {
            throw BPFError(call: "access", context: "find tracefs", errno: .noEntry,
                           hint: "Mount it: mount -t tracefs nodev /sys/kernel/tracing")
        }
        if mount("nodev", candidates[0], "tracefs", 0, nil) != 0 {
            throw BPFError(call: "mount", context: "mount tracefs at \(candidates[0])", errno: .current,
                           hint: "Run as root, or mount it yourself: mount -t tracefs nodev /sys/kernel/tracing")
        }
        return Tracefs(root: candidates[0])
    }

    func eventPath(_ category: String, _ name: String) -> String { "\(root)/events/\(category)/\(name)" }

    /// A tracepoint's numeric id, for perf_event_open.
    public func tracepointID(category: String, name: String) throws -> UInt64 {
        let text = try read(eventPath(category, name) + "/id", tracepoint: "\(category):\(name)")
        guard let id = UInt64(text.trimmingWhitespace()) else {
            throw BPFError(call: "read", context: "read the id of tracepoint \(category):\(name)", errno: .invalidArgument)
        }
        return id
    }

    /// A tracepoint's record layout.
    public func format(category: String, name: String) throws -> TracepointFormat {
        try TracepointFormat(parsing: read(eventPath(category, name) + "/format", tracepoint: "\(category):\(name)"))
    }

    /// Every tracepoint as (category, name), from `available_events`.
    public func tracepoints() throws -> [(category: String, name: String)] {
        let text: String
        do { text = try readFile(root + "/available_events") } catch let e as Errno {
            throw BPFError(call: "open", context: "list tracepoints in \(root)", errno: e)
        }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }
    }

    /// The kernel functions kprobes and fentry may attach to, from
    /// `available_filter_functions` (`name` or `name [module]`).
    public func traceableFunctions() throws -> [(name: String, module: String?)] {
        let text: String
        do { text = try readFile(root + "/available_filter_functions") } catch let e as Errno {
            throw BPFError(call: "open", context: "list traceable functions in \(root)", errno: e)
        }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            // Kernels since 6.0 list functions whose address ftrace lost as __ftrace_invalid_address___N.
            guard let name = parts.first, !name.hasPrefix("__ftrace_invalid_address__") else { return nil }
            let module = parts.count > 1 ? String(parts[1].dropFirst().dropLast()) : nil
            return (String(name), module)
        }
    }

    private func read(_ path: String, tracepoint: String) throws -> String {
        do { return try readFile(path) } catch let e as Errno {
            throw BPFError(call: "open", context: "find tracepoint \(tracepoint)", errno: e,
                           hint: e == .noEntry ? "No such tracepoint; `auger -l 'tracepoint:*'` lists them" : nil)
        }
    }
}

/// The layout of a tracepoint's record, from its tracefs `format` file.
public struct TracepointFormat: Hashable, Sendable {
    public var name: String
    public var id: UInt64
    /// All fields in record order, the `common_` ones first.
    public var fields: [TracepointField]

    /// The fields that belong to this tracepoint rather than to every event.
    public var ownFields: [TracepointField] { fields.filter { !$0.isCommon } }

    public init(parsing text: String) throws {
        name = ""
        id = 0
        fields = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("name:") {
                name = String(line.dropFirst(5)).trimmingWhitespace()
            } else if line.hasPrefix("ID:") {
                id = UInt64(String(line.dropFirst(3)).trimmingWhitespace()) ?? 0
            } else if line.hasPrefix("field:") {
                guard let field = TracepointField(line: String(line)) else {
                    throw BPFError(call: "read", context: "parse tracepoint format line \"\(line)\"", errno: .invalidArgument)
                }
                fields.append(field)
            }
        }
    }
}

/// One field of a tracepoint record.
public struct TracepointField: Hashable, Sendable {
    public var name: String
    /// The C type as tracefs writes it, without the array suffix:
    /// `const char *`, `char`, `__data_loc char[]`.
    public var type: String
    public var offset: Int
    public var size: Int
    public var isSigned: Bool
    /// For `char comm[16]`: 16.
    public var arrayLength: Int?

    /// `__data_loc` fields hold a u32: length << 16 | offset of the data in the record.
    public var isDataLoc: Bool { type.hasPrefix("__data_loc") }
    public var isCommon: Bool { name.hasPrefix("common_") }

    /// Parses `field:int dfd;\toffset:16;\tsize:8;\tsigned:0;`.
    init?(line: String) {
        var attrs: [String: String] = [:]
        for part in line.split(separator: ";") {
            let kv = part.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { continue }
            attrs[String(kv[0]).trimmingWhitespace()] = String(kv[1]).trimmingWhitespace()
        }
        guard var decl = attrs["field"], let offset = attrs["offset"].flatMap({ Int($0) }),
              let size = attrs["size"].flatMap({ Int($0) }) else { return nil }
        if decl.hasSuffix("]"), let open = decl.lastIndex(of: "[") {
            let inner = decl[decl.index(after: open)..<decl.index(before: decl.endIndex)]
            arrayLength = Int(inner) ?? 0
            decl = String(decl[..<open]).trimmingWhitespace()
        }
        let isIdent: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "_" }
        let nameStart = decl.lastIndex(where: { !isIdent($0) }).map { decl.index(after: $0) } ?? decl.startIndex
        name = String(decl[nameStart...])
        type = String(decl[..<nameStart]).trimmingWhitespace()
        guard !name.isEmpty else { return nil }
        self.offset = offset
        self.size = size
        self.isSigned = attrs["signed"] == "1"
    }
}
