extension Parser {
    /// bpftrace's own type names.
    static let builtinTypeNames: Set<String> = [
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "string", "inet", "buffer", "void", "timestamp", "macaddr_t", "cgroup_path_t", "strerror_t",
        "min_t", "max_t", "sum_t", "count_t", "avg_t", "stats_t", "umin_t", "umax_t", "usum_t", "ucount_t", "uavg_t", "ustats_t",
    ]
    /// C words that make up base types (`unsigned long long`).
    static let cTypeWords: Set<String> = ["char", "short", "int", "long", "unsigned", "signed", "float", "double", "const", "volatile"]

    static func isTypeName(_ name: String) -> Bool {
        builtinTypeNames.contains(name) || cTypeWords.contains(name) || (name.hasSuffix("_t") && name.count > 2)
    }

    /// Decides whether `(` at the current token opens a cast. Known type
    /// names and `struct …` always do; another name does when followed by
    /// `*`s and `)`, or by `)` and something that can only start an operand.
    mutating func looksLikeCast() -> Bool {
        let ahead = peek(6)
        guard let first = ahead.first else { return false }
        switch first {
        case .keyword(.struct), .keyword(.union), .keyword(.enum), .keyword(.typeof): return true
        case .identifier(let name):
            if Self.isTypeName(name) { return true }
            var i = 1
            while i < ahead.count && ahead[i] == .punct("*") { i += 1 }
            guard i < ahead.count, ahead[i] == .punct(")") else { return false }
            if i > 1 { return true }
            guard i + 1 < ahead.count else { return false }
            switch ahead[i + 1] {
            case .identifier, .integer, .string, .variable, .map, .positional, .punct("("), .punct("!"), .punct("~"): return true
            default: return false
            }
        default:
            return false
        }
    }

    /// Whether `kind` followed by `after` starts a type (for sizeof, typeof, offsetof).
    func looksLikeType(_ kind: TokenKind, then after: [TokenKind]) -> Bool {
        switch kind {
        case .keyword(.struct), .keyword(.union), .keyword(.enum), .keyword(.typeof): return true
        case .identifier(let name):
            if Self.isTypeName(name) { return true }
            return after.first == .punct("*")
        default: return false
        }
    }

    mutating func parseType() throws(Abandon) -> TypeExpr {
        var type: TypeExpr
        switch tok.kind {
        case .keyword(let k) where k == .struct || k == .union || k == .enum:
            advance()
            let name = try expectIdentifier("a \(k.rawValue) name")
            type = .tagged(k.rawValue, name)
        case .keyword(.typeof):
            let start = tok.range.start
            advance()
            try expect("(")
            let inner: Expr
            if looksLikeType(tok.kind, then: peek(2)) {
                let t = try parseType()
                inner = Expr(.type(t), SourceRange(start, previousEnd))
            } else {
                inner = try parseExpr()
            }
            try expect(")")
            type = .typeOf(inner)
        case .identifier(let name) where Self.cTypeWords.contains(name):
            var words = [name]
            advance()
            while case .identifier(let w) = tok.kind, Self.cTypeWords.contains(w) {
                words.append(w)
                advance()
            }
            type = .named(words.joined(separator: " "))
        case .identifier(let name):
            advance()
            if ["string", "inet", "buffer"].contains(name) && tok.isPunct("["), case .integer(let n) = peek(1).first {
                advance(); advance()
                try expect("]")
                type = .sized(name, Int(clamping: n))
            } else {
                type = .named(name)
            }
        default:
            throw unexpected(expecting: "a type")
        }
        while true {
            if tok.isPunct("*") {
                advance()
                type = .pointer(type)
            } else if tok.isPunct("[") {
                advance()
                if tok.isPunct("]") {
                    advance()
                    type = .array(type, nil)
                } else if case .integer(let n) = tok.kind {
                    advance()
                    try expect("]")
                    type = .array(type, Int(clamping: n))
                } else {
                    throw unexpected(expecting: "an array length")
                }
            } else {
                return type
            }
        }
    }
}
