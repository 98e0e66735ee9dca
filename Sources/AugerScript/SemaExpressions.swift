extension Sema {
    /// Checks `e`, records its type in `e.type` and returns it.
    @discardableResult
    func expr(_ e: Expr, statement: Bool = false) -> SType {
        let t = compute(e, statement: statement)
        e.type = t
        return t
    }

    private func compute(_ e: Expr, statement: Bool) -> SType {
        switch e.kind {
        case .integer(let v): return SType.literal(v, negative: false) ?? .u64
        case .string(let s): return .string(s.count + 1)
        case .bool: return .bool
        case .identifier(let name) where Functions.callableBare.contains(name) && defines[name] == nil:
            e.kind = .call(name, [])
            return compute(e, statement: statement)
        case .identifier(let name):
            if let v = defines[name] {
                // A #define constant stands for its value, as the C preprocessor would have it.
                e.kind = Self.literal(v, e.range).kind
                return compute(e, statement: statement)
            }
            if let constant = kernelEnumConstant(name) {
                // A kernel enum constant (BTF): its value, typed by its enum so it prints by name.
                let type: TypeExpr = constant.enumName.isEmpty ? .named("int64") : .tagged("enum", constant.enumName)
                e.kind = .cast(type, Self.literal(constant.value, e.range))
                return compute(e, statement: statement)
            }
            return identifier(name, e.range)
        case .variable(let name):
            if let t = lookupVariable(name) { return t }
            error("undefined variable $\(name): assign it before use", e.range)
            return .unknown
        case .positional(let n): return PositionalParameter.type(n, positional)
        case .paramCount: return .u64
        case .map(let name, let keys): return mapRead(e, name, keys)
        case .call(let name, let args): return call(e, name, args, statement: statement)
        case .unary(let op, let x): return unary(op, x, e)
        case .binary(let op, let l, let r): return binary(op, l, r, e)
        case .ternary(let c, let a, let b):
            let ct = expr(c)
            if !ct.isScalar { error("the condition of '?:' must be an integer, bool or pointer, not \(ct)", c.range) }
            let at = a.map { expr($0, statement: statement) } ?? ct, bt = expr(b, statement: statement)
            guard let u = SType.unify(at, bt) else {
                error("both branches of '?:' must have the same type: '\(at)' and '\(bt)' differ", e.range)
                return at
            }
            return u
        case .ifExpr(let s):
            guard case .ifElse(let cond, let then, let otherwise) = s.kind else { return .void }
            condition(cond, "if")
            let a = blockValue(then)
            guard let otherwise else { return .void }
            let b: SType
            switch otherwise.kind {
            case .block(let blk): b = blockValue(blk)
            case .ifElse: b = expr(Expr(.ifExpr(otherwise), otherwise.range))
            default: b = .void
            }
            return SType.unify(a, b) ?? a
        case .cast(let type, let x): return cast(type, x, e)
        case .field(let x, let name, _):
            if x.isConfig {
                // config().NAME: the setting in effect, a constant.
                guard let value = configValue(name) else {
                    error("unknown config field '\(name)'", e.range)
                    return .unknown
                }
                e.kind = value
                return compute(e, statement: statement)
            }
            return field(x, name, e)
        case .tupleIndex(let x, let i):
            let t = expr(x)
            switch t {
            case .tuple(let ts):
                guard i < ts.count else { error("index \(i) is out of range for a tuple of \(ts.count) elements", e.range); return .unknown }
                return ts[i]
            case .unknown: return .unknown
            default:
                error("'.\(i)' needs a tuple, not \(t)", e.range)
                return .unknown
            }
        case .index(let x, let i):
            let t = expr(x), it = expr(i)
            if !it.isInteger && it != .unknown { error("an index must be an integer, not \(it)", i.range) }
            switch t {
            case .array(let elem, let n):
                if case .integer(let k) = i.kind, k >= n, n > 0 { error("the index \(k) is out of bounds for array of size \(n)", i.range) }
                return elem
            case .pointer(let elem): return elem == .void ? .u8 : elem
            case .tuple(let ts):
                guard let k = i.foldedConstant, k >= 0 else { error("tuples are indexed with a constant integer", i.range); return .unknown }
                guard k < ts.count else { error("index \(k) is out of range for a tuple of \(ts.count) elements", e.range); return .unknown }
                return ts[Int(k)]
            case .string: return .u8
            case .typeValue: return .typeValue
            case .unknown, .integer: return .unknown
            default:
                error("cannot index a value of type \(t)", e.range)
                return .unknown
            }
        case .tuple(let xs):
            let ts = xs.map { expr($0) }
            for (x, t) in zip(xs, ts) where t == .void || t.isAggregate { error("a tuple cannot hold a value of type \(t)", x.range) }
            return .tuple(ts)
        case .record(let fields):
            var seen = Set<String>()
            for (name, _) in fields where !seen.insert(name).inserted { error("record field '\(name)' appears twice", e.range) }
            return .record(fields.map { RecordField(name: $0.0, type: expr($0.1)) })
        case .increment(let x, let up, _):
            let op = up ? "++" : "--"
            switch x.kind {
            case .variable(let name):
                guard let t = lookupVariable(name) else {
                    error("undefined variable $\(name): assign it before using '\(op)'", x.range)
                    return .unknown
                }
                if !t.isInteger && !t.isPointer && t != .unknown { error("'\(op)' needs an integer or pointer, not \(t)", x.range) }
                x.type = t
                return t
            case .map(let name, let keys):
                let key = keyType(keys)
                noteMapKey(name, key, x.range)
                if let agg = maps[name]?.aggregate { error("'\(op)' cannot change @\(name): it holds \(agg.rawValue)() values", x.range) }
                assignedMaps.insert(name)
                if let v = maps[name]?.value, v.isPointer || v.isInteger { return v }
                setMapValue(name, .i64, x.range)
                x.type = maps[name]?.value
                return maps[name]?.value ?? .i64
            default:
                error("'\(op)' can only be applied to variables and maps", x.range)
                return .unknown
            }
        case .sizeofType(let t):
            let resolved = resolve(t, at: e.range)
            if case .cType(let name) = resolved {
                if let size = scriptStructs[name]?.size ?? kernelStructSizes[name] { e.kind = .integer(UInt64(size)) }
                else if provider != nil { error("unknown type \(name): it is neither defined in the script nor in the kernel's BTF", e.range) }
            } else if case .array = resolved, let size = resolved.byteSize {
                e.kind = .integer(UInt64(size))  // e.g. uint64*[2]
            }
            return .u64
        case .sizeofExpr(let x):
            // sizeof(b), sizeof(b[2]) of a macro's type parameter (typeof(struct Foo)): the type's size.
            if case .type(let t) = x.kind {
                e.kind = .sizeofType(t)
                return compute(e, statement: statement)
            }
            if case .index(let base, let n) = x.kind, case .type(let t) = base.kind, let count = n.constantValue {
                e.kind = .sizeofType(.array(t, Int(count)))
                return compute(e, statement: statement)
            }
            expr(x)
            return .u64
        case .offsetof(let t, let path):
            return offsetof(resolve(t, at: e.range), path, e)
        case .block(let b): return blockValue(b, statement: statement)
        case .type(let t):
            _ = resolve(t, at: e.range)
            return .typeValue
        }
    }

    func blockValue(_ b: Block, statement inStatement: Bool = false) -> SType {
        scopes.append([:])
        defer { scopes.removeLast() }
        for s in b.statements.dropLast() { statement(s) }
        guard let last = b.statements.last else { return .void }
        if let value = b.valueExpression { return expr(value, statement: inStatement) }
        statement(last)
        return .void
    }

    func identifier(_ name: String, _ range: SourceRange) -> SType {
        let base = name.hasPrefix("__builtin_") ? String(name.dropFirst(10)) : name
        if let t = Builtins.type(of: base) {
            if let f = currentFunction, Self.probeContextBuiltins.contains(base) || Builtins.argumentIndex(base) != nil {
                error("\(base) is the probe's and function '\(f.name)' has no probe: pass it in as a parameter", range)
                return .unknown
            }
            for kind in kinds {
                if let why = Builtins.restriction(base, kind: kind) { error(why, range); break }
            }
            if base == "args" { return argsType(range) }
            if base == "retval", kinds.allSatisfy({ $0 == .fexit }), let returns = kernelFunctionSignature()?.returnType,
               returns.isInteger || returns.isPointer { return returns }
            if base == "func" && kinds.allSatisfy(\.tracesUserSpace) { return .usym }
            // A USDT argument is its note's size and sign, widened: signed 64 bits, as bpftrace types it.
            if case (_, false)? = Builtins.argumentIndex(base), !kinds.isEmpty, kinds.allSatisfy({ $0 == .usdt }) { return .i64 }
            if base == "ctx", let first = attachPoints.first, first.kind == .iter, !first.raw.contains("*"),
               attachPoints.allSatisfy({ $0.kind == .iter && $0.parts == first.parts }), let name = first.parts.first {
                // An iterator's context: the kernel's struct bpf_iter__NAME (meta, then the object).
                return .pointer(.cType("struct bpf_iter__\(name)"))
            }
            if base == "probe" {
                // Long enough for a path as written and a function a wildcard finds.
                let longest = attachPoints.map { $0.kind.name.count + 1 + $0.parts.joined(separator: ":").count }.max() ?? 0
                return .string(max(64, (longest + 64 + 7) / 8 * 8))
            }
            return t
        }
        if base == "config" { return .unknown }
        if let e = enumOfConstant[name] { return .enumValue(e) }
        // Without the kernel's types, an upper-case name may be one of its enum constants.
        if (provider == nil || provider!.lenientNames) && name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) && name.first!.isLetter { return .unknown }
        if Functions.zeroArgument.contains(base) { return Functions.zeroArgumentType(base) }
        error("unknown identifier '\(name)'", range)
        return .unknown
    }

    /// A constant as the script would write it: a literal, negated if below zero.
    static func literal(_ v: Int64, _ range: SourceRange) -> Expr {
        let magnitude = Expr(.integer(v.magnitude), range)
        return v < 0 ? Expr(.unary(.negate, magnitude), range) : magnitude
    }

    /// A folded constant (between Int64.min and UInt64.max) as a literal.
    static func literal(_ v: Int128, _ range: SourceRange) -> Expr {
        let magnitude = Expr(.integer(UInt64(v.magnitude)), range)
        return v < 0 ? Expr(.unary(.negate, magnitude), range) : magnitude
    }

    func unary(_ op: UnaryOp, _ x: Expr, _ e: Expr) -> SType {
        if op == .negate, case .integer(let v) = x.kind {
            x.type = SType.literal(v, negative: false)
            guard let t = SType.literal(v, negative: true) else {
                error("integer literal -\(v) is too small for 64 bits", e.range)
                return .i64
            }
            return t
        }
        let t = expr(x)
        if t == .unknown { return op == .not ? .bool : .unknown }
        switch op {
        case .negate:
            guard case .integer(let bits, _) = t else { error("'-' needs an integer, not \(t)", e.range); return .unknown }
            return .integer(bits: bits, signed: true)
        case .not:
            if !t.isScalar { error("'!' needs an integer, bool or pointer, not \(t)", e.range) }
            return .bool
        case .complement:
            if !t.isInteger { error("'~' needs an integer, not \(t)", e.range) }
            return t
        case .deref:
            switch t {
            case .pointer(let inner):
                let known = scriptStructs[String(describing: inner)] != nil || provider?.knowsStruct(String(describing: inner)) == true
                if case .cType(let name) = inner, known, let record = structRecord(x, name, arrow: true, depth: 0) {
                    // *p of a struct: its members as a record, printed { .a = 1, .b = 2 } as bpftrace prints structs.
                    e.kind = record
                    return expr(e)
                }
                return inner == .void ? .u8 : (inner.isCType && !known ? .unknown : inner)
            case .integer(64, _): return .u64
            default:
                error("cannot dereference a value of type \(t): it is not a pointer", e.range)
                return .unknown
            }
        case .addressOf:
            switch x.kind {
            case .variable(let name):
                addressTaken.insert(name)
                return .pointer(t)
            case .map, .field, .index, .identifier: return .pointer(t)
            default:
                error("'&' needs a variable, map or field", e.range)
                return .unknown
            }
        }
    }

    func binary(_ op: BinaryOp, _ l: Expr, _ r: Expr, _ e: Expr) -> SType {
        let lt = expr(l), rt = expr(r)
        // Arithmetic on literals is folded exactly, as bpftrace folds it: the
        // result is a literal of the smallest type that holds it, so
        // `(1 << 32) - 1` is 4294967295, not the wrapped value of a uint8.
        if l.isIntegerLiteral, r.isIntegerLiteral, let a = l.literalValue, let b = r.literalValue {
            switch Self.fold(op, a, b) {
            case .value(let v):
                e.kind = Self.literal(v, e.range).kind
                return expr(e)
            case .failure(let why):
                error(why, e.range)
                return .unknown
            case .notFolded:
                break
            }
        }
        // `$1 + 2` of a string parameter: bpftrace's pointer into the string.
        if op == .add, case .positional(let n) = l.kind, case .string = lt, let k = r.foldedConstant, let params = positional {
            let rest = Array(params[n - 1].utf8.dropFirst(Int(clamping: max(0, k))))
            e.kind = .string(rest)
            return .string(rest.count + 1)
        }
        if op.isLogical {
            for (x, t) in [(l, lt), (r, rt)] where !t.isScalar {
                error("'\(op.rawValue)' needs integers, bools or pointers, not \(t)", x.range)
            }
            return .bool
        }
        if lt == .unknown || rt == .unknown { return op.isComparison ? .bool : (lt == .unknown ? rt : lt) }
        if op.isComparison {
            switch (lt, rt) {
            case (.integer, .integer), (.bool, .bool), (.pointer, .pointer), (.pointer, .integer), (.integer, .pointer),
                 (.integer, .bool), (.bool, .integer):
                return .bool
            case (.string, .string), (.tuple, .tuple), (.array, .array), (.inet, .inet), (.buffer, .buffer), (.record, .record):
                if op != .eq && op != .ne { error("'\(op.rawValue)' cannot compare values of type \(lt); use == or !=", e.range) }
                return .bool
            case (.username, .string), (.string, .username), (.ksym, .string), (.string, .ksym):
                return .bool
            case _ where lt == rt && (op == .eq || op == .ne):
                return .bool
            default:
                error("type mismatch for '\(op.rawValue)': comparing '\(lt)' with '\(rt)'", e.range)
                return .bool
            }
        }
        if (op == .div || op == .mod), case .integer(0) = r.kind {
            error("division by zero", r.range)
        }
        return arithmetic(op, lt, rt, e.range, literalLeft: l.isIntegerLiteral, literalRight: r.isIntegerLiteral) ?? .unknown
    }

    enum Folded { case value(Int128), failure(String), notFolded }

    /// `a op b` for literals, computed without wrapping; an error where the
    /// result does not fit 64 bits (signed or unsigned) or is undefined.
    static func fold(_ op: BinaryOp, _ a: Int128, _ b: Int128) -> Folded {
        let v: Int128
        switch op {
        case .add: v = a + b
        case .sub: v = a - b
        case .mul:
            let (product, overflow) = a.multipliedReportingOverflow(by: b)
            if overflow { return .failure("integer overflow in '\(a) * \(b)': the result does not fit in 64 bits") }
            v = product
        case .div, .mod:
            if b == 0 { return .notFolded }  // reported as division by zero below
            v = op == .div ? a / b : a % b
        case .shl, .shr:
            guard b >= 0, b < 64 else { return .failure("shift by \(b) is out of range: shifts take 0 to 63") }
            if op == .shr { v = a >> b } else {
                v = a << b
                if a < 0 || v > Int128(UInt64.max) { return .failure("integer overflow in '\(a) << \(b)': the result does not fit in 64 bits") }
            }
        case .bitAnd, .bitOr, .bitXor:
            // Bitwise on the 64-bit patterns; unsigned unless an operand is negative.
            let (x, y) = (UInt64(truncatingIfNeeded: a), UInt64(truncatingIfNeeded: b))
            let bits = op == .bitAnd ? x & y : op == .bitOr ? x | y : x ^ y
            v = a < 0 || b < 0 ? Int128(Int64(bitPattern: bits)) : Int128(bits)
        default:
            return .notFolded
        }
        if v > Int128(UInt64.max) || v < Int128(Int64.min) {
            return .failure("integer overflow in constant expression: \(v) does not fit in 64 bits")
        }
        return .value(v)
    }

    /// The type of `l op r` for arithmetic and bitwise operators.
    func arithmetic(_ op: BinaryOp, _ l: SType, _ r: SType, _ range: SourceRange, literalLeft: Bool = false, literalRight: Bool = false) -> SType? {
        func asInt(_ t: SType) -> SType { t == .bool ? .u8 : t.withoutEnum }
        let (a, b) = (asInt(l), asInt(r))
        switch (a, b) {
        case (.unknown, _): return b
        case (_, .unknown): return a
        case (.integer, .integer):
            // A literal takes the other side's type when it fits.
            if literalRight, SType.unify(a, b) == a { return a }
            if literalLeft, SType.unify(a, b) == b { return b }
            if let u = SType.unify(a, b) { return u }
            return .u64
        case (.pointer, .integer) where op == .add || op == .sub: return a
        case (.integer, .pointer) where op == .add: return b
        case (.pointer, .pointer) where op == .sub: return .i64
        default:
            error("type mismatch for '\(op.rawValue)': '\(l)' and '\(r)'", range)
            return nil
        }
    }

    func cast(_ type: TypeExpr, _ x: Expr, _ e: Expr) -> SType {
        let target = resolve(type, at: e.range)
        let source = expr(x)
        if source == .unknown || target == .unknown { return target }
        switch (target, source.withoutEnum) {
        case (.enumValue, .integer): return target
        case (.integer, .integer), (.integer, .bool), (.bool, .integer), (.bool, .bool), (.integer, .pointer),
             (.pointer, .integer), (.pointer, .pointer), (.bool, .pointer), (.pointer, .array), (.integer, .aggregate):
            return target
        case (.array(let elem, let n), _) where elem.isInteger || elem == .bool:
            if x.isIntegerLiteral { return n == 0 ? .array(elem, 8 / (elem.byteSize ?? 1)) : target }
            let size = source.byteSize
            if n == 0, let size, let es = elem.byteSize, size % es == 0 { return .array(elem, size / es) }
            if size == nil || size == n * (elem.byteSize ?? 1) { return target }
            error("cannot cast \(source) (\(size!) bytes) to \(target): the sizes differ", e.range)
            return target
        case (.integer, .array):
            if source.byteSize != target.byteSize { error("cannot cast \(source) to \(target): the sizes differ", e.range) }
            return target
        case (.cType, _):
            error("cannot cast to \(target): cast to a pointer instead, e.g. (\(target) *)", e.range)
            return target
        default:
            error("cannot cast \(source) to \(target)", e.range)
            return target
        }
    }

    func field(_ x: Expr, _ name: String, _ e: Expr) -> SType {
        let t = expr(x)
        switch t {
        case .record(let fields):
            if let f = fields.first(where: { $0.name == name }) { return f.type }
            error("\(x.isArgs ? "tracepoint \(attachPoints.first?.raw ?? "")" : "record") has no field '\(name)'", e.range)
            return .unknown
        case .cType(let type), .pointer(.cType(let type)):
            if let defined = scriptStructs[type] {
                guard let member = defined.fields[name] else {
                    error("\(type) has no field named '\(name)'", e.range)
                    return .unknown
                }
                e.member = member
                return member.type
            }
            if let member = provider?.structField(type, name) {
                e.member = member
                return member.type
            }
            if provider?.knowsStruct(type) == true { error("\(type) has no field named '\(name)'", e.range) }
            return .unknown
        case .probeArgs: return argsField(name)
        case .unknown, .pointer: return .unknown
        default:
            error("cannot access field '\(name)' of a value of type \(t)", e.range)
            return .unknown
        }
    }
}

extension Expr {
    /// The value of a constant integer expression such as `1 - 1`.
    public var foldedConstant: Int64? {
        switch kind {
        case .integer(let v): return Int64(exactly: v)
        case .bool(let b): return b ? 1 : 0
        case .unary(.negate, let x): return x.foldedConstant.map { 0 &- $0 }
        case .unary(.complement, let x): return x.foldedConstant.map { ~$0 }
        case .unary(.not, let x): return x.foldedConstant.map { $0 == 0 ? 1 : 0 }
        case .binary(let op, let l, let r):
            guard let a = l.foldedConstant, let b = r.foldedConstant else { return nil }
            switch op {
            case .add: return a &+ b
            case .sub: return a &- b
            case .mul: return a &* b
            case .div: return b == 0 ? nil : a / b
            case .mod: return b == 0 ? nil : a % b
            case .shl: return b < 0 || b > 63 ? nil : a << b
            case .shr: return b < 0 || b > 63 ? nil : a >> b
            case .bitAnd: return a & b
            case .bitOr: return a | b
            case .bitXor: return a ^ b
            case .eq: return a == b ? 1 : 0
            case .ne: return a != b ? 1 : 0
            case .lt: return a < b ? 1 : 0
            case .le: return a <= b ? 1 : 0
            case .gt: return a > b ? 1 : 0
            case .ge: return a >= b ? 1 : 0
            case .and: return a != 0 && b != 0 ? 1 : 0
            case .or: return a != 0 || b != 0 ? 1 : 0
            }
        default: return nil
        }
    }

    /// The value of an integer literal (perhaps negated), exactly.
    var literalValue: Int128? {
        switch kind {
        case .integer(let v): Int128(v)
        case .unary(.negate, let x): x.literalValue.map { -$0 }
        default: nil
        }
    }

    var isIntegerLiteral: Bool {
        switch kind {
        case .integer: true
        case .unary(.negate, let x): x.isIntegerLiteral
        default: false
        }
    }
    public var isArgs: Bool { if case .identifier(let n) = kind { n == "args" || n == "__builtin_args" } else { false } }
}

extension SType {
    var isCType: Bool { if case .cType = self { true } else { false } }

    /// Bytes a value occupies, where fixed.
    public var byteSize: Int? {
        switch self {
        case .integer(let bits, _): bits / 8
        case .enumValue: 8
        case .bool: 1
        case .pointer: 8
        case .string(let n), .buffer(let n): n
        case .array(let t, let n): t.byteSize.map { $0 * n }
        case .tuple(let ts):
            ts.reduce(Optional(0)) { acc, t in acc.flatMap { a in t.byteSize.map { a + $0 } } }
        default: nil
        }
    }
}
