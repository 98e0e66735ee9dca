/// A user-defined function's checked signature: `fn add($a: int64, $b: int64): int64`.
public struct UserFunction: Sendable {
    public var name: String
    public var parameters: [(name: String, type: SType)]
    public var returnType: SType
    public var body: Block
    public var range: SourceRange
}

/// User functions: checked once each, called from any probe. The compiler
/// emits each as a BPF function of every program that calls it, so these
/// rules are BPF's: scalars in and out, five argument registers (one
/// carries the probe's context), no recursion.
extension Sema {
    static let maxFunctionParameters = 4
    /// Builtins that read the probe's own event, which a function does not
    /// have: the caller passes what the function needs.
    static let probeContextBuiltins: Set<String> = ["args", "ctx", "retval", "func", "probe", "__probe", "kstack", "ustack", "reg", "uaddr"]

    /// Runs once, before the passes: its errors are reported directly.
    func declareFunctions(_ functions: [Function]) {
        for f in functions {
            if userFunctions[f.name] != nil {
                diagnostics.error("function '\(f.name)' is defined twice", at: f.range)
                continue
            }
            if Builtins.type(of: f.name) != nil || Functions.library.contains(f.name) || macroNames.contains(f.name) {
                diagnostics.error("function '\(f.name)' has the name of a builtin or macro; choose another", at: f.range)
            }
            if f.parameters.count > Self.maxFunctionParameters {
                diagnostics.error("function '\(f.name)' takes \(f.parameters.count) parameters; BPF functions take at most \(Self.maxFunctionParameters) (one register carries the probe's context)", at: f.range)
            }
            var seen: Set<String> = []
            var parameters: [(name: String, type: SType)] = []
            for (name, typeExpr) in f.parameters {
                if !seen.insert(name).inserted { diagnostics.error("function '\(f.name)' has two parameters named $\(name)", at: f.range) }
                let t = resolve(typeExpr, at: f.range)
                if !t.isScalar { diagnostics.error("parameter $\(name) of '\(f.name)' is \(t): a function takes integers, booleans and pointers", at: f.range) }
                parameters.append((name, t))
            }
            let returns = resolve(f.returnType, at: f.range)
            if returns != .void && !returns.isScalar {
                diagnostics.error("function '\(f.name)' returns \(returns): a function returns an integer, a boolean, a pointer or void", at: f.range)
            }
            userFunctions[f.name] = UserFunction(name: f.name, parameters: parameters, returnType: returns, body: f.body, range: f.range)
        }
    }

    func checkFunctions() {
        functionCalls = [:]
        for f in userFunctions.values.sorted(by: { $0.range.start < $1.range.start }) {
            currentFunction = f
            kinds = []
            attachPoints = []
            argsCandidates = nil
            scopes = [Dictionary(f.parameters.map { ($0.name, $0.type) }) { a, _ in a }]
            variableTypes = functionVariableTypes[f.name] ?? scopes[0]
            loopDepth = 0
            block(f.body)
            if f.returnType != .void && !Self.alwaysReturns(f.body) {
                error("function '\(f.name)' must return a value of type \(f.returnType) on every path", f.range)
            }
            functionVariableTypes[f.name] = variableTypes
            currentFunction = nil
        }
        if reporting { reportRecursion() }
    }

    static func alwaysReturns(_ b: Block) -> Bool {
        guard let last = b.statements.last else { return false }
        switch last.kind {
        case .jump(.return, _): return true
        case .expr(let e): if case .call("exit", _) = e.kind { return true } else { return false }
        case .block(let inner): return alwaysReturns(inner)
        case .ifElse(_, let then, let otherwise?):
            return alwaysReturns(then) && alwaysReturns(Block([otherwise], otherwise.range))
        default: return false
        }
    }

    /// `return` inside a function: the value must fit the declared type.
    func checkReturn(_ value: Expr?, in f: UserFunction, _ range: SourceRange) {
        guard let value else {
            if f.returnType != .void { error("function '\(f.name)' returns \(f.returnType): return a value", range) }
            return
        }
        let t = expr(value)
        if f.returnType == .void { error("function '\(f.name)' returns nothing (void), but this returns \(t)", value.range); return }
        if t != .unknown && SType.unify(f.returnType, t) == nil {
            error("function '\(f.name)' returns \(f.returnType), not \(t)", value.range)
        }
    }

    func userCall(_ e: Expr, _ f: UserFunction, _ args: [Expr], statement: Bool) -> SType {
        if let caller = currentFunction?.name { functionCalls[caller, default: []].append((f.name, e.range)) }
        if args.count != f.parameters.count {
            error("\(f.name)() takes \(f.parameters.count) argument\(f.parameters.count == 1 ? "" : "s"), not \(args.count)", e.range)
        }
        for (i, a) in args.enumerated() {
            let t = expr(a)
            guard i < f.parameters.count, t != .unknown else { continue }
            let p = f.parameters[i]
            if !t.isScalar || (t.isPointer != p.type.isPointer && !(a.isIntegerLiteral && a.constantValue == 0)) {
                error("argument \(i + 1) of \(f.name)() is \(t), but $\(p.name) is \(p.type)", a.range)
            }
        }
        if f.returnType == .void && !statement { error("\(f.name)() returns no value; use it as a statement", e.range) }
        return f.returnType
    }

    /// BPF has no recursion: the verifier rejects a call cycle. Say which.
    func reportRecursion() {
        for start in functionCalls.keys.sorted() {
            var path = [start]
            func visit(_ name: String) -> (String, SourceRange)? {
                for (callee, range) in functionCalls[name] ?? [] {
                    if callee == start { return (callee, range) }
                    if path.contains(callee) { continue }
                    path.append(callee)
                    if let found = visit(callee) { return found }
                    path.removeLast()
                }
                return nil
            }
            if let (_, range) = visit(start) {
                let through = path.count > 1 ? " (through \(path.dropFirst().joined(separator: ", ")))" : ""
                error("function '\(start)' calls itself\(through): BPF does not allow recursion", range)
                return
            }
        }
    }
}
