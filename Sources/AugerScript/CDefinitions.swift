/// Reads what the type checker needs from C definitions in a script's
/// preamble. Struct layouts come from BTF or the compiler; only enum
/// constants are needed to check names.
public enum CDefinitions {
    /// `enum E { A, B = 5, C }` → A: 0, B: 5, C: 6.
    public static func enumConstants(in text: String) -> [String: Int64] {
        Dictionary(enumerators(in: text).map { ($0.name, $0.value) }) { first, _ in first }
    }

    public struct Enumerator: Sendable {
        public var name: String
        public var value: Int64
        /// What a C compiler would refuse about it, in its words.
        public var problem: String?
    }

    /// The enumerators in source order, each with its value; a value that is
    /// not an integer constant, or does not fit in 64 bits, is a problem.
    public static func enumerators(in text: String) -> [Enumerator] {
        guard text.hasPrefix("enum"), let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else { return [] }
        var out: [Enumerator] = []
        var next: Int64 = 0
        for item in text[text.index(after: open)..<close].split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: " \t\n\r") }
            guard let name = parts.first, !name.isEmpty else { continue }
            var problem: String?
            if !isIdentifier(name) { problem = "expected identifier in enum, found '\(name)'" }
            if parts.count == 2 {
                let valueText = parts[1]
                if let v = PositionalParameter.integer(valueText) { next = v }
                else if let earlier = out.last(where: { $0.name == valueText }) { next = earlier.value }
                else if valueText.allSatisfy({ $0.isHexDigit || $0 == "x" || $0 == "X" || $0 == "-" }) {
                    problem = "integer literal is too large to be represented in any integer type: \(valueText)"
                } else {
                    problem = "value of enumerator '\(name)' is not an integer constant: \(valueText)"
                }
            }
            if out.contains(where: { $0.name == name }) { problem = problem ?? "redefinition of enumerator '\(name)'" }
            out.append(Enumerator(name: name, value: next, problem: problem))
            next &+= 1
        }
        return out
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// `struct @x { … }`: a tag that is not a C identifier, as a C compiler words it; nil when fine.
    public static func tagProblem(in text: String) -> String? {
        let keyword = ["struct", "union", "enum"].first { text.hasPrefix($0) }
        guard let keyword else { return nil }
        let rest = text.dropFirst(keyword.count)
        let tag = String(rest.prefix { $0 != "{" && $0 != ";" }).trimmingCharacters(in: " \t\n\r")
        if tag.isEmpty || isIdentifier(tag) { return nil }
        // `struct Foo *` in a typedef-less use is not a definition; only definitions reach here.
        return "expected identifier or '{' after '\(keyword)', found '\(tag)'"
    }

    /// `enum Foo { … }` → Foo; nil for an anonymous enum.
    public static func enumName(in text: String) -> String? {
        guard text.hasPrefix("enum"), let open = text.firstIndex(of: "{") else { return nil }
        let name = String(text[text.index(text.startIndex, offsetBy: 4)..<open]).trimmingCharacters(in: " \t\n\r")
        return name.isEmpty ? nil : name
    }

}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// A struct a script defines, laid out as C would (or packed).
public struct ScriptStruct: Sendable {
    public var name: String
    public var size: Int
    public var alignment: Int
    public var fields: [String: StructField]
    /// Field names in declaration order, for printing a whole struct.
    public var order: [String] = []
}

extension CDefinitions {
    /// `struct foo { int x; char y[4]; } [__attribute__((packed))]`, with
    /// structs defined before it; nil when a member's type is unknown here.
    public static func structLayout(in text: String, known: [String: ScriptStruct]) -> ScriptStruct? {
        structLayouts(in: text, known: known).last
    }

    /// The layouts a definition declares: structs nested in its members
    /// (`struct Bar { int x; } bar;`) first, then the struct itself.
    public static func structLayouts(in text: String, known: [String: ScriptStruct]) -> [ScriptStruct] {
        guard text.hasPrefix("struct") || text.hasPrefix("union"), let open = text.firstIndex(of: "{"),
              let close = text.lastIndex(of: "}"), open < close else { return [] }
        var known = known
        var nested: [ScriptStruct] = []
        var body = String(text[text.index(after: open)..<close])
        // Innermost definitions first: each becomes a plain `struct NAME` member type.
        while let inner = innermostDefinition(in: body) {
            var definition = String(body[inner])
            if definition.hasPrefix("struct {") || definition.hasPrefix("union {") {
                let tag = definition.hasPrefix("union") ? "union" : "struct"
                definition = "\(tag) __anon\(nested.count)" + definition.dropFirst(tag.count)
            }
            guard let layout = structLayouts(in: definition, known: known).last else { return [] }
            known[layout.name] = layout
            nested.append(layout)
            body.replaceSubrange(inner, with: layout.name)
        }
        let flat = String(text[...open]) + body + String(text[close...])
        guard let outer = flatStructLayout(in: flat, known: known) else { return [] }
        return nested + [outer]
    }

    /// The range of a `struct|union [NAME] { … }` inside `body` that holds no other.
    static func innermostDefinition(in body: String) -> Range<String.Index>? {
        guard let close = body.firstIndex(of: "}"), let open = body[..<close].lastIndex(of: "{") else { return nil }
        // Back over `NAME ` (if any) to the tag: `struct Bar {` or `union {`.
        var start = open
        while start > body.startIndex, body[body.index(before: start)] == " " { start = body.index(before: start) }
        while start > body.startIndex, let c = Optional(body[body.index(before: start)]), c.isLetter || c.isNumber || c == "_" {
            start = body.index(before: start)
        }
        var word = String(body[start..<open].split(separator: " ").first ?? "")
        if word != "struct" && word != "union" {
            while start > body.startIndex, body[body.index(before: start)] == " " { start = body.index(before: start) }
            let end = start
            while start > body.startIndex, body[body.index(before: start)].isLetter { start = body.index(before: start) }
            word = String(body[start..<end])
        }
        guard word == "struct" || word == "union" else { return nil }
        return start..<body.index(after: close)
    }

    static func flatStructLayout(in text: String, known: [String: ScriptStruct]) -> ScriptStruct? {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else { return nil }
        let union = text.hasPrefix("union")
        let tag = union ? "union" : "struct"
        let name = String(text[text.index(text.startIndex, offsetBy: tag.count)..<open]).trimmingCharacters(in: " \t\n\r")
        guard !name.isEmpty else { return nil }
        let packed = text[close...].contains("packed")
        var fields: [String: StructField] = [:]
        var order: [String] = []
        var offset = 0, size = 0, alignment = 1
        var bits = 0  // the next free bit, while bitfields pack
        for declaration in text[text.index(after: open)..<close].split(separator: ";").flatMap(declarators) {
            // `unsigned int flag : 1`: a bitfield of that many bits.
            var width: Int? = nil
            var decl = Substring(declaration)
            if let colon = decl.firstIndex(of: ":") {
                guard let w = Int(decl[decl.index(after: colon)...].filter { !$0.isWhitespace }), w > 0, w <= 64 else { return nil }
                width = w
                decl = decl[..<colon]
            }
            var words = decl.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
            guard !words.isEmpty else { continue }
            // `int *p`, `int* p`, `char name[16]`
            var last = words.removeLast()
            var pointer = false
            while last.hasPrefix("*") { pointer = true; last.removeFirst() }
            if words.last?.hasSuffix("*") == true { pointer = true; words[words.count - 1].removeLast() ; if words.last!.isEmpty { words.removeLast() } }
            var dimensions: [Int] = []
            if let bracket = last.firstIndex(of: "[") {
                // `y[2][2]`, `y[0]` (a flexible array): every dimension a number, else the struct is typed loosely.
                let groups = last[bracket...].split(separator: "]", omittingEmptySubsequences: true)
                for g in groups {
                    guard g.hasPrefix("["), let n = Int(g.dropFirst()), n >= 0 else { return nil }
                    dimensions.append(n)
                }
                last = String(last[..<bracket])
            }
            let count: Int? = dimensions.isEmpty ? nil : dimensions.reduce(1, *)
            guard let first = last.first, first.isLetter || first == "_", last.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
            let typeWords = words.filter { $0 != "const" && $0 != "volatile" }
            // A pointer to a type the definitions know points to it (`int *z[4]`: *z[1] reads an int).
            let pointee = pointer ? scalar(typeWords, known)?.0 : nil
            guard let (element, elementSize, elementAlign) = pointer ? (SType.pointer(pointee ?? .void), 8, 8) : scalar(typeWords, known) else { return nil }
            let type: SType
            var fieldSize = elementSize
            if let count {
                fieldSize = elementSize * count
                // `char name[16]` is a string; `uint8_t y[4]` an array of integers (castable to one).
                if dimensions.count == 1 && elementSize == 1 && element.isInteger && typeWords.last == "char" {
                    type = .string(count)
                } else {
                    type = dimensions.reversed().reduce(element) { .array($0, $1) }
                }
            } else {
                type = element
            }
            let align = packed ? 1 : elementAlign
            alignment = max(alignment, align)
            order.append(last)
            if let width, !union, count == nil, !pointer {
                // Packed into units of the declared type; one that would straddle a unit starts the next.
                let unit = elementSize * 8
                bits = max(bits, offset * 8)
                if bits % unit + width > unit { bits = (bits + unit - 1) / unit * unit }
                fields[last] = StructField(type: type, byteOffset: bits / 8, bitOffset: bits % 8, bitSize: width)
                bits += width
                size = max(size, (bits + 7) / 8)
                continue
            }
            if union {
                fields[last] = StructField(type: type, byteOffset: 0)
                size = max(size, fieldSize)
            } else {
                offset = max(offset, (bits + 7) / 8)  // after any bitfields
                offset = (offset + align - 1) / align * align
                fields[last] = StructField(type: type, byteOffset: offset)
                offset += fieldSize
                size = offset
                bits = offset * 8
            }
        }
        size = (size + alignment - 1) / alignment * alignment
        return ScriptStruct(name: "\(tag) \(name)", size: size, alignment: alignment, fields: fields, order: order)
    }

    /// `unsigned int a:4, b:8`: one declaration per name, each with the type.
    static func declarators(_ declaration: Substring) -> [Substring] {
        let parts = declaration.split(separator: ",")
        guard parts.count > 1 else { return [declaration] }
        // The type is the first declarator's words but its last (`int *a, b`: the star is a's).
        var words = parts[0].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        if let colon = words.firstIndex(where: { $0.hasPrefix(":") }) { words = Array(words[..<colon]) }
        if let last = words.last, last.hasSuffix(":") || last.contains(":") { words[words.count - 1] = last.prefix { $0 != ":" } }
        guard words.count >= 2 else { return [declaration] }
        let type = words.dropLast().filter { !$0.hasPrefix("*") }.joined(separator: " ")
        return [parts[0]] + parts.dropFirst().map { Substring(type + " " + $0) }
    }

    /// A member `struct X name;` (not a pointer) of a struct the script has
    /// not defined before: `struct X`, else nil.
    public static func incompleteMember(in text: String, known: [String: ScriptStruct]) -> String? {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else { return nil }
        for declaration in text[text.index(after: open)..<close].split(separator: ";") where !declaration.contains("*") && !declaration.contains("{") {
            let words = declaration.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard words.count >= 3, words[0] == "struct" || words[0] == "union" else { continue }
            let name = "\(words[0]) \(words[1])"
            if known[name] == nil { return name }
        }
        return nil
    }

    /// A C scalar (or a known struct) by its words: its type, size and alignment.
    static func scalar(_ words: [String], _ known: [String: ScriptStruct]) -> (SType, Int, Int)? {
        let unsigned = words.contains("unsigned")
        let plain = words.filter { $0 != "unsigned" && $0 != "signed" }
        if plain.first == "struct" || plain.first == "union", plain.count == 2 {
            guard let s = known["\(plain[0]) \(plain[1])"] else { return nil }
            return (.cType(s.name), s.size, s.alignment)
        }
        let bytes: Int
        switch plain.joined(separator: " ") {
        case "char", "int8_t", "s8", "bool", "_Bool": bytes = 1
        case "uint8_t", "u8": return (.u8, 1, 1)
        case "short", "short int", "int16_t", "s16": bytes = 2
        case "uint16_t", "u16": return (.u16, 2, 2)
        case "int", "", "int32_t", "s32", "pid_t", "float": bytes = 4
        case "uint32_t", "u32", "uid_t", "gid_t": return (.u32, 4, 4)
        case "long", "long int", "long long", "long long int", "int64_t", "s64", "ssize_t", "double": bytes = 8
        case "uint64_t", "u64", "size_t": return (.u64, 8, 8)
        default: return nil
        }
        return (.integer(bits: bytes * 8, signed: !unsigned), bytes, bytes)
    }
}
