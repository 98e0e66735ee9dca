/// Parses bpftrace's language into a `Program`, reporting every syntax error
/// it can recover from rather than only the first.
public struct Parser {
    var lexer: Lexer
    var tok: Token
    var previousEnd = 0
    var diagnostics = Diagnostics()
    /// Inside `/…/` a top-level `/` ends the predicate rather than dividing.
    var inPredicate = false
    var depth = 0
    static let maxDepth = 150
    /// Operators (or postfix steps) in one chain, such as `a + b + … + z`.
    static let maxChain = 400

    /// Thrown to abandon the current statement or probe after reporting.
    struct Abandon: Error {}

    init(_ source: SourceFile) {
        lexer = Lexer(source)
        tok = Token(kind: .endOfFile, range: .none, spaceBefore: true)
        tok = lexer.next()
    }

    /// Parses a whole script. The program is nil only when nothing useful
    /// could be read; check `diagnostics.hasErrors` either way.
    public static func parse(_ source: SourceFile) -> (program: Program, diagnostics: Diagnostics) {
        var p = Parser(source)
        let program = p.parseProgram()
        var d = p.lexer.diagnostics
        d.append(contentsOf: p.diagnostics)
        return (program, d)
    }

    // MARK: Token helpers

    mutating func advance() {
        previousEnd = tok.range.end
        tok = lexer.next()
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .identifier(let n): "identifier '\(n)'"
        case .keyword(let k): "'\(k.rawValue)'"
        case .variable(let n): "variable '$\(n)'"
        case .positional(let n): "positional parameter '$\(n)'"
        case .paramCount: "'$#'"
        case .map(let n): "map '@\(n)'"
        case .integer: "integer"
        case .string: "string"
        case .punct(let p): "'\(p)'"
        case .preprocessor: "preprocessor directive"
        case .endOfFile: "end of file"
        case .invalid: "invalid token"
        }
    }

    mutating func fail(_ message: String, at range: SourceRange? = nil) -> Abandon {
        diagnostics.error(message, at: range ?? tok.range)
        return Abandon()
    }

    mutating func unexpected(expecting: String) -> Abandon {
        if tok.kind == .invalid { return Abandon() } // the lexer has said why
        // After an unterminated string or comment the end of file is no news.
        if tok.kind == .endOfFile && lexer.diagnostics.hasErrors { return Abandon() }
        return fail("syntax error, unexpected \(describe(tok)), expecting \(expecting)")
    }

    mutating func expect(_ p: String) throws(Abandon) {
        guard tok.isPunct(p) else { throw unexpected(expecting: "'\(p)'") }
        advance()
    }

    mutating func expectIdentifier(_ what: String) throws(Abandon) -> String {
        guard case .identifier(let name) = tok.kind else { throw unexpected(expecting: what) }
        advance()
        return name
    }

    /// Looks ahead without consuming: the kinds of the next `n` tokens after the current one.
    mutating func peek(_ n: Int) -> [TokenKind] {
        let save = lexer.position
        let diagnosticCount = lexer.diagnostics.all.count
        var out: [TokenKind] = []
        for _ in 0..<n { out.append(lexer.next().kind) }
        lexer.reset(to: save)
        lexer.diagnostics.truncate(to: diagnosticCount)
        return out
    }

    /// Skips to just after the next `;` or to the `}` closing the current block.
    mutating func recoverInBlock() {
        var nesting = 0
        while true {
            switch tok.kind {
            case .endOfFile: return
            case .punct("{"), .punct("("), .punct("["): nesting += 1
            case .punct(")"), .punct("]"): nesting = max(0, nesting - 1)
            case .punct("}"):
                if nesting == 0 { return }
                nesting -= 1
            case .punct(";") where nesting == 0:
                advance()
                return
            default: break
            }
            advance()
        }
    }

    /// Skips past the `}` that closes the current top-level item.
    mutating func recoverAtTopLevel() {
        var nesting = 0
        var sawBrace = false
        while tok.kind != .endOfFile {
            if tok.isPunct("{") { nesting += 1; sawBrace = true }
            if tok.isPunct("}") {
                nesting -= 1
                if nesting <= 0 && sawBrace { advance(); return }
            }
            advance()
        }
    }

    // MARK: Program

    mutating func parseProgram() -> Program {
        var preamble: [PreambleItem] = []
        var probes: [Probe] = []
        while tok.kind != .endOfFile {
            do {
                if let item = try parsePreambleItem() {
                    if !probes.isEmpty, case .config = item {
                        diagnostics.error("the config block must come before any probe", at: rangeOf(item))
                    }
                    preamble.append(item)
                } else {
                    probes.append(try parseProbe())
                }
            } catch {
                recoverAtTopLevel()
            }
        }
        if probes.isEmpty && !diagnostics.hasErrors && !lexer.diagnostics.hasErrors {
            diagnostics.error("no probes: a script needs at least one probe, e.g. begin { … }", at: SourceRange(previousEnd, previousEnd))
        }
        return Program(preamble: preamble, probes: probes)
    }

    func rangeOf(_ item: PreambleItem) -> SourceRange {
        switch item {
        case .preprocessor(_, let r), .cDefinition(_, let r), .import(_, let r), .config(_, let r): r
        case .mapDeclaration(let d): d.range
        case .macro(let m): m.range
        case .function(let f): f.range
        }
    }

    /// Returns nil when the current token starts a probe.
    mutating func parsePreambleItem() throws(Abandon) -> PreambleItem? {
        let start = tok.range.start
        switch tok.kind {
        case .preprocessor(let text):
            advance()
            return .preprocessor(text, SourceRange(start, previousEnd))
        case .keyword(.struct), .keyword(.union), .keyword(.enum), .identifier("typedef"):
            lexer.reset(to: start)
            guard let (text, range) = lexer.rawCDefinition() else { advance(); throw Abandon() }
            tok = lexer.next()
            previousEnd = range.end
            return .cDefinition(text, range)
        case .keyword(.import):
            advance()
            guard case .string(let bytes) = tok.kind else { throw unexpected(expecting: "a quoted module path") }
            advance()
            if tok.isPunct(";") { advance() }
            return .import(String(decoding: bytes, as: UTF8.self), SourceRange(start, previousEnd))
        case .keyword(.config):
            return try parseConfig()
        case .keyword(.let):
            return .mapDeclaration(try parseMapDeclaration())
        case .keyword(.macro):
            return .macro(try parseMacro())
        case .keyword(.fn):
            return .function(try parseFunction())
        default:
            return nil
        }
    }

    mutating func parseConfig() throws(Abandon) -> PreambleItem {
        let start = tok.range.start
        advance()
        try expect("=")
        try expect("{")
        var assignments: [ConfigAssignment] = []
        while !tok.isPunct("}") {
            if tok.isPunct(";") { advance(); continue }
            let nameStart = tok.range.start
            let name = try expectIdentifier("a config variable name")
            try expect("=")
            let value = try parseExpr()
            assignments.append(ConfigAssignment(name: name, value: value, range: SourceRange(nameStart, previousEnd)))
            if !tok.isPunct(";") && !tok.isPunct("}") { throw unexpected(expecting: "';' or '}'") }
        }
        advance()
        if tok.isPunct(";") { advance() }
        return .config(assignments, SourceRange(start, previousEnd))
    }

    mutating func parseMapDeclaration() throws(Abandon) -> MapDeclaration {
        let start = tok.range.start
        advance()
        guard case .map(let name) = tok.kind else { throw unexpected(expecting: "a map name after 'let' outside a probe") }
        advance()
        try expect("=")
        let kind = try expectIdentifier("a map type such as hash(100)")
        try expect("(")
        let args = try parseArguments(closing: ")")
        if tok.isPunct(";") { advance() }
        return MapDeclaration(name: name, kind: kind, arguments: args, range: SourceRange(start, previousEnd))
    }

    mutating func parseMacro() throws(Abandon) -> Macro {
        let start = tok.range.start
        advance()
        let name = try expectIdentifier("a macro name")
        try expect("(")
        var params: [MacroParameter] = []
        while !tok.isPunct(")") {
            switch tok.kind {
            case .variable(let v): params.append(.variable(v))
            case .map(let m): params.append(.map(m))
            case .identifier(let i): params.append(.expression(i))
            default: throw unexpected(expecting: "a macro parameter ($var, @map or name)")
            }
            advance()
            if tok.isPunct(",") { advance() } else if !tok.isPunct(")") { throw unexpected(expecting: "',' or ')'") }
        }
        advance()
        let body = try parseBlock()
        return Macro(name: name, parameters: params, body: body, range: SourceRange(start, previousEnd))
    }

    mutating func parseFunction() throws(Abandon) -> Function {
        let start = tok.range.start
        advance()
        let name = try expectIdentifier("a function name")
        try expect("(")
        var params: [(String, TypeExpr)] = []
        while !tok.isPunct(")") {
            guard case .variable(let v) = tok.kind else { throw unexpected(expecting: "a parameter such as $x: uint64") }
            advance()
            try expect(":")
            params.append((v, try parseType()))
            if tok.isPunct(",") { advance() } else if !tok.isPunct(")") { throw unexpected(expecting: "',' or ')'") }
        }
        advance()
        try expect(":")
        let returnType = try parseType()
        let body = try parseBlock()
        return Function(name: name, parameters: params, returnType: returnType, body: body, range: SourceRange(start, previousEnd))
    }

    // MARK: Probes

    mutating func parseProbe() throws(Abandon) -> Probe {
        let start = tok.range.start
        var points: [AttachPoint] = []
        while true {
            // Re-read from the token's start in attach point mode; forget any
            // complaint the expression lexer had about this text.
            lexer.diagnostics.truncate(toBefore: tok.range.start)
            lexer.reset(to: tok.range.start)
            let (raw, range) = lexer.rawAttachPoint()
            if raw.isEmpty {
                tok = lexer.next()
                throw unexpected(expecting: "a probe, e.g. tracepoint:syscalls:sys_enter_read")
            }
            if let point = AttachPointSyntax.parse(raw, range, &diagnostics) { points.append(point) }
            previousEnd = range.end
            tok = lexer.next()
            guard tok.isPunct(",") else { break }
            advance()
        }
        var predicate: Expr? = nil
        if tok.isPunct("/") {
            advance()
            inPredicate = true
            defer { inPredicate = false }
            predicate = try parseExpr()
            inPredicate = false
            guard tok.isPunct("/") else { throw unexpected(expecting: "'/' to end the predicate") }
            advance()
        }
        guard tok.isPunct("{") else { throw unexpected(expecting: "'{' to start the probe's action") }
        let body = try parseBlock()
        return Probe(attachPoints: points, predicate: predicate, body: body, range: SourceRange(start, previousEnd))
    }

    // MARK: Blocks and statements

    mutating func parseBlock() throws(Abandon) -> Block {
        let start = tok.range.start
        try expect("{")
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw fail("blocks nested too deeply") }
        var statements: [Stmt] = []
        var endsWithSemicolon = true
        let savedPredicate = inPredicate
        inPredicate = false
        defer { inPredicate = savedPredicate }
        while !tok.isPunct("}") {
            if tok.kind == .endOfFile {
                if lexer.diagnostics.hasErrors { throw Abandon() }
                throw fail("syntax error, unexpected end of file, expecting '}'", at: SourceRange(start, start + 1))
            }
            if tok.isPunct(";") { advance(); endsWithSemicolon = true; continue }
            do {
                let stmt = try parseStatement()
                statements.append(stmt)
                if stmt.isCompound {
                    endsWithSemicolon = true
                } else if tok.isPunct(";") {
                    advance()
                    endsWithSemicolon = true
                } else if tok.isPunct("}") {
                    endsWithSemicolon = false
                } else {
                    throw unexpected(expecting: "';' or '}'")
                }
            } catch {
                recoverInBlock()
            }
        }
        advance()
        return Block(statements, SourceRange(start, previousEnd), endsWithSemicolon: endsWithSemicolon)
    }

    mutating func parseStatement() throws(Abandon) -> Stmt {
        let start = tok.range.start
        func done(_ kind: StmtKind) -> Stmt { Stmt(kind, SourceRange(start, previousEnd)) }
        switch tok.kind {
        case .keyword(.if):
            return try parseIf()
        // Conditions and counts need no parentheses (bpftrace 0.24+): a
        // parenthesized one is just an expression in parentheses.
        case .keyword(.while):
            advance()
            let cond = try parseExpr()
            return done(.whileLoop(cond, try parseBlock()))
        case .keyword(.unroll):
            advance()
            let count = try parseExpr()
            return done(.unroll(count, try parseBlock()))
        case .keyword(.for):
            advance()
            let parenthesized = tok.isPunct("(")
            if parenthesized { advance() }
            guard case .variable(let v) = tok.kind else { throw unexpected(expecting: "a loop variable such as $kv") }
            advance()
            try expect(":")
            let first = try parseExpr()
            if tok.isPunct("..") {
                advance()
                let end = try parseExpr()
                if parenthesized { try expect(")") }
                return done(.forRange(v, first, end, try parseBlock()))
            }
            if parenthesized { try expect(")") }
            return done(.forMap(v, first, try parseBlock()))
        case .keyword(.return):
            advance()
            if tok.isPunct(";") || tok.isPunct("}") { return done(.jump(.return, nil)) }
            return done(.jump(.return, try parseExpr()))
        case .keyword(.break):
            advance()
            return done(.jump(.break, nil))
        case .keyword(.continue):
            advance()
            return done(.jump(.continue, nil))
        case .keyword(.let):
            advance()
            guard case .variable(let v) = tok.kind else {
                if case .map = tok.kind { throw fail("maps are declared with 'let' only outside probes, before the first probe") }
                throw unexpected(expecting: "a variable such as $x")
            }
            advance()
            var type: TypeExpr? = nil
            if tok.isPunct(":") { advance(); type = try parseType() }
            var value: Expr? = nil
            if tok.isPunct("=") { advance(); value = try parseExpr() }
            return done(.declare(v, type, value))
        case .punct("{"):
            return done(.block(try parseBlock()))
        default:
            let target = try parseExpr()
            if case .punct(let p) = tok.kind, p == "=" || (p.hasSuffix("=") && BinaryOp(rawValue: String(p.dropLast())) != nil && !["==", "!=", "<=", ">="].contains(p)) {
                advance()
                let value = try parseExpr()
                return done(.assign(target, p == "=" ? nil : BinaryOp(rawValue: String(p.dropLast())), value))
            }
            return done(.expr(target))
        }
    }

    mutating func parseIf() throws(Abandon) -> Stmt {
        let start = tok.range.start
        advance()
        let cond = try parseExpr()
        let then = try parseBlock()
        var otherwise: Stmt? = nil
        if tok.isKeyword(.else) {
            advance()
            if tok.isKeyword(.if) {
                otherwise = try parseIf()
            } else {
                let blockStart = tok.range.start
                otherwise = Stmt(.block(try parseBlock()), SourceRange(blockStart, previousEnd))
            }
        }
        return Stmt(.ifElse(cond, then, otherwise), SourceRange(start, previousEnd))
    }
}

extension Stmt {
    /// Statements that end with a block need no `;` after them.
    var isCompound: Bool {
        switch kind {
        case .ifElse, .whileLoop, .unroll, .forMap, .forRange, .block: true
        default: false
        }
    }
}

extension Diagnostics {
    mutating func truncate(to count: Int) {
        if all.count > count { all.removeLast(all.count - count) }
    }
    /// Drops lexer complaints about text at or after `offset`, which is being re-read.
    mutating func truncate(toBefore offset: Int) {
        all.removeAll { $0.range.start >= offset }
    }
}
