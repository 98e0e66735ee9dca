extension Sema {
    /// The key type of `@m[k1, k2]`: one key's type, or a tuple for several.
    func keyType(_ keys: [Expr]) -> SType? {
        guard !keys.isEmpty else { return nil }
        let ts = keys.map { expr($0) }
        for (k, t) in zip(keys, ts) where t == .void || t.isAggregate || t == .map {
            error("a map key cannot be of type \(t)", k.range)
        }
        return ts.count == 1 ? ts[0] : .tuple(ts)
    }

    func info(_ name: String, _ range: SourceRange) -> MapUsage {
        if let i = maps[name] { return i }
        let i = MapUsage(name: name, key: nil, value: .unknown, aggregate: nil, declaration: nil, firstUse: range)
        maps[name] = i
        return i
    }

    func noteMapKey(_ name: String, _ key: SType?, _ range: SourceRange) {
        var i = info(name, range)
        defer { maps[name] = i }
        let shown = name.isEmpty ? "@" : "@\(name)"
        guard let key else {
            keylessMaps.insert(name)
            if let existing = i.key, existing != .unknown { error("\(shown) is used without a key here, but with keys of type \(existing) elsewhere", range) }
            return
        }
        guard let existing = i.key else {
            // First key seen; a map first used without keys is an error at that use.
            i.key = key
            return
        }
        guard let u = SType.unify(existing, key) else {
            error("type mismatch for \(shown)'s key: \(key) here, \(existing) elsewhere", range)
            return
        }
        if u != existing { unsettled = true }
        i.key = u
    }

    func setMapValue(_ name: String, _ value: SType, _ range: SourceRange) {
        var i = info(name, range)
        defer { maps[name] = i }
        if i.value == .unknown { i.value = value; return }
        guard let u = SType.unify(i.value, value) else {
            error("type mismatch for @\(name): trying to assign a value of type '\(value)' when the map already holds '\(i.value)'", range)
            return
        }
        if u != i.value { unsettled = true }
        i.value = u
    }

    func mapRead(_ e: Expr, _ name: String, _ keys: [Expr]) -> SType {
        noteMapKey(name, keyType(keys), e.range)
        let i = info(name, e.range)
        if i.value == .unknown && i.aggregate == nil { unsettled = true }
        if let agg = i.aggregate {
            switch agg {
            case .count, .sum, .min, .max, .avg: return agg == .count ? .u64 : .i64
            default:
                error("the values of @\(name) are \(agg.rawValue)() aggregations and cannot be read in a probe; print(@\(name)) shows them", e.range)
                return .unknown
            }
        }
        return i.value
    }

    func assignMap(_ target: Expr, _ name: String, _ keys: [Expr], _ op: BinaryOp?, _ value: Expr, _ range: SourceRange) {
        let key = keyType(keys)
        noteMapKey(name, key, target.range)
        assignedMaps.insert(name)
        // `@x = { let $a = 1; avg($a) }`: the block's value is the aggregation.
        if op == nil, case .block(let b) = value.kind, let v = b.value, case .call(let fn, _) = v.kind, Aggregate(rawValue: fn) != nil {
            scopes.append([:])
            for s in b.statements.dropLast() { statement(s) }
            assignMap(target, name, keys, nil, v, range)
            scopes.removeLast()
            value.type = v.type
            return
        }
        if op == nil, case .call(let fn, let args) = value.kind, let agg = Aggregate(rawValue: fn) {
            let arguments = aggregateArguments(agg, args, value.range)
            value.type = .aggregate(agg)
            var i = info(name, target.range)
            if let existing = i.aggregate, existing != agg {
                error("@\(name) already holds \(existing.rawValue)() values; it cannot also hold \(agg.rawValue)()", value.range)
            } else if i.aggregate == nil && i.value != .unknown && i.value != .aggregate(agg) {
                error("type mismatch for @\(name): trying to assign \(agg.rawValue)() when the map already holds '\(i.value)'", value.range)
            } else if !i.aggregateArguments.isEmpty && arguments != i.aggregateArguments && reporting {
                error("@\(name) is used with different \(agg.rawValue)() arguments elsewhere", value.range)
            }
            i.aggregate = agg
            i.value = .aggregate(agg)
            if let t = args.first?.type, t.isInteger {
                i.aggregatedType = i.aggregatedType.flatMap { SType.unify($0, t) } ?? t
            }
            if i.aggregateArguments.isEmpty { i.aggregateArguments = arguments }
            maps[name] = i
            target.type = .aggregate(agg)
            return
        }
        var t = structValue(value, expr(value))
        if let agg = maps[name]?.aggregate {
            error("@\(name) holds \(agg.rawValue)() values; it cannot be assigned a \(t)", value.range)
            return
        }
        if let op {
            t = arithmetic(op, maps[name]?.value == .unknown ? .i64 : (maps[name]?.value ?? .i64), t, range) ?? t
        }
        if t == .void { error("cannot assign a value of type 'void' to @\(name)", value.range); return }
        if t.isAggregate { error("aggregations must be assigned directly, e.g. @\(name) = count()", value.range); return }
        setMapValue(name, t, range)
        target.type = maps[name]?.value
    }

    /// Checks an aggregation's arguments; returns the constant ones the
    /// runtime needs (hist's k, lhist's min/max/step).
    func aggregateArguments(_ agg: Aggregate, _ args: [Expr], _ range: SourceRange) -> [Int64] {
        let allowed = agg.argumentCount
        guard allowed.contains(args.count) else {
            let want = allowed.count == 1 ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) or \(allowed.upperBound)"
            error("\(agg.rawValue)() takes \(want) argument\(allowed.upperBound == 1 ? "" : "s"), not \(args.count)", range)
            return []
        }
        for a in args.prefix(1) {
            let t = expr(a)
            if !t.isInteger && t != .bool && t != .unknown { error("\(agg.rawValue)() needs an integer value, not \(t)", a.range) }
        }
        var constants: [Int64] = []
        var unknownParameter = false
        for a in args.dropFirst() {
            expr(a)
            guard let v = a.constantValue else {
                if case .positional(let n) = a.kind {
                    if let params = positional, n <= params.count, let v = PositionalParameter.integer(params[n - 1]) {
                        constants.append(v)
                    } else {
                        constants.append(0)
                        unknownParameter = true
                    }
                    continue
                }
                if agg == .tseries, let name = a.literalString {
                    // The aggregation of values within one interval, kept as a code.
                    guard let code = TSeriesAggregation(name: String(decoding: name, as: UTF8.self)) else {
                        error("tseries() aggregation must be one of \"avg\", \"max\", \"min\" or \"sum\"", a.range)
                        return []
                    }
                    constants.append(Int64(code.rawValue))
                    continue
                }
                error("\(agg.rawValue)() takes integer literals after the value", a.range)
                return []
            }
            constants.append(v)
        }
        if unknownParameter { return constants }
        switch agg {
        case .hist:
            if let k = constants.first, k < 0 || k > 5 { error("hist() bits must be from 0 to 5, not \(k)", args[1].range) }
        case .lhist where constants.count == 3:
            let (lo, hi, step) = (constants[0], constants[1], constants[2])
            if lo < 0 { error("lhist() min must be non-negative", args[1].range) }
            if hi <= lo { error("lhist() max must be larger than min", args[2].range) }
            if step <= 0 { error("lhist() step must be positive", args[3].range) }
            else if hi > lo, (hi - lo) / step > 1000 { error("lhist() has too many buckets: (max - min) / step is at most 1000", range) }
        case .tseries where constants.count >= 2:
            if constants[0] <= 0 { error("tseries() interval must be positive, e.g. 100ms or 1s", args[1].range) }
            if constants[1] < 1 || constants[1] > 1_000_000 { error("tseries() number of intervals must be from 1 to 1000000", args[2].range) }
        default: break
        }
        return constants
    }
}

/// How tseries() combines the values of one interval: the last one (none),
/// or their average, maximum, minimum or sum.
public enum TSeriesAggregation: Int, Sendable {
    case none = 0, avg, max, min, sum

    init?(name: String) {
        switch name {
        case "avg": self = .avg
        case "max": self = .max
        case "min": self = .min
        case "sum": self = .sum
        default: return nil
        }
    }
}

extension Aggregate {
    var argumentCount: ClosedRange<Int> {
        switch self {
        case .count: 0...0
        case .sum, .avg, .min, .max, .stats: 1...1
        case .hist: 1...2
        case .lhist: 4...4
        case .tseries: 3...4
        }
    }
}

extension Expr {
    /// The value of an integer literal, possibly negated.
    var constantValue: Int64? {
        switch kind {
        case .integer(let v): Int64(exactly: v)
        case .unary(.negate, let x): x.constantValue.map { -$0 }
        default: nil
        }
    }
}

extension Expr {
    /// A string literal, also when it is the value of a block (as a macro
    /// expands to).
    public var literalString: [UInt8]? {
        switch kind {
        case .string(let s): s
        case .block(let b) where b.statements.count == 1: b.value?.literalString
        default: nil
        }
    }
}
