/// What the type checker learns from the running system, when there is one.
public protocol TypeInfoProvider {
    /// The fields of `tracepoint:category:name`'s `args`, or nil if unknown.
    func tracepointArgs(category: String, name: String) -> [RecordField]?
    /// A member of a kernel struct or union (`struct task_struct`), or nil.
    func structField(_ typeName: String, _ field: String) -> StructField?
    /// Whether the kernel's types describe this struct or union at all.
    func knowsStruct(_ typeName: String) -> Bool
    /// The size in bytes of a kernel struct or union, or nil.
    func structSize(_ typeName: String) -> Int?
    /// A kernel struct's member names in order, anonymous members' own
    /// members in their place, for printing a whole struct.
    func structFieldNames(_ typeName: String) -> [String]?
    /// A raw tracepoint's arguments (from BTF), in order.
    func rawTracepointArgs(_ name: String) -> [RecordField]?
    /// A kernel function's parameters and return type (from BTF), for fentry and fexit.
    func kernelFunction(_ name: String, module: String?) -> FunctionSignature?
    /// The tracepoints `category:name` matches (wildcards allowed), for the
    /// fields of `args` in a probe on several.
    func tracepoints(matching category: String, _ name: String) -> [(category: String, name: String)]
    /// A kernel (per-CPU) variable's BTF id and type, for percpu_kaddr().
    func kernelVariable(_ name: String) -> (btfID: UInt32, type: SType)?
    /// A kernel enum constant: its enum's name and its value.
    func enumConstant(_ name: String) -> (enumName: String, value: Int64)?
    /// A kernel enum's constants by value (`enum` tag left out of the name).
    func enumValues(_ enumName: String) -> [Int64: String]?
    /// The size of a variable `name` in the ELF files a uprobe or usdt
    /// probe's binary part names (`written`, as the script wrote it), for uaddr().
    func userSymbolSize(_ name: String, inBinary written: String) -> Int?
    /// A user function's parameters (from DWARF), for a uprobe's `args`.
    func userFunction(_ name: String, inBinary written: String) -> FunctionSignature?
    /// Whether the kernel has the kfunc `name` (nil without kernel BTF), for kfunc_exist().
    func isKfunc(_ name: String) -> Bool?
    /// Whether names the script does not define may still be the kernel's
    /// (enum constants): then they are not errors before the kernel is asked.
    var lenientNames: Bool { get }
}

extension TypeInfoProvider {
    public func structField(_ typeName: String, _ field: String) -> StructField? { nil }
    public func knowsStruct(_ typeName: String) -> Bool { false }
    public func structSize(_ typeName: String) -> Int? { nil }
    public func enumConstant(_ name: String) -> (enumName: String, value: Int64)? { nil }
    public func kernelVariable(_ name: String) -> (btfID: UInt32, type: SType)? { nil }
    public func tracepoints(matching category: String, _ name: String) -> [(category: String, name: String)] { [] }
    public func rawTracepointArgs(_ name: String) -> [RecordField]? { nil }
    public func kernelFunction(_ name: String, module: String?) -> FunctionSignature? { nil }
    public func userSymbolSize(_ name: String, inBinary written: String) -> Int? { nil }
    public func userFunction(_ name: String, inBinary written: String) -> FunctionSignature? { nil }
    public func structFieldNames(_ typeName: String) -> [String]? { nil }
    public func enumValues(_ enumName: String) -> [Int64: String]? { nil }
    public func isKfunc(_ name: String) -> Bool? { nil }
    public var lenientNames: Bool { false }
}

/// What a kernel function takes and returns, as the type checker sees it.
public struct FunctionSignature: Sendable, Equatable {
    public var parameters: [RecordField]
    /// The context word each parameter starts at: a struct passed by value
    /// takes two when it is over 8 bytes.
    public var slots: [Int]
    public var returnType: SType
    /// fexit's context holds the return value after the parameters.
    public var returnSlot: Int

    public init(parameters: [RecordField], slots: [Int], returnType: SType, returnSlot: Int) {
        self.parameters = parameters
        self.slots = slots
        self.returnType = returnType
        self.returnSlot = returnSlot
    }

    /// A parameter's context word and type.
    public func parameter(_ name: String) -> (slot: Int, type: SType)? {
        parameters.firstIndex { $0.name == name }.map { (slots[$0], parameters[$0].type) }
    }
}

/// Where a struct member is and what it holds.
public struct StructField: Sendable, Equatable {
    public var type: SType
    public var byteOffset: Int
    /// For bitfields: the first bit within the byte at `byteOffset`, and the width.
    public var bitOffset: Int
    public var bitSize: Int

    public init(type: SType, byteOffset: Int, bitOffset: Int = 0, bitSize: Int = 0) {
        self.type = type
        self.byteOffset = byteOffset
        self.bitOffset = bitOffset
        self.bitSize = bitSize
    }
}

/// A map as the whole program uses it.
public struct MapUsage: Sendable {
    public var name: String
    /// nil for a map without keys (`@x = 1`).
    public var key: SType?
    public var value: SType
    public var aggregate: Aggregate?
    /// Constant arguments of `hist(v, k)` and `lhist(v, min, max, step)`.
    public var aggregateArguments: [Int64] = []
    /// The type of the values aggregated (count's is none).
    public var aggregatedType: SType?
    public var declaration: MapDeclaration?
    public var firstUse: SourceRange
}

/// A program after macro expansion and type checking.
public struct CheckedProgram: Sendable {
    public var program: Program
    public var maps: [String: MapUsage]
    public var diagnostics: Diagnostics
    /// Enum name → value → constant name, for printing enum values.
    public var enums: [String: [Int64: String]] = [:]
    /// Variables whose address the program takes (`&$x`): they live in memory.
    public var addressTaken: Set<String> = []
    /// Sizes of the structs the script defines or uses from the kernel, for
    /// sizeof and pointer arithmetic.
    public var structSizes: [String: Int] = [:]
    /// Per-CPU kernel variables percpu_kaddr() names → their BTF ids.
    public var percpuVariables: [String: UInt32] = [:]
    /// User functions by name, checked.
    public var functions: [String: UserFunction] = [:]
    /// Bytes str() reads unless told (config max_strlen).
    public var maxStrlen = Functions.maxStrlen
}

/// The type checker: names, types, map value kinds, which builtins each
/// probe may use. It records every expression's type in `Expr.type`.
public final class Sema {
    var maps: [String: MapUsage] = [:]
    var diagnostics = Diagnostics()
    /// Diagnostics are kept only on the last pass; earlier passes settle the
    /// types of variables and maps that are used before they are assigned.
    var reporting = false
    let provider: TypeInfoProvider?
    let macroNames: Set<String>
    /// Functions may come from imported modules, which Auger does not read yet.
    var hasImports = false
    /// Enum constants from C definitions in the script.
    var enumConstants: [String: Int64] = [:]
    /// Constant → the enum that defines it; anonymous enums get a made-up name.
    var enumOfConstant: [String: String] = [:]
    var enums: [String: [Int64: String]] = [:]
    var addressTaken: Set<String> = []
    /// Structs the script defines; they take precedence over the kernel's.
    var scriptStructs: [String: ScriptStruct] = [:]
    /// Settings from the environment, and the script's config block, for config().
    var settings: [String: String] = [:]
    var configAssignments: [ConfigAssignment] = []
    /// Bytes str(), buf() and path() read unless told (config max_strlen).
    var maxStrlen = Functions.maxStrlen
    /// The probe's tracepoints' fields, when it has several (read on first use of args).
    var argsCandidates: [[RecordField]]?
    /// percpu_kaddr() variables → their BTF ids.
    var percpuVariables: [String: UInt32] = [:]
    /// `#define` constants, the script's own and its headers'.
    var defines: [String: Int64] = [:]
    /// Sizes of kernel structs the script names.
    var kernelStructSizes: [String: Int] = [:]
    /// Maps used without a key somewhere (scalars).
    var keylessMaps: Set<String> = []
    /// Maps assigned somewhere, whatever their (possibly unknown) type.
    var assignedMaps: Set<String> = []

    // The probe being checked.
    /// The kinds of the current probe's attach points.
    var kinds: [ProbeKind] = []
    var attachPoints: [AttachPoint] = []
    var scopes: [[String: SType]] = []
    var variableTypes: [String: SType] = [:]
    var loopDepth = 0
    var probeIndex = 0
    var allVariableTypes: [Int: [String: SType]] = [:]
    /// User functions by name, and the one being checked.
    var userFunctions: [String: UserFunction] = [:]
    var currentFunction: UserFunction?
    var functionVariableTypes: [String: [String: SType]] = [:]
    /// Caller → the functions it calls, where: for finding recursion.
    var functionCalls: [String: [(String, SourceRange)]] = [:]

    /// The command line's positional parameters, when known (not for a
    /// script checked on its own): they decide whether `$n` is a string.
    let positional: [String]?

    init(provider: TypeInfoProvider?, macroNames: Set<String>, positional: [String]?) {
        self.provider = provider
        self.macroNames = macroNames
        self.positional = positional
    }

    /// `defines` are integer constants from the headers the script includes.
    /// `settings` are configuration values from the environment, which
    /// config() reads before the script's config block.
    public static func check(_ program: Program, provider: TypeInfoProvider? = nil, positional: [String]? = nil,
                             defines: [String: Int64] = [:], settings: [String: String] = [:]) -> CheckedProgram {
        let expander = MacroExpander(program)
        let expanded = expander.expand(program)
        let sema = Sema(provider: provider, macroNames: Set(program.macros.map(\.name)), positional: positional)
        sema.defines = defines
        sema.settings = settings
        sema.configAssignments = expanded.config
        if case .integer(let n)? = sema.configValue("max_strlen"), n > 0 { sema.maxStrlen = Int(min(n, 1 << 16)) }
        for decl in expanded.mapDeclarations { sema.declare(decl) }
        sema.declareFunctions(expanded.functions)
        let directives = expanded.preamble.compactMap { item -> (String, SourceRange)? in
            if case .preprocessor(let text, let range) = item { (text, range) } else { nil }
        }
        for (problem, index) in CPreprocessor.conditionalProblems(directives.map(\.0)) {
            sema.diagnostics.error(problem, at: directives[index].1)
        }
        for item in expanded.preamble {
            if case .import = item { sema.hasImports = true }
            if case .preprocessor(let text, _) = item, let (name, value) = CPreprocessor.define(text, known: sema.defines) {
                sema.defines[name] = value
            }
            if case .cDefinition(let text, let range) = item {
                if let problem = CDefinitions.tagProblem(in: text) { sema.diagnostics.error(problem, at: range) }
                sema.define(enumText: text, range)
                let layouts = CDefinitions.structLayouts(in: text, known: sema.scriptStructs)
                for s in layouts { sema.scriptStructs[s.name] = s }
                if layouts.isEmpty, let missing = CDefinitions.incompleteMember(in: text, known: sema.scriptStructs),
                   let provider, !provider.knowsStruct(missing) {
                    // As a C compiler says it: a struct member needs its struct defined first.
                    sema.diagnostics.error("field has incomplete type '\(missing)': define it earlier in the script", at: range)
                }
            }
        }
        // Silent passes until the types of maps and variables settle (one,
        // unless a map or variable is used before its widest assignment),
        // then a pass that reports.
        for _ in 0..<3 {
            sema.unsettled = false
            sema.checkFunctions()
            for (i, probe) in expanded.probes.enumerated() { sema.check(probe, index: i) }
            if !sema.unsettled { break }
        }
        sema.reporting = true
        sema.checkFunctions()
        for (i, probe) in expanded.probes.enumerated() { sema.check(probe, index: i) }
        sema.checkConfig(expanded.config)
        sema.checkMapsHaveValues()
        var diagnostics = expander.diagnostics
        diagnostics.append(contentsOf: sema.diagnostics)
        return CheckedProgram(program: expanded, maps: sema.maps, diagnostics: diagnostics, enums: sema.enums, addressTaken: sema.addressTaken,
                              structSizes: sema.kernelStructSizes.merging(sema.scriptStructs.mapValues(\.size)) { $1 },
                              percpuVariables: sema.percpuVariables, functions: sema.userFunctions, maxStrlen: sema.maxStrlen)
    }

    /// Set when a pass used a type that changed after the use: a map read
    /// before its first assignment, or a map or variable widened after it
    /// was used. Another pass then sees the final types.
    var unsettled = false

    func error(_ message: String, _ range: SourceRange) {
        if reporting { diagnostics.error(message, at: range) }
    }
    func warning(_ message: String, _ range: SourceRange) {
        if reporting { diagnostics.warning(message, at: range) }
    }

    // MARK: Declarations and config

    func define(enumText text: String, _ range: SourceRange) {
        let enumerators = CDefinitions.enumerators(in: text)
        guard !enumerators.isEmpty else { return }
        let name = CDefinitions.enumName(in: text) ?? "<anonymous \(enums.count)>"
        for e in enumerators {
            let (constant, value) = (e.name, e.value)
            if let problem = e.problem { diagnostics.error(problem, at: range); continue }
            // One scope for every enum in the script, as in C.
            guard enumConstants[constant] == nil else {
                diagnostics.error("redefinition of enumerator '\(constant)'", at: range)
                continue
            }
            enumConstants[constant] = value
            enumOfConstant[constant] = name
            if enums[name, default: [:]][value] == nil { enums[name, default: [:]][value] = constant }
        }
    }

    static let mapKinds = ["hash", "lruhash", "percpuhash", "percpulruhash", "percpuarray", "array"]

    func declare(_ d: MapDeclaration) {
        reporting = true
        defer { reporting = false }
        if !Self.mapKinds.contains(d.kind) {
            error("invalid map type '\(d.kind)': use one of \(Self.mapKinds.joined(separator: ", "))", d.range)
        }
        if d.arguments.count != 1 {
            error("map declarations take one argument, the maximum number of entries, e.g. let @\(d.name) = \(d.kind)(100)", d.range)
        } else if case .integer(let n) = d.arguments[0].kind, n > 0 {
            // fine
        } else {
            error("the maximum number of entries must be a positive integer literal", d.arguments[0].range)
        }
        if maps[d.name]?.declaration != nil { error("map @\(d.name) is declared twice", d.range) }
        maps[d.name] = MapUsage(name: d.name, key: nil, value: .unknown, aggregate: nil, declaration: d, firstUse: d.range)
    }

    static let configVariables: Set<String> = [
        "cache_user_symbols", "cpp_demangle", "lazy_symbolication", "license", "log_size", "max_bpf_progs",
        "max_cat_bytes", "max_map_keys", "max_probes", "max_strlen", "missing_probes", "on_stack_limit",
        "perf_rb_pages", "show_debug_info", "stack_mode", "str_trunc_trailer", "print_maps_on_exit",
        "unstable_map_decl", "unstable_tseries", "unstable_addr", "unstable_macro", "unstable_import",
        "symbol_source", "use_blazesym",
    ]

    /// Settings that take a count, and the largest each may be: the kernel's
    /// own limits where it has one (map sizes are 32-bit).
    public static let integerConfigLimits: [String: UInt64] = [
        "max_map_keys": UInt64(UInt32.max), "max_strlen": 1 << 16, "max_cat_bytes": 1 << 24, "max_bpf_progs": 1 << 20,
        "max_probes": 1 << 20, "log_size": UInt64(UInt32.max), "on_stack_limit": 1 << 16, "perf_rb_pages": 1 << 20,
    ]
    public static let booleanConfigs: Set<String> = ["print_maps_on_exit", "cpp_demangle", "lazy_symbolication", "show_debug_info", "use_blazesym"]

    /// A count must be a number within its limit and a switch a boolean: a
    /// bad value is an error, never silently the default.
    func checkConfigValue(_ name: String, _ value: Expr) {
        let typeName: String
        switch value.kind {
        case .integer: typeName = "integer"
        case .string: typeName = "string"
        case .bool: typeName = "bool"
        default: typeName = "identifier"
        }
        if let limit = Self.integerConfigLimits[name] {
            guard case .integer(let n) = value.kind else {
                return error("Invalid type for \(name). Type: \(typeName). Expected Type: integer", value.range)
            }
            if n == 0 && name != "perf_rb_pages" && name != "on_stack_limit" || n > limit {
                error("Invalid value for \(name): \(n) is out of range (1 to \(limit))", value.range)
            }
        }
        if Self.booleanConfigs.contains(name) {
            switch value.kind {
            case .bool: break
            case .integer(let n) where n <= 1: break
            default: error("Invalid type for \(name). Type: \(typeName). Expected Type: bool", value.range)
            }
        }
    }

    /// Licenses the kernel accepts for programs that call GPL-only helpers.
    static let licenses = ["Dual MIT/GPL", "Dual BSD/GPL", "Dual MPL/GPL", "GPL and additional rights", "GPL v2", "GPL"]

    func checkConfig(_ assignments: [ConfigAssignment]) {
        reporting = true
        for a in assignments {
            var name = a.name.lowercased()
            if name.hasPrefix("bpftrace_") { name.removeFirst(9) }
            if !Self.configVariables.contains(name) { error("\(a.name): not a known configuration option", a.range) }
            let choices = ["missing_probes": ["error", "warn", "ignore"], "stack_mode": ["bpftrace", "perf", "raw", "build_id"]]
            if let valid = choices[name] {
                var given: String?
                switch a.value.kind {
                case .identifier(let i): given = i
                case .string(let b): given = String(decoding: b, as: UTF8.self)
                default: given = nil
                }
                if given.map({ !valid.contains($0) }) ?? true {
                    error("Invalid value for \(name): valid values are \(valid.joined(separator: ", "))", a.value.range)
                }
            }
            if name == "license", case .string(let bytes) = a.value.kind {
                let value = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                if !Self.licenses.contains(value) {
                    error("Invalid value for license. Found: \(value). Valid values: \(Self.licenses.joined(separator: ", "))", a.value.range)
                }
            }
            switch a.value.kind {
            case .integer, .string, .bool, .identifier: checkConfigValue(name, a.value)
            default: error("config values must be literals or names, e.g. stack_mode = perf", a.value.range)
            }
        }
    }

    func checkMapsHaveValues() {
        reporting = true
        for (name, info) in maps where info.value == .unknown && info.declaration == nil && !assignedMaps.contains(name) {
            error("map @\(name) is read but never assigned a value", info.firstUse)
        }
        for (name, info) in maps.sorted(by: { $0.key < $1.key }) where info.declaration != nil && info.value == .unknown && !assignedMaps.contains(name) {
            warning("Unused map: @\(name)", info.declaration!.range)
        }
    }

    // MARK: Probes

    func check(_ probe: Probe, index: Int) {
        probeIndex = index
        attachPoints = probe.attachPoints
        argsCandidates = nil
        kinds = Array(Set(probe.attachPoints.map(\.kind))).sorted { $0.name < $1.name }
        scopes = [[:]]
        variableTypes = allVariableTypes[index] ?? [:]
        loopDepth = 0
        if let p = probe.predicate {
            let t = expr(p)
            if !t.isScalar && t != .unknown { error("the predicate must be an integer, bool or pointer, not \(t)", p.range) }
        }
        block(probe.body)
        allVariableTypes[index] = variableTypes
    }

    // MARK: Statements

    func block(_ b: Block) {
        scopes.append([:])
        defer { scopes.removeLast() }
        var ended = false
        for s in b.statements {
            if ended { warning("Unreachable statement", s.range); ended = false }
            statement(s)
            ended = Self.endsControl(s)
        }
    }

    /// exit(), return, break and continue: nothing after them in a block runs.
    static func endsControl(_ s: Stmt) -> Bool {
        switch s.kind {
        case .jump: return true
        case .expr(let e): if case .call("exit", _) = e.kind { return true } else { return false }
        default: return false
        }
    }

    func lookupVariable(_ name: String) -> SType? {
        for scope in scopes.reversed() { if let t = scope[name] { return t } }
        return nil
    }

    /// Records an assignment to `$name` in the innermost scope that has it
    /// (or the current one), widening its type across the whole probe.
    func assignVariable(_ name: String, _ type: SType, at range: SourceRange, declare: Bool = false) {
        var t = type
        if declare {
            if scopes[scopes.count - 1][name] != nil && reporting { error("variable $\(name) is already declared in this scope", range) }
            scopes[scopes.count - 1][name] = t
            variableTypes[name] = t
            return
        }
        if let previous = lookupVariable(name) ?? variableTypes[name] {
            if let u = SType.unify(previous, type) {
                if u != previous { unsettled = true }
                t = u
            } else {
                error("type mismatch for $\(name): trying to assign a value of type '\(type)' when the variable already holds '\(previous)'", range)
                t = previous
            }
        }
        variableTypes[name] = t
        for i in scopes.indices.reversed() where scopes[i][name] != nil {
            scopes[i][name] = t
            return
        }
        scopes[scopes.count - 1][name] = t
    }

    func statement(_ s: Stmt) {
        switch s.kind {
        case .expr(let e):
            let t = expr(e, statement: true)
            if isDiscardedValue(e, t) { warning("the value of this expression is unused", e.range) }
        case .assign(let target, let op, let value):
            assign(target, op, value, s.range)
        case .declare(let name, let type, let value):
            var t = type.map { resolve($0, at: s.range) } ?? .unknown
            if let value {
                let vt = expr(value)
                if type == nil { t = vt } else if SType.unify(t, vt) == nil && vt != .unknown {
                    error("cannot initialize $\(name) of type '\(t)' with a value of type '\(vt)'", value.range)
                }
            }
            // `let $x;` takes the type of its first real value (bpftrace's
            // tcpconnect declares `$daddr` before assigning ntop() to it).
            assignVariable(name, t, at: s.range, declare: true)
        case .ifElse(let cond, let then, let otherwise):
            condition(cond, "if")
            block(then)
            if let otherwise { statement(otherwise) }
        case .whileLoop(let cond, let body):
            condition(cond, "while")
            loop { block(body) }
        case .unroll(let count, let body):
            if case .integer(let n) = count.kind {
                if n < 1 { error("unroll minimum value is 1", count.range) }
                if n > 100 { error("unroll maximum value is 100", count.range) }
            } else if case .positional = count.kind {
                // checked when parameters are known
            } else {
                error("unroll takes an integer literal, e.g. unroll(5)", count.range)
            }
            block(body)
        case .forMap(let v, let m, let body):
            guard case .map(let name, let keys) = m.kind, keys.isEmpty else {
                error("for loops iterate over a map, e.g. for ($kv : @m), or a range, e.g. for ($i : 0..10)", m.range)
                return
            }
            let info = maps[name]
            if info?.aggregate != nil && ![.count, .sum, .min, .max, .avg].contains(info!.aggregate!) {
                error("cannot iterate over @\(name): its values are \(info!.aggregate!.rawValue)() aggregations", m.range)
            }
            if info != nil && info!.key == nil && reporting { error("cannot iterate over @\(name): it has no keys", m.range) }
            m.type = .map
            scopes.append([:])
            let value: SType = info?.aggregate != nil ? .i64 : (info?.value ?? .unknown)
            assignVariable(v, .tuple([info?.key ?? .unknown, value]), at: s.range, declare: true)
            loop { block(body) }
            scopes.removeLast()
        case .forRange(let v, let start, let end, let body):
            let a = expr(start), b = expr(end)
            for (e, t) in [(start, a), (end, b)] where !t.isInteger && t != .unknown {
                error("a range needs integer bounds, not \(t)", e.range)
            }
            scopes.append([:])
            assignVariable(v, SType.unify(a, b) ?? .i64, at: s.range, declare: true)
            loop { block(body) }
            scopes.removeLast()
        case .jump(.return, let value) where currentFunction != nil:
            checkReturn(value, in: currentFunction!, s.range)
        case .jump(let kind, let value):
            if kind != .return && loopDepth == 0 { error("'\(kind.rawValue)' used outside of a loop", s.range) }
            if let value {
                let t = expr(value)
                if !t.isInteger && t != .unknown { error("return takes an integer, not \(t)", value.range) }
            }
        case .block(let b):
            block(b)
        }
    }

    func loop(_ body: () -> Void) {
        loopDepth += 1
        body()
        loopDepth -= 1
    }

    func condition(_ e: Expr, _ what: String) {
        let t = expr(e)
        if !t.isScalar { error("the \(what) condition must be an integer, bool or pointer, not \(t)", e.range) }
    }

    /// Pure values computed and thrown away, e.g. `1 + 1;` or `has_key(@a, 1);`.
    func isDiscardedValue(_ e: Expr, _ t: SType) -> Bool {
        switch e.kind {
        case .call(let name, _): return t != .void && Functions.pure.contains(name)
        case .integer, .string, .bool, .binary, .variable, .tuple, .record: return true
        default: return false
        }
    }

    func assign(_ target: Expr, _ op: BinaryOp?, _ value: Expr, _ range: SourceRange) {
        switch target.kind {
        case .identifier("_") where op == nil:
            _ = expr(value)
        case .map(let name, let keys):
            assignMap(target, name, keys, op, value, range)
        case .variable(let name):
            var t = structValue(value, expr(value))
            // A variable set from a bare literal is a 64-bit integer, as in bpftrace:
            // `$n = 1; $n *= 1000` must not wrap at a byte.
            // A literal takes the type of a variable it is assigned to again.
            if op == nil, value.isIntegerLiteral, case .integer(let bits, _) = t, bits < 64 {
                if let old = lookupVariable(name), case .integer = old, SType.unify(old, t) == old { t = old } else { t = .i64 }
            }
            if let op {
                guard let old = lookupVariable(name) else {
                    error("undefined variable $\(name): assign it before using '\(op.rawValue)='", target.range)
                    return
                }
                t = arithmetic(op, old, t, range) ?? old
            }
            if t == .void { error("cannot assign a value of type 'void' to $\(name)", value.range); return }
            if t.isAggregate { error("aggregations such as \(t) can only be assigned to maps, e.g. @x = count()", value.range); return }
            assignVariable(name, t, at: range)
            target.type = variableTypes[name]
        default:
            expr(target)
            expr(value)
            error("cannot assign to this expression: only maps and variables can be assigned", target.range)
        }
    }
}
