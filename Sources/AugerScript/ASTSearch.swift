/// Searching a probe's tree for an expression: what it uses decides how it
/// may be compiled (a probe that reads `probe` needs one program per match).
extension Expr {
    /// Whether this expression or one inside it satisfies `test`.
    public func contains(where test: (Expr) -> Bool) -> Bool {
        if test(self) { return true }
        func any(_ es: [Expr?]) -> Bool { es.contains { $0?.contains(where: test) ?? false } }
        switch kind {
        case .integer, .string, .bool, .identifier, .variable, .positional, .paramCount, .sizeofType, .offsetof, .type:
            return false
        case .map(_, let keys): return any(keys)
        case .call(_, let args): return any(args)
        case .unary(_, let e), .cast(_, let e), .field(let e, _, _), .tupleIndex(let e, _), .increment(let e, _, _), .sizeofExpr(let e):
            return e.contains(where: test)
        case .binary(_, let a, let b), .index(let a, let b): return any([a, b])
        case .ternary(let c, let a, let b): return any([c, a, b])
        case .ifExpr(let s): return s.contains(where: test)
        case .tuple(let es): return any(es)
        case .record(let fields): return any(fields.map(\.1))
        case .block(let b): return b.contains(where: test)
        }
    }
}

extension Stmt {
    public func contains(where test: (Expr) -> Bool) -> Bool {
        switch kind {
        case .expr(let e): return e.contains(where: test)
        case .assign(let a, _, let b): return a.contains(where: test) || b.contains(where: test)
        case .declare(_, _, let e), .jump(_, let e): return e?.contains(where: test) ?? false
        case .ifElse(let c, let then, let otherwise):
            return c.contains(where: test) || then.contains(where: test) || (otherwise?.contains(where: test) ?? false)
        case .whileLoop(let c, let b), .unroll(let c, let b), .forMap(_, let c, let b):
            return c.contains(where: test) || b.contains(where: test)
        case .forRange(_, let from, let to, let b):
            return from.contains(where: test) || to.contains(where: test) || b.contains(where: test)
        case .block(let b): return b.contains(where: test)
        }
    }
}

extension Block {
    public func contains(where test: (Expr) -> Bool) -> Bool {
        statements.contains { $0.contains(where: test) }
    }
}

extension Probe {
    /// Whether the predicate or body reads the builtin `name` (`probe`, `func`, …).
    public func uses(builtin name: String) -> Bool {
        let names = [name, "__builtin_" + name]
        let test: (Expr) -> Bool = { e in
            switch e.kind {
            case .identifier(let n): names.contains(n)
            case .call(let n, let args): args.isEmpty && names.contains(n)
            default: false
            }
        }
        return (predicate?.contains(where: test) ?? false) || body.contains(where: test)
    }
}
