/// Turns script text into tokens on demand. The parser drives it, because
/// attach points (`uprobe:/bin/bash:readline`, `software:cpu-clock:1e6`)
/// and C definitions are lexed differently from expressions.
struct Lexer {
    let source: SourceFile
    private let b: [UInt8]
    private(set) var position = 0
    var diagnostics = Diagnostics()

    init(_ source: SourceFile) {
        self.source = source
        self.b = source.bytes
    }

    private func byte(_ i: Int) -> UInt8 { i < b.count ? b[i] : 0 }
    private var current: UInt8 { byte(position) }

    mutating func reset(to offset: Int) { position = offset }

    private static let keywords: [String: Keyword] = Dictionary(uniqueKeysWithValues: Keyword.allCases.map { ($0.rawValue, $0) })

    /// Operators by length, as their bytes packed little-endian into a UInt32
    /// (a table lookup per token instead of comparing strings).
    private static let operators: [[UInt32: String]] = {
        let all = [
            "<<=", ">>=", "...", "..", "->", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
            "==", "!=", "<=", ">=", "<<", ">>", "&&", "||",
            "{", "}", "(", ")", "[", "]", ";", ",", ":", "?", ".", "+", "-", "*", "/", "%",
            "&", "|", "^", "!", "~", "<", ">", "=",
        ]
        var byLength: [[UInt32: String]] = [[:], [:], [:]]
        for op in all {
            let key = op.utf8.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            byLength[op.utf8.count - 1][key] = op
        }
        return byLength
    }()

    /// Skips blanks and comments; returns whether there were any.
    @discardableResult
    mutating func skipTrivia() -> Bool {
        let start = position
        while position < b.count {
            let c = current
            if c == 32 || c == 9 || c == 10 || c == 13 || c == 12 || c == 11 {
                position += 1
            } else if c == UInt8(ascii: "/") && byte(position + 1) == UInt8(ascii: "/") {
                while position < b.count && current != 10 { position += 1 }
            } else if c == UInt8(ascii: "/") && byte(position + 1) == UInt8(ascii: "*") {
                let open = position
                position += 2
                while position < b.count && !(current == UInt8(ascii: "*") && byte(position + 1) == UInt8(ascii: "/")) { position += 1 }
                if position >= b.count {
                    diagnostics.error("unterminated comment", at: SourceRange(open, open + 2))
                } else {
                    position += 2
                }
            } else {
                break
            }
        }
        return position > start
    }

    mutating func next() -> Token {
        let space = skipTrivia() || position == 0
        let start = position
        guard position < b.count else { return Token(kind: .endOfFile, range: SourceRange(start, start), spaceBefore: space) }
        let kind = lexOne()
        return Token(kind: kind, range: SourceRange(start, position), spaceBefore: space)
    }

    private mutating func lexOne() -> TokenKind {
        let start = position
        let c = current
        if isIdentStart(c) {
            let name = readIdentifier()
            return Self.keywords[name].map { .keyword($0) } ?? .identifier(name)
        }
        if isDigit(c) { return lexNumber() }
        switch c {
        case UInt8(ascii: "\""): return lexString()
        case UInt8(ascii: "$"):
            position += 1
            if current == UInt8(ascii: "#") { position += 1; return .paramCount }
            if isDigit(current) {
                var n = 0
                while isDigit(current) {
                    n = n &* 10 &+ Int(current - 48)
                    position += 1
                }
                if n <= 0 || n > 1_000_000 {
                    diagnostics.error("positional parameter \(source.text(of: SourceRange(start, position))) is out of range [1, 1000000]", at: SourceRange(start, position))
                }
                return .positional(n)
            }
            if isIdentStart(current) { return .variable(readIdentifier()) }
            diagnostics.error("expected a variable name after $", at: SourceRange(start, position))
            return .invalid
        case UInt8(ascii: "@"):
            position += 1
            return .map(isIdentStart(current) ? readIdentifier() : "")
        case UInt8(ascii: "#"):
            if start == 0 || isLineStart(start) { return .preprocessor(readPreprocessorLine()) }
        default:
            break
        }
        let key3 = UInt32(c) | UInt32(byte(position + 1)) << 8 | UInt32(byte(position + 2)) << 16
        for length in stride(from: 3, through: 1, by: -1) {
            let key = key3 & (UInt32.max >> (32 - 8 * UInt32(length)))
            if let op = Self.operators[length - 1][key] {
                position += length
                return .punct(op)
            }
        }
        position += 1
        let shown = c >= 32 && c < 127 ? "'\(Character(UnicodeScalar(c)))'" : "byte 0x\(String(c, radix: 16))"
        diagnostics.error("invalid character \(shown)", at: SourceRange(start, position))
        return .invalid
    }

    private func matches(_ op: String) -> Bool {
        var i = position
        for u in op.utf8 {
            if byte(i) != u { return false }
            i += 1
        }
        return true
    }

    private func isLineStart(_ offset: Int) -> Bool {
        var i = offset - 1
        while i >= 0 && (b[i] == 32 || b[i] == 9) { i -= 1 }
        return i < 0 || b[i] == 10
    }

    func isIdentStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
    func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
    func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    private mutating func readIdentifier() -> String {
        let start = position
        while isIdentChar(current) { position += 1 }
        return String(decoding: b[start..<position], as: UTF8.self)
    }

    private mutating func readPreprocessorLine() -> String {
        let start = position
        while position < b.count && current != 10 {
            if current == UInt8(ascii: "\\") && byte(position + 1) == 10 { position += 1 }
            position += 1
        }
        return String(decoding: b[start..<position], as: UTF8.self).trimmingTrailingBlanks()
    }

    // MARK: Numbers

    /// Durations multiply to nanoseconds.
    static let durationUnits: [String: UInt64] = [
        "ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000,
    ]

    private mutating func lexNumber() -> TokenKind {
        let start = position
        var radix: UInt64 = 10
        if current == UInt8(ascii: "0") && (byte(position + 1) | 0x20) == UInt8(ascii: "x") {
            radix = 16; position += 2
        } else if current == UInt8(ascii: "0") && (byte(position + 1) | 0x20) == UInt8(ascii: "b") && isDigit(byte(position + 2)) {
            radix = 2; position += 2
        } else if current == UInt8(ascii: "0") && isDigit(byte(position + 1)) {
            radix = 8; position += 1
        }
        var value: UInt64 = 0
        var overflow = false
        var digits = 0
        while true {
            let c = current
            if c == UInt8(ascii: "_") && digits > 0 { position += 1; continue }
            guard let d = digitValue(c, radix: radix) else { break }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(d)
            overflow = overflow || o1 || o2
            value = s
            digits += 1
            position += 1
        }
        if digits == 0 && radix != 8 {
            diagnostics.error("invalid integer literal", at: SourceRange(start, position))
            return .invalid
        }
        // Scientific notation: 1e6 means 1 * 10^6 (integers only).
        if radix == 10 && (current | 0x20) == UInt8(ascii: "e") && isDigit(byte(position + 1)) {
            position += 1
            var exp = 0
            while isDigit(current) { exp = min(exp * 10 + Int(current - 48), 100); position += 1 }
            for _ in 0..<exp {
                let (m, o) = value.multipliedReportingOverflow(by: 10)
                overflow = overflow || o
                value = m
            }
        }
        let suffixStart = position
        while isIdentChar(current) { position += 1 }
        let suffix = String(decoding: b[suffixStart..<position], as: UTF8.self)
        if !suffix.isEmpty {
            if let unit = Self.durationUnits[suffix] {
                let (m, o) = value.multipliedReportingOverflow(by: unit)
                overflow = overflow || o
                value = m
            } else if !["u", "l", "ul", "lu", "ll", "ull", "llu"].contains(suffix.lowercased()) {
                diagnostics.error("invalid integer suffix '\(suffix)'", at: SourceRange(suffixStart, position))
                return .invalid
            }
        }
        if overflow {
            diagnostics.error("integer literal is too large for 64 bits", at: SourceRange(start, position))
            return .invalid
        }
        return .integer(value)
    }

    private func digitValue(_ c: UInt8, radix: UInt64) -> UInt64? {
        let v: UInt64
        switch c {
        case 48...57: v = UInt64(c - 48)
        case 97...102: v = UInt64(c - 87)
        case 65...70: v = UInt64(c - 55)
        default: return nil
        }
        return v < radix ? v : nil
    }

    // MARK: Strings

    private mutating func lexString() -> TokenKind {
        let start = position
        position += 1
        var out: [UInt8] = []
        while true {
            // A string may span lines, as bpftrace's lexer allows; only the end of the text leaves it open.
            guard position < b.count else {
                diagnostics.error("unterminated string", at: SourceRange(start, position))
                return .string(out)
            }
            let c = current
            position += 1
            if c == UInt8(ascii: "\"") { return .string(out) }
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            guard position < b.count, current != 10 else { continue } // reported as unterminated above
            let e = current
            position += 1
            switch e {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "a"): out.append(7)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "?"): out.append(e)
            case UInt8(ascii: "x"):
                var v = 0, n = 0
                while n < 2, let d = digitValue(current, radix: 16) { v = v * 16 + Int(d); n += 1; position += 1 }
                if n == 0 { diagnostics.error("\\x needs hexadecimal digits", at: SourceRange(position - 2, position)) }
                out.append(UInt8(v))
            case 48...55:
                var v = Int(e - 48), n = 1
                while n < 3, let d = digitValue(current, radix: 8) { v = v * 8 + Int(d); n += 1; position += 1 }
                if v > 255 { diagnostics.error("octal escape is larger than a byte", at: SourceRange(position - n - 1, position)) }
                out.append(UInt8(truncatingIfNeeded: v))
            default:
                let shown = e >= 32 && e < 127 ? String(Character(UnicodeScalar(e))) : "0x" + String(e, radix: 16)
                diagnostics.error("invalid escape character '\\\(shown)'", at: SourceRange(position - 2, position))
            }
        }
    }

    // MARK: Raw text for attach points and C definitions

    /// Reads one attach point's raw text starting at the current position:
    /// everything up to blanks, a comma, `{`, or a `/` that starts a
    /// predicate. A component that starts with `/` or `.` after a colon is a
    /// path, so its slashes belong to it; quoted parts are kept with quotes.
    mutating func rawAttachPoint() -> (text: String, range: SourceRange) {
        skipTrivia()
        let start = position
        var inPath = false
        var afterColon = true
        var component = 0
        while position < b.count {
            let c = current
            if c == UInt8(ascii: "\"") {
                position += 1
                while position < b.count && current != UInt8(ascii: "\"") && current != 10 {
                    if current == UInt8(ascii: "\\") && position + 1 < b.count { position += 1 }
                    position += 1
                }
                if current == UInt8(ascii: "\"") { position += 1 }
                afterColon = false
                continue
            }
            if c == 32 || c == 9 || c == 10 || c == 13 || c == UInt8(ascii: ",") || c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || c == UInt8(ascii: ";") { break }
            if c == UInt8(ascii: "/") && byte(position + 1) == UInt8(ascii: "/") && !inPath { break } // a comment
            if c == UInt8(ascii: "/") && byte(position + 1) == UInt8(ascii: "*") { break }
            if c == UInt8(ascii: ":") {
                component += 1
                // The binary of uprobes and USDT is a path even without a leading / or ./
                let written = String(decoding: b[start..<position], as: UTF8.self)
                inPath = component == 1 && ProbeKind(written: written)?.tracesUserSpace == true
                afterColon = true
                position += 1
                continue
            }
            if afterColon && (c == UInt8(ascii: "/") || c == UInt8(ascii: ".")) { inPath = true }
            if c == UInt8(ascii: "/") && !inPath { break }
            afterColon = false
            position += 1
        }
        return (String(decoding: b[start..<position], as: UTF8.self), SourceRange(start, position))
    }

    /// Reads a C definition (`struct X { … }`, `enum E { … }`, `typedef …;`)
    /// through its balanced closing brace and an optional `;`.
    mutating func rawCDefinition() -> (text: String, range: SourceRange)? {
        skipTrivia()
        let start = position
        var depth = 0
        while position < b.count {
            let c = current
            position += 1
            if c == UInt8(ascii: "{") { depth += 1 }
            if c == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { break }
            }
            if c == UInt8(ascii: ";") && depth == 0 { position -= 1; break }
        }
        if depth > 0 {
            diagnostics.error("unterminated definition: missing '}'", at: SourceRange(start, min(start + 6, b.count)))
            return nil
        }
        // Attributes after the closing brace: __attribute__((packed)) …
        while true {
            let save = position
            skipTrivia()
            guard matches("__attribute__") else { position = save; break }
            position += 13
            skipTrivia()
            guard current == UInt8(ascii: "(") else { break }
            var parens = 0
            repeat {
                if current == UInt8(ascii: "(") { parens += 1 }
                if current == UInt8(ascii: ")") { parens -= 1 }
                position += 1
            } while parens > 0 && position < b.count
        }
        let text = String(decoding: b[start..<position], as: UTF8.self)
        let save = position
        skipTrivia()
        if current == UInt8(ascii: ";") { position += 1 } else { position = save }
        return (text, SourceRange(start, save))
    }
}

extension String {
    func trimmingTrailingBlanks() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
