/// The little of the C preprocessor scripts lean on: `#define NAME VALUE`
/// for integer constants, and `#include` lines, whose headers the runtime
/// reads for more such constants (types come from the kernel's BTF).
public enum CPreprocessor {
    /// `#define NAME VALUE` where VALUE is an integer expression of literals
    /// and names defined before: (NAME, value). Anything else (macros with
    /// parameters, strings, casts) gives nil.
    public static func define(_ line: String, known: [String: Int64]) -> (String, Int64)? {
        let text = stripComments(line)
        guard let rest = directive(text, "define") else { return nil }
        let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        guard let first = name.first, first.isLetter || first == "_" else { return nil }
        let body = rest.dropFirst(name.count)
        if body.first == "(" { return nil }  // a function-like macro
        var parser = ValueParser(text: Array(body.utf8), known: known)
        guard let v = parser.expression(), parser.atEnd else { return nil }
        return (name, v)
    }

    /// `#include <path>` or `#include "path"`: the path, and whether it names a system header.
    public static func include(_ line: String) -> (path: String, system: Bool)? {
        guard let rest = directive(stripComments(line), "include") else { return nil }
        let trimmed = rest.drop { $0 == " " || $0 == "\t" }
        guard let open = trimmed.first, open == "<" || open == "\"" else { return nil }
        let close: Character = open == "<" ? ">" : "\""
        guard let end = trimmed.dropFirst().firstIndex(of: close) else { return nil }
        return (String(trimmed[trimmed.index(after: trimmed.startIndex)..<end]), open == "<")
    }

    /// The headers a script's directives include, skipping those in
    /// `#ifdef`/`#ifndef`/`#if defined(…)` branches not taken; `defined`
    /// holds the names defined before (e.g. BPFTRACE_HAVE_BTF).
    public static func activeIncludes(_ lines: [String], defined: Set<String>) -> [String] {
        var defined = defined
        var taking: [Bool] = []   // per open conditional: whether its current branch is taken
        var includes: [String] = []
        func active() -> Bool { !taking.contains(false) }
        for line in lines {
            let text = stripComments(line)
            if let name = directive(text, "ifdef") { taking.append(defined.contains(word(name))); continue }
            if let name = directive(text, "ifndef") { taking.append(!defined.contains(word(name))); continue }
            if let condition = directive(text, "if") { taking.append(truth(condition, defined)); continue }
            if directive(text + " ", "else") != nil, !taking.isEmpty { taking[taking.count - 1].toggle(); continue }
            if directive(text + " ", "endif") != nil { _ = taking.popLast(); continue }
            guard active() else { continue }
            if let rest = directive(text, "define") { defined.insert(word(rest)) }
            if let (path, _) = include(text) { includes.append(path) }
        }
        return includes
    }

    /// Conditionals that do not pair up, as a C preprocessor words them:
    /// each problem with the index of the line it belongs to.
    public static func conditionalProblems(_ lines: [String]) -> [(String, Int)] {
        var open: [Int] = []
        var problems: [(String, Int)] = []
        for (i, line) in lines.enumerated() {
            let text = stripComments(line) + " "
            if ["ifdef", "ifndef", "if"].contains(where: { directive(text, $0) != nil }) { open.append(i); continue }
            for name in ["else", "elif"] where directive(text, name) != nil && open.isEmpty { problems.append(("#\(name) without #if", i)) }
            if directive(text, "endif") != nil {
                if open.popLast() == nil { problems.append(("#endif without #if", i)) }
            }
        }
        problems += open.map { ("unterminated conditional directive", $0) }
        return problems.sorted { $0.1 < $1.1 }
    }

    static func word(_ s: Substring) -> String { String(s.prefix { $0.isLetter || $0.isNumber || $0 == "_" }) }

    /// `#if defined(X)`, `#if !defined X`, `#if 0`, `#if 1`; anything else counts as true.
    static func truth(_ condition: Substring, _ defined: Set<String>) -> Bool {
        var c = condition.filter { $0 != " " && $0 != "\t" }
        let negated = c.hasPrefix("!")
        if negated { c.removeFirst() }
        var result = true
        if c.hasPrefix("defined") {
            let name = c.dropFirst("defined".count).filter { $0 != "(" && $0 != ")" }
            result = defined.contains(String(name))
        } else if let n = Int(c) {
            result = n != 0
        }
        return negated ? !result : result
    }

    /// The text after `#name` (spaces allowed around the #), or nil.
    static func directive(_ text: String, _ name: String) -> Substring? {
        var s = Substring(text).drop { $0 == " " || $0 == "\t" }
        guard s.first == "#" else { return nil }
        s = s.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard s.hasPrefix(name) else { return nil }
        s = s.dropFirst(name.count)
        guard let c = s.first, c == " " || c == "\t" || c == "<" || c == "\"" else { return nil }
        return s.drop { $0 == " " || $0 == "\t" }
    }

    static func stripComments(_ line: String) -> String {
        let b = Array(line.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == 47, i + 1 < b.count, b[i + 1] == 47 { break }           // //
            if b[i] == 47, i + 1 < b.count, b[i + 1] == 42 {                   // /* … */
                var j = i + 2
                while j + 1 < b.count, !(b[j] == 42 && b[j + 1] == 47) { j += 1 }
                guard j + 1 < b.count else { break }
                out.append(32)
                i = j + 2
                continue
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Integer expressions: literals (with U/L suffixes), known names,
    /// parentheses, unary - and ~, and the binary + - * << >> | & ^.
    struct ValueParser {
        let text: [UInt8]
        let known: [String: Int64]
        var at = 0

        var atEnd: Bool { mutating get { skipSpace(); return at == text.count } }

        mutating func skipSpace() { while at < text.count, text[at] == 32 || text[at] == 9 { at += 1 } }

        mutating func expression() -> Int64? { binary(0) }

        static let precedence: [String: Int] = ["|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5, "*": 6]

        mutating func binary(_ minimum: Int) -> Int64? {
            guard var left = unary() else { return nil }
            while true {
                skipSpace()
                let two = at + 1 < text.count ? String(decoding: text[at...at + 1], as: UTF8.self) : ""
                let one = at < text.count ? String(UnicodeScalar(text[at])) : ""
                let op = Self.precedence[two] != nil ? two : one
                guard let p = Self.precedence[op], p > minimum else { return left }
                at += op.utf8.count
                guard let right = binary(p) else { return nil }
                switch op {
                case "|": left |= right
                case "^": left ^= right
                case "&": left &= right
                case "<<": left = right >= 0 && right < 64 ? left << right : 0
                case ">>": left = right >= 0 && right < 64 ? left >> right : 0
                case "+": left &+= right
                case "-": left &-= right
                default: left &*= right
                }
            }
        }

        mutating func unary() -> Int64? {
            skipSpace()
            guard at < text.count else { return nil }
            switch text[at] {
            case UInt8(ascii: "-"): at += 1; return unary().map { 0 &- $0 }
            case UInt8(ascii: "~"): at += 1; return unary().map { ~$0 }
            case UInt8(ascii: "("):
                at += 1
                guard let v = expression() else { return nil }
                skipSpace()
                guard at < text.count, text[at] == UInt8(ascii: ")") else { return nil }
                at += 1
                return v
            default: return atom()
            }
        }

        mutating func atom() -> Int64? {
            let start = at
            while at < text.count, (text[at] >= 48 && text[at] <= 57) || (text[at] | 0x20 >= 97 && text[at] | 0x20 <= 122) || text[at] == 95 { at += 1 }
            var word = String(decoding: text[start..<at], as: UTF8.self)
            guard let first = word.first else { return nil }
            if !first.isNumber { return known[word] }
            while let last = word.last, "uUlL".contains(last) { word.removeLast() }
            return PositionalParameter.integer(word)
        }
    }
}
