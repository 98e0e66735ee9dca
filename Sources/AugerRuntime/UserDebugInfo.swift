import AugerScript
import ELF
import Synchronization

/// What uprobes learn from a binary's DWARF: its functions' parameters, by
/// name and type (`args.n`, `-lv`), and its structs, which the script may
/// use as if it had defined them (`(struct Foo *)arg0`).
enum UserDebugInfo {
    private static let cache = Mutex<[String: DWARFEntries?]>([:])

    /// The file's debugging entries, read once per file (nil without .debug_info).
    static func entries(_ path: String) -> DWARFEntries? {
        if let known = cache.withLock({ $0[path] }) { return known }
        let entries = DebugFiles.entries(for: path)
        cache.withLock { $0[path] = entries }
        return entries
    }

    private static let lineCache = Mutex<[String: DWARFLines?]>([:])

    /// The file's line tables, read once per file.
    static func lines(_ path: String) -> DWARFLines? {
        if let known = lineCache.withLock({ $0[path] }) { return known }
        let lines = DebugFiles.sections(for: path).flatMap { DWARFLines(debug: $0) }
        lineCache.withLock { $0[path] = lines }
        return lines
    }

    /// x86-64's integer argument registers: the first six scalar parameters.
    static let registerParameters = 6

    /// A function's parameters as `args` holds them: those passed in
    /// registers, up to the first that is not (a struct by value, a float).
    static func signature(_ f: DWARFFunction) -> FunctionSignature {
        var fields: [RecordField] = []
        for p in f.parameters.prefix(registerParameters) {
            guard let t = scalarType(p.type) else { break }
            fields.append(RecordField(name: p.name, type: t))
        }
        return FunctionSignature(parameters: fields, slots: Array(fields.indices), returnType: .u64, returnSlot: 0)
    }

    static func scalarType(_ t: DWARFType) -> SType? {
        switch t.resolved {
        case .base(_, let size, let encoding):
            if encoding == 2 { return .bool }
            guard [1, 2, 4, 8].contains(size), [5, 6, 7, 8].contains(encoding) else { return nil }
            return .integer(bits: size * 8, signed: encoding == 5 || encoding == 6)
        case .enumeration(_, let size): return [1, 2, 4, 8].contains(size) ? .integer(bits: size * 8, signed: false) : nil
        case .pointer(let p): return .pointer(pointee(p))
        default: return nil
        }
    }

    static func pointee(_ t: DWARFType) -> SType {
        switch t.resolved {
        case .record(let keyword, let name?, _): return .cType("\(keyword) \(name)")
        case .pointer(let p): return .pointer(pointee(p))
        default: return scalarType(t) ?? .void
        }
    }

    /// C definitions of the records the parameters use (and those records'
    /// records), and of the records the script names, skipping `defined`.
    static func definitions(_ entries: DWARFEntries, for f: DWARFFunction?, named: [String], defined: Set<String>) -> [String] {
        var pending = f?.parameters.flatMap { DWARFEntries.records(in: $0.type) } ?? []
        pending += named.compactMap { entries.record(named: $0) }
        var seen: Set<Int> = [], out: [String] = []
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, let (text, uses) = entries.cDefinition(ofRecordAt: next) else { continue }
            let name = text.prefix { $0 != "{" }.split(separator: " ").joined(separator: " ")
            if defined.contains(name) { continue }
            out.append(text)
            pending += uses
        }
        // A record's members' records come first, as C needs them.
        return out.reversed()
    }

    /// `struct NAME` and `union NAME` as a text writes them; with `defining`,
    /// only those followed by `{` (the text defines them).
    static func recordNames(in text: String, defining: Bool = false) -> [String] {
        let words = Array(text.utf8)
        var out: [String] = []
        var i = 0
        func isIdentifier(_ c: UInt8) -> Bool { c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) }
        while i < words.count {
            for keyword in ["struct", "union"] where words[i...].starts(with: keyword.utf8) && (i == 0 || !isIdentifier(words[i - 1])) {
                var j = i + keyword.utf8.count
                guard j < words.count, words[j] == UInt8(ascii: " ") || words[j] == UInt8(ascii: "\t") else { continue }
                while j < words.count && (words[j] == UInt8(ascii: " ") || words[j] == UInt8(ascii: "\t")) { j += 1 }
                let start = j
                while j < words.count && isIdentifier(words[j]) { j += 1 }
                guard j > start else { continue }
                var k = j
                while k < words.count && (words[k] == UInt8(ascii: " ") || words[k] == UInt8(ascii: "\t") || words[k] == UInt8(ascii: "\n")) { k += 1 }
                if !defining || (k < words.count && words[k] == UInt8(ascii: "{")) {
                    out.append("\(keyword) \(String(decoding: words[start..<j], as: UTF8.self))")
                }
                i = j
            }
            i += 1
        }
        return out
    }

    /// The program with the C definitions its uprobes' binaries give (for
    /// the records their functions' parameters use and the records the
    /// script names but does not define), and those functions' signatures
    /// by "BINARY:FUNCTION" as the script writes them.
    static func prepare(_ program: Program, _ text: String, pid: Int32?) -> (Program, [String: FunctionSignature]) {
        var signatures: [String: FunctionSignature] = [:]
        var texts: [String] = []
        let defined = Set(program.preamble.flatMap { item -> [String] in
            if case .cDefinition(let t, _) = item { return recordNames(in: t, defining: true) }
            return []
        })
        let named = recordNames(in: text)
        // Reading a large debug file (libc's) costs seconds: only when the
        // script may use what it gives. A false hit only costs time.
        guard text.contains("args") || !Set(named).subtracting(defined).isEmpty else { return (program, signatures) }
        var searched: Set<String> = []
        for point in program.probes.flatMap(\.attachPoints) where point.kind.tracesUserSpace && point.kind != .usdt && point.parts.count >= 2 {
            let written = point.parts[0], function = point.parts.last!
            guard !Glob.isPattern(written), searched.insert(written + ":" + function).inserted else { continue }
            for binary in UserBinaries.find(written, pid: pid) {
                guard let entries = entries(binary.path) else { continue }
                let f = Glob.isPattern(function) ? nil : entries.function(named: function)
                if let f { signatures[written + ":" + function] = signature(f) }
                texts += definitions(entries, for: f, named: named, defined: defined.union(texts.flatMap { recordNames(in: $0, defining: true) }))
            }
        }
        guard !texts.isEmpty else { return (program, signatures) }
        var out = program
        out.preamble = texts.map { .cDefinition($0, .none) } + program.preamble
        return (out, signatures)
    }
}
