/// A lexical token of bpftrace's language.
public enum TokenKind: Hashable, Sendable {
    /// Names: builtins, functions, types, macros, struct fields.
    case identifier(String)
    case keyword(Keyword)
    /// `$name`
    case variable(String)
    /// `$1`, `$2`, …
    case positional(Int)
    /// `$#`
    case paramCount
    /// `@name`, or `@` alone (empty name).
    case map(String)
    case integer(UInt64)
    /// The bytes of a string literal, escapes decoded.
    case string([UInt8])
    /// Operators and punctuation, e.g. `+=`, `{`.
    case punct(String)
    /// A whole `#include` or `#define` line.
    case preprocessor(String)
    case endOfFile
    /// Text the lexer could not read; the lexer has already reported it.
    case invalid
}

public enum Keyword: String, Sendable, CaseIterable {
    case `if`, `else`, `while`, `for`, unroll, `return`, `break`, `continue`, `let`, config, macro
    case `import`, sizeof, offsetof, typeof, `struct`, union, `enum`, `true`, `false`, fn
}

public struct Token: Hashable, Sendable {
    public var kind: TokenKind
    public var range: SourceRange
    /// Whether whitespace or a comment came right before this token.
    public var spaceBefore: Bool

    func isPunct(_ p: String) -> Bool { kind == .punct(p) }
    func isKeyword(_ k: Keyword) -> Bool { kind == .keyword(k) }
}
