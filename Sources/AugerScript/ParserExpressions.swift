extension Parser {
    /// Binding strength of binary operators, C's order: higher binds tighter.
    static let precedence: [String: Int] = [
        "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
        "<": 7, "<=": 7, ">": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
    ]

    mutating func parseExpr() throws(Abandon) -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw fail("expression nested too deeply") }
        let cond = try parseBinary(1)
        guard tok.isPunct("?") else { return cond }
        advance()
        if tok.isPunct(":") {
            advance()
            let b = try parseExpr()
            return Expr(.ternary(cond, nil, b), cond.range.to(b.range))
        }
        let a = try parseExpr()
        try expect(":")
        let b = try parseExpr()
        return Expr(.ternary(cond, a, b), cond.range.to(b.range))
    }

    mutating func parseBinary(_ minPrec: Int) throws(Abandon) -> Expr {
        var left = try parseUnary()
        var operators = 0
        while case .punct(let p) = tok.kind, let prec = Self.precedence[p], prec >= minPrec {
            if p == "/" && inPredicate { break }
            // Each operator nests the tree one level deeper for every later
            // pass; past this, checking it would exhaust the stack.
            operators += 1
            if operators > Self.maxChain { throw fail("expression too complex: more than \(Self.maxChain) operators in a row; split it up with variables") }
            advance()
            let right = try parseBinary(prec + 1)
            left = Expr(.binary(BinaryOp(rawValue: p)!, left, right), left.range.to(right.range))
        }
        return left
    }

    mutating func parseUnary() throws(Abandon) -> Expr {
        let start = tok.range.start
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw fail("expression nested too deeply") }
        switch tok.kind {
        case .punct(let p) where ["-", "!", "~", "*", "&"].contains(p):
            advance()
            let operand = try parseUnary()
            return Expr(.unary(UnaryOp(rawValue: p)!, operand), SourceRange(start, operand.range.end))
        case .punct(let p) where p == "++" || p == "--":
            advance()
            let operand = try parseUnary()
            return Expr(.increment(operand, up: p == "++", prefix: true), SourceRange(start, operand.range.end))
        case .punct("(") where looksLikeCast():
            advance()
            let type = try parseType()
            try expect(")")
            let operand = try parseUnary()
            return Expr(.cast(type, operand), SourceRange(start, operand.range.end))
        case .keyword(.sizeof):
            advance()
            try expect("(")
            let e: Expr
            if looksLikeType(tok.kind, then: peek(3)) {
                let t = try parseType()
                e = Expr(.sizeofType(t), SourceRange(start, 0))
            } else {
                e = Expr(.sizeofExpr(try parseExpr()), SourceRange(start, 0))
            }
            try expect(")")
            e.range = SourceRange(start, previousEnd)
            return e
        case .keyword(.offsetof):
            advance()
            try expect("(")
            let t: TypeExpr
            if looksLikeType(tok.kind, then: peek(3)) {
                t = try parseType()
            } else {
                let e = try parseExpr()
                t = .typeOf(e)
            }
            try expect(",")
            var path = [try expectIdentifier("a field name")]
            while tok.isPunct(".") {
                advance()
                path.append(try expectIdentifier("a field name"))
            }
            try expect(")")
            return Expr(.offsetof(t, path), SourceRange(start, previousEnd))
        default:
            return try parsePostfix()
        }
    }

    mutating func parsePostfix() throws(Abandon) -> Expr {
        var e = try parsePrimary()
        var steps = 0
        while true {
            steps += 1
            if steps > Self.maxChain { throw fail("expression too complex: more than \(Self.maxChain) field accesses or indexes in a row") }
            switch tok.kind {
            case .punct("."), .punct("->"):
                let arrow = tok.isPunct("->")
                advance()
                switch tok.kind {
                case .identifier(let name):
                    advance()
                    e = Expr(.field(e, name, arrow: arrow), SourceRange(e.range.start, previousEnd))
                case .keyword(let k):
                    advance()
                    e = Expr(.field(e, k.rawValue, arrow: arrow), SourceRange(e.range.start, previousEnd))
                case .integer(let n) where !arrow:
                    advance()
                    e = Expr(.tupleIndex(e, Int(clamping: n)), SourceRange(e.range.start, previousEnd))
                default:
                    throw unexpected(expecting: "a field name")
                }
            case .punct("["):
                advance()
                let index = try parseExpr()
                try expect("]")
                e = Expr(.index(e, index), SourceRange(e.range.start, previousEnd))
            case .punct("++"), .punct("--"):
                let up = tok.isPunct("++")
                advance()
                e = Expr(.increment(e, up: up, prefix: false), SourceRange(e.range.start, previousEnd))
            default:
                return e
            }
        }
    }

    mutating func parsePrimary() throws(Abandon) -> Expr {
        let start = tok.range.start
        func here(_ kind: ExprKind) -> Expr { Expr(kind, SourceRange(start, previousEnd)) }
        switch tok.kind {
        case .integer(let v):
            advance()
            return here(.integer(v))
        case .string(let s):
            advance()
            return here(.string(s))
        case .keyword(.true), .keyword(.false):
            let v = tok.isKeyword(.true)
            advance()
            return here(.bool(v))
        case .variable(let v):
            advance()
            return here(.variable(v))
        case .positional(let n):
            advance()
            return here(.positional(n))
        case .paramCount:
            advance()
            return here(.paramCount)
        case .map(let name):
            advance()
            var keys: [Expr] = []
            if tok.isPunct("[") {
                advance()
                keys = try parseArguments(closing: "]")
                if keys.isEmpty { throw fail("a map key is missing between '[' and ']'", at: SourceRange(start, previousEnd)) }
            }
            return here(.map(name, keys: keys))
        case .identifier(let name):
            advance()
            if tok.isPunct("(") {
                advance()
                let args = try parseArguments(closing: ")")
                return here(.call(name, args))
            }
            return here(.identifier(name))
        case .keyword(.typeof):
            return here(.type(try parseType()))
        case .keyword(.if):
            let s = try parseIf()
            return Expr(.ifExpr(s), s.range)
        case .keyword(.config):
            // `config` is a keyword only at the top of a script.
            advance()
            if tok.isPunct("(") {
                advance()
                return here(.call("config", try parseArguments(closing: ")")))
            }
            return here(.identifier("config"))
        case .punct("("):
            return try parseParenthesized()
        case .punct("{"):
            let block = try parseBlock()
            return Expr(.block(block), block.range)
        default:
            throw unexpected(expecting: "an expression")
        }
    }

    /// `(e)`, a tuple `(a, b)` / `(a,)` / `()`, or a record `(x=1, y=2)`.
    mutating func parseParenthesized() throws(Abandon) -> Expr {
        let start = tok.range.start
        advance()
        if tok.isPunct(")") {
            advance()
            return Expr(.tuple([]), SourceRange(start, previousEnd))
        }
        if case .identifier = tok.kind, peek(1).first == .punct("=") {
            var fields: [(String, Expr)] = []
            while !tok.isPunct(")") {
                let name = try expectIdentifier("a record field name")
                try expect("=")
                fields.append((name, try parseExpr()))
                if tok.isPunct(",") { advance() } else if !tok.isPunct(")") { throw unexpected(expecting: "',' or ')'") }
            }
            advance()
            return Expr(.record(fields), SourceRange(start, previousEnd))
        }
        let savedPredicate = inPredicate
        inPredicate = false
        defer { inPredicate = savedPredicate }
        let first = try parseExpr()
        guard tok.isPunct(",") else {
            try expect(")")
            return first
        }
        var elements = [first]
        while tok.isPunct(",") {
            advance()
            if tok.isPunct(")") { break }
            elements.append(try parseExpr())
        }
        try expect(")")
        return Expr(.tuple(elements), SourceRange(start, previousEnd))
    }

    /// Comma-separated expressions up to `closing`, which is consumed.
    mutating func parseArguments(closing: String) throws(Abandon) -> [Expr] {
        let savedPredicate = inPredicate
        inPredicate = false
        defer { inPredicate = savedPredicate }
        var args: [Expr] = []
        while !tok.isPunct(closing) {
            args.append(try parseExpr())
            if tok.isPunct(",") {
                advance()
                if tok.isPunct(closing) { throw unexpected(expecting: "an expression") }
            } else if !tok.isPunct(closing) {
                throw unexpected(expecting: "',' or '\(closing)'")
            }
        }
        advance()
        return args
    }
}
