// The syntax tree. Every node keeps its source range for diagnostics in later
// stages. Expressions are classes so the type checker can record each one's
// type in place (`Expr.type`), and later stages can key tables by identity.

public enum UnaryOp: String, Sendable {
    case negate = "-", not = "!", complement = "~", deref = "*", addressOf = "&"
}

public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case shl = "<<", shr = ">>", bitAnd = "&", bitOr = "|", bitXor = "^"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case and = "&&", or = "||"

    public var isComparison: Bool { [.eq, .ne, .lt, .le, .gt, .ge].contains(self) }
    public var isLogical: Bool { self == .and || self == .or }
}

/// A type as written in a script: in casts, `let` declarations, `sizeof`.
public indirect enum TypeExpr: Sendable {
    /// `uint32`, `bool`, `string`, `void`, `size_t`, `unsigned long`, `min_t`, …
    case named(String)
    /// `string[16]`, `inet[4]`, `buffer[8]`
    case sized(String, Int)
    /// `struct task_struct`, `union u`, `enum e`
    case tagged(String, String)
    case pointer(TypeExpr)
    /// `uint8[8]`, or `uint8[]` when the length comes from the value.
    case array(TypeExpr, Int?)
    /// `typeof(expression or type)`
    case typeOf(Expr)
}

public final class Expr: @unchecked Sendable {
    public var kind: ExprKind
    public var range: SourceRange
    /// Filled in by the type checker.
    public var type: SType?
    /// For a field of a kernel struct: where it is (from BTF).
    public var member: StructField?
    /// Where the macros this expression came from were called, innermost
    /// first: notes for messages about it ("expanded from").
    public var expandedFrom: [SourceRange] = []

    public init(_ kind: ExprKind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

public enum ExprKind: Sendable {
    case integer(UInt64)
    case string([UInt8])
    case bool(Bool)
    /// A builtin (`pid`), a bare zero-argument macro or function, an enum value.
    case identifier(String)
    /// `$name`
    case variable(String)
    /// `$1`
    case positional(Int)
    /// `$#`
    case paramCount
    /// `@name` or `@name[k1, k2]` (several keys form a tuple key).
    case map(String, keys: [Expr])
    case call(String, [Expr])
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    /// `c ? a : b`; `c ?: b` (no middle) yields `c` when it is true.
    case ternary(Expr, Expr?, Expr)
    /// `if (…) { … } else { … }` used as a value.
    case ifExpr(Stmt)
    case cast(TypeExpr, Expr)
    /// `e.field` or `e->field`
    case field(Expr, String, arrow: Bool)
    /// `e.0`
    case tupleIndex(Expr, Int)
    /// `e[i]`
    case index(Expr, Expr)
    case tuple([Expr])
    /// `(a=1, b="x")`
    case record([(String, Expr)])
    /// `x++`, `--x`
    case increment(Expr, up: Bool, prefix: Bool)
    case sizeofType(TypeExpr)
    case sizeofExpr(Expr)
    /// `offsetof(struct Foo, bar.x)`
    case offsetof(TypeExpr, [String])
    /// A `{ …; value }` block used as a value.
    case block(Block)
    /// A type passed as a macro argument, e.g. `typeof(uint64*)`.
    case type(TypeExpr)
}

public final class Block: @unchecked Sendable {
    public var statements: [Stmt]
    public var range: SourceRange
    /// False when the last statement had no `;`: then a block expression's
    /// value is that statement's.
    public var endsWithSemicolon: Bool

    public init(_ statements: [Stmt], _ range: SourceRange, endsWithSemicolon: Bool = true) {
        self.statements = statements
        self.range = range
        self.endsWithSemicolon = endsWithSemicolon
    }

    /// The expression a block expression evaluates to.
    public var value: Expr? {
        guard !endsWithSemicolon, let last = statements.last, case .expr(let e) = last.kind else { return nil }
        return e
    }

    /// The value, where a block ending in if/else has that if's value.
    public var valueExpression: Expr? {
        if let value { return value }
        guard let last = statements.last, case .ifElse(_, _, let otherwise) = last.kind, otherwise != nil else { return nil }
        return Expr(.ifExpr(last), last.range)
    }
}

public enum JumpKind: String, Sendable { case `break`, `continue`, `return` }

public final class Stmt: @unchecked Sendable {
    public var kind: StmtKind
    public var range: SourceRange

    public init(_ kind: StmtKind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

public enum StmtKind: Sendable {
    case expr(Expr)
    /// `target = value`, or `target op= value` when `op` is set. The target is
    /// a map, a variable, `_`, or another lvalue expression.
    case assign(Expr, BinaryOp?, Expr)
    /// `let $x`, `let $x: type`, `let $x = value`
    case declare(String, TypeExpr?, Expr?)
    case ifElse(Expr, Block, Stmt?)
    case whileLoop(Expr, Block)
    case unroll(Expr, Block)
    /// `for ($kv : @map) { … }`
    case forMap(String, Expr, Block)
    /// `for ($i : start..end) { … }`
    case forRange(String, Expr, Expr, Block)
    case jump(JumpKind, Expr?)
    case block(Block)
}

/// One attach point as written, e.g. `tracepoint:syscalls:sys_enter_*`.
public struct AttachPoint: Sendable {
    public var raw: String
    public var range: SourceRange
    /// What `tracepoint` (or `t`) names.
    public var kind: ProbeKind
    /// The colon-separated parts after the provider, quotes kept.
    public var parts: [String]
}

public struct Probe: Sendable {
    public var attachPoints: [AttachPoint]
    public var predicate: Expr?
    public var body: Block
    public var range: SourceRange
}

public enum MacroParameter: Sendable {
    case variable(String), map(String), expression(String)
}

public struct Macro: Sendable {
    public var name: String
    public var parameters: [MacroParameter]
    public var body: Block
    public var range: SourceRange
}

public struct Function: Sendable {
    public var name: String
    public var parameters: [(String, TypeExpr)]
    public var returnType: TypeExpr
    public var body: Block
    public var range: SourceRange
}

public struct MapDeclaration: Sendable {
    public var name: String
    /// `hash`, `lruhash`, `percpuhash`, `percpulruhash`, …
    public var kind: String
    public var arguments: [Expr]
    public var range: SourceRange
}

public struct ConfigAssignment: Sendable {
    public var name: String
    public var value: Expr
    public var range: SourceRange
}

/// Everything before the probes, in source order.
public enum PreambleItem: Sendable {
    case preprocessor(String, SourceRange)
    /// C text handed to the type system: `struct Foo { int x; }`.
    case cDefinition(String, SourceRange)
    case `import`(String, SourceRange)
    case config([ConfigAssignment], SourceRange)
    case mapDeclaration(MapDeclaration)
    case macro(Macro)
    case function(Function)
}

public struct Program: Sendable {
    public var preamble: [PreambleItem]
    public var probes: [Probe]

    public var macros: [Macro] { preamble.compactMap { if case .macro(let m) = $0 { m } else { nil } } }
    public var functions: [Function] { preamble.compactMap { if case .function(let f) = $0 { f } else { nil } } }
    public var mapDeclarations: [MapDeclaration] { preamble.compactMap { if case .mapDeclaration(let d) = $0 { d } else { nil } } }
    public var config: [ConfigAssignment] {
        preamble.flatMap { item -> [ConfigAssignment] in
            if case .config(let c, _) = item { return c }
            return []
        }
    }
}
