/// Replaces macro calls with the macro's body, hygienically: a macro sees
/// only the variables and maps passed to it, and its own variables are
/// renamed so they cannot collide with the caller's.
final class MacroExpander {
    let macros: [String: Macro]
    var diagnostics = Diagnostics()
    private var expansions = 0
    private static let maxDepth = 64
    /// Macros that call each other twice over expand exponentially: stop at this many.
    private static let maxExpansions = 10_000

    init(_ program: Program) {
        var table: [String: Macro] = [:]
        var duplicates: [Macro] = []
        for m in program.macros {
            if table[m.name] != nil { duplicates.append(m) } else { table[m.name] = m }
        }
        macros = table
        for m in duplicates { diagnostics.error("macro '\(m.name)' is defined twice", at: m.range) }
    }

    func expand(_ program: Program) -> Program {
        guard !macros.isEmpty else { return program }
        var p = program
        for i in p.probes.indices {
            if let pred = p.probes[i].predicate { p.probes[i].predicate = expand(pred, depth: 0) }
            p.probes[i].body = expand(p.probes[i].body, depth: 0)
        }
        return p
    }

    private func expand(_ block: Block, depth: Int) -> Block {
        Rewriter.block(block) { e in self.expandCall(e, depth: depth) }
    }

    private func expand(_ e: Expr, depth: Int) -> Expr {
        Rewriter.expr(e) { e in self.expandCall(e, depth: depth) }
    }

    /// The expansion of `e` if it calls a macro, else nil.
    private func expandCall(_ e: Expr, depth: Int) -> Expr? {
        let name: String, args: [Expr]
        switch e.kind {
        case .call(let n, let a) where macros[n] != nil: (name, args) = (n, a)
        case .identifier(let n) where macros[n]?.parameters.isEmpty == true: (name, args) = (n, [])
        default: return nil
        }
        let macro = macros[name]!
        // A macro named like a builtin only replaces calls with its own arity.
        if args.count != macro.parameters.count, Builtins.type(of: name) != nil || Functions.library.contains(name) { return nil }
        if depth >= Self.maxDepth {
            diagnostics.error("macro '\(name)' expands too deeply: is it recursive?", at: e.range)
            return Expr(.integer(0), e.range)
        }
        if expansions >= Self.maxExpansions {
            if expansions == Self.maxExpansions {
                diagnostics.error("macro '\(name)' expands to more than \(Self.maxExpansions) macro calls: do its macros call each other more than once?", at: e.range)
                expansions += 1
            }
            return Expr(.integer(0), e.range)
        }
        guard args.count == macro.parameters.count else {
            diagnostics.error("macro '\(name)' takes \(macro.parameters.count) argument\(macro.parameters.count == 1 ? "" : "s"), but \(args.count) \(args.count == 1 ? "was" : "were") given", at: e.range)
            return Expr(.integer(0), e.range)
        }
        expansions += 1
        let tag = "__m\(expansions)_"
        var variables: [String: String] = [:]
        var maps: [String: String] = [:]
        var expressions: [String: Expr] = [:]
        for (param, arg) in zip(macro.parameters, args) {
            switch param {
            case .variable(let p):
                guard case .variable(let v) = arg.kind else {
                    diagnostics.error("macro '\(name)' expects a variable for $\(p), e.g. \(name)($x)", at: arg.range)
                    return Expr(.integer(0), e.range)
                }
                variables[p] = v
            case .map(let p):
                guard case .map(let m, let keys) = arg.kind, keys.isEmpty else {
                    diagnostics.error("macro '\(name)' expects a map for @\(p), e.g. \(name)(@m)", at: arg.range)
                    return Expr(.integer(0), e.range)
                }
                maps[p] = m
            case .expression(let p):
                expressions[p] = arg
            }
        }
        var unhygienic: [(String, SourceRange)] = []
        let body = Rewriter.block(macro.body) { inner in
            switch inner.kind {
            case .variable(let v):
                return Expr(.variable(variables[v] ?? tag + v), e.range)
            case .map(let m, let keys):
                guard let target = maps[m] else {
                    unhygienic.append((m, inner.range))
                    return nil
                }
                return Expr(.map(target, keys: keys.map { Rewriter.expr($0) { _ in nil } }), e.range)
            case .identifier(let i):
                if let arg = expressions[i] { return Rewriter.expr(arg) { _ in nil } }
                return nil
            default:
                return nil
            }
        } renameVariable: { v in variables[v] ?? tag + v } type: { t in
            if case .named(let n) = t, let arg = expressions[n] {
                if case .type(let inner) = arg.kind { return inner }
                return .typeOf(arg)
            }
            return nil
        }
        for (m, _) in unhygienic {
            diagnostics.error("macro '\(name)' uses map @\(m), which is not one of its parameters: pass it in, e.g. macro \(name)(@\(m))", at: e.range)
        }
        let expandedBody = expand(body, depth: depth + 1)
        Walker.exprs(in: expandedBody) { $0.expandedFrom.append(e.range) }
        let expanded = Expr(.block(expandedBody), e.range)
        return expanded
    }
}

/// Deep copies of syntax trees, with a hook that may replace any expression.
enum Rewriter {
    typealias Replace = (Expr) -> Expr?

    static func block(_ b: Block, _ replace: @escaping Replace, renameVariable: @escaping (String) -> String = { $0 }, type: @escaping (TypeExpr) -> TypeExpr? = { _ in nil }) -> Block {
        var r = Copier(replace: replace, renameVariable: renameVariable, replaceType: type)
        return r.block(b)
    }

    static func expr(_ e: Expr, _ replace: @escaping Replace) -> Expr {
        var r = Copier(replace: replace, renameVariable: { $0 }, replaceType: { _ in nil })
        return r.expr(e)
    }

    struct Copier {
        let replace: Replace
        let renameVariable: (String) -> String
        let replaceType: (TypeExpr) -> TypeExpr?

        mutating func block(_ b: Block) -> Block {
            Block(b.statements.map { stmt($0) }, b.range, endsWithSemicolon: b.endsWithSemicolon)
        }

        mutating func stmt(_ s: Stmt) -> Stmt {
            let kind: StmtKind
            switch s.kind {
            case .expr(let e): kind = .expr(expr(e))
            case .assign(let t, let op, let v): kind = .assign(expr(t), op, expr(v))
            case .declare(let n, let t, let v): kind = .declare(renameVariable(n), t.map { type($0) }, v.map { expr($0) })
            case .ifElse(let c, let th, let el): kind = .ifElse(expr(c), block(th), el.map { stmt($0) })
            case .whileLoop(let c, let b): kind = .whileLoop(expr(c), block(b))
            case .unroll(let c, let b): kind = .unroll(expr(c), block(b))
            case .forMap(let v, let m, let b): kind = .forMap(renameVariable(v), expr(m), block(b))
            case .forRange(let v, let a, let z, let b): kind = .forRange(renameVariable(v), expr(a), expr(z), block(b))
            case .jump(let j, let v): kind = .jump(j, v.map { expr($0) })
            case .block(let b): kind = .block(block(b))
            }
            return Stmt(kind, s.range)
        }

        mutating func type(_ t: TypeExpr) -> TypeExpr {
            if let r = replaceType(t) { return r }
            switch t {
            case .named, .sized, .tagged: return t
            case .pointer(let inner): return .pointer(type(inner))
            case .array(let inner, let n): return .array(type(inner), n)
            case .typeOf(let e): return .typeOf(expr(e))
            }
        }

        mutating func expr(_ e: Expr) -> Expr {
            if let r = replace(e) { return r }
            let kind: ExprKind
            switch e.kind {
            case .integer, .string, .bool, .identifier, .variable, .positional, .paramCount: kind = e.kind
            case .map(let n, let keys): kind = .map(n, keys: keys.map { expr($0) })
            case .call(let n, let args): kind = .call(n, args.map { expr($0) })
            case .unary(let op, let x): kind = .unary(op, expr(x))
            case .binary(let op, let l, let r): kind = .binary(op, expr(l), expr(r))
            case .ternary(let c, let a, let b): kind = .ternary(expr(c), a.map { expr($0) }, expr(b))
            case .ifExpr(let s): kind = .ifExpr(stmt(s))
            case .cast(let t, let x): kind = .cast(type(t), expr(x))
            case .field(let x, let n, let arrow): kind = .field(expr(x), n, arrow: arrow)
            case .tupleIndex(let x, let i): kind = .tupleIndex(expr(x), i)
            case .index(let x, let i): kind = .index(expr(x), expr(i))
            case .tuple(let xs): kind = .tuple(xs.map { expr($0) })
            case .record(let fs): kind = .record(fs.map { ($0.0, expr($0.1)) })
            case .increment(let x, let up, let prefix): kind = .increment(expr(x), up: up, prefix: prefix)
            case .sizeofType(let t): kind = .sizeofType(type(t))
            case .sizeofExpr(let x): kind = .sizeofExpr(expr(x))
            case .offsetof(let t, let path): kind = .offsetof(type(t), path)
            case .block(let b): kind = .block(block(b))
            case .type(let t): kind = .type(type(t))
            }
            if case .variable(let v) = kind { return Expr(.variable(renameVariable(v)), e.range) }
            return Expr(kind, e.range)
        }
    }
}

/// Visits every expression of a tree, in place.
enum Walker {
    static func exprs(in b: Block, _ visit: (Expr) -> Void) {
        for s in b.statements { exprs(in: s, visit) }
    }

    static func exprs(in s: Stmt, _ visit: (Expr) -> Void) {
        switch s.kind {
        case .expr(let e): exprs(in: e, visit)
        case .assign(let t, _, let v): exprs(in: t, visit); exprs(in: v, visit)
        case .declare(_, _, let v): if let v { exprs(in: v, visit) }
        case .ifElse(let c, let th, let el): exprs(in: c, visit); exprs(in: th, visit); if let el { exprs(in: el, visit) }
        case .whileLoop(let c, let b), .unroll(let c, let b), .forMap(_, let c, let b): exprs(in: c, visit); exprs(in: b, visit)
        case .forRange(_, let a, let z, let b): exprs(in: a, visit); exprs(in: z, visit); exprs(in: b, visit)
        case .jump(_, let v): if let v { exprs(in: v, visit) }
        case .block(let b): exprs(in: b, visit)
        }
    }

    static func exprs(in e: Expr, _ visit: (Expr) -> Void) {
        visit(e)
        switch e.kind {
        case .integer, .string, .bool, .identifier, .variable, .positional, .paramCount, .sizeofType, .offsetof, .type: break
        case .map(_, let keys): keys.forEach { exprs(in: $0, visit) }
        case .call(_, let args), .tuple(let args): args.forEach { exprs(in: $0, visit) }
        case .unary(_, let x), .cast(_, let x), .field(let x, _, _), .tupleIndex(let x, _), .increment(let x, _, _), .sizeofExpr(let x):
            exprs(in: x, visit)
        case .binary(_, let l, let r), .index(let l, let r): exprs(in: l, visit); exprs(in: r, visit)
        case .ternary(let c, let a, let b): exprs(in: c, visit); if let a { exprs(in: a, visit) }; exprs(in: b, visit)
        case .ifExpr(let s): exprs(in: s, visit)
        case .record(let fields): fields.forEach { exprs(in: $0.1, visit) }
        case .block(let b): exprs(in: b, visit)
        }
    }
}
