/// What the type checker learns from the kernel's types and the settings:
/// whole structs as records, kernel enums, the fields of `args` across
/// tracepoints, offsetof, and config().
extension Sema {
    /// A struct's value as a record of member reads through `base` (a
    /// pointer with `arrow`, else a struct value); nested structs nest, three
    /// deep; members of types Auger cannot copy (arrays of structs) are left out.
    func structRecord(_ base: Expr, _ typeName: String, arrow: Bool, depth: Int) -> ExprKind? {
        guard depth < 3, let names = scriptStructs[typeName]?.order ?? provider?.structFieldNames(typeName),
              !names.isEmpty, names.count <= 128 else { return nil }
        var fields: [(String, Expr)] = []
        for name in names {
            let access = Expr(.field(base, name, arrow: arrow), base.range)
            switch scriptStructs[typeName]?.fields[name]?.type ?? provider?.structField(typeName, name)?.type {
            case .cType(let inner)?:
                guard let nested = structRecord(access, inner, arrow: false, depth: depth + 1) else { continue }
                fields.append((name, Expr(nested, base.range)))
            case .array(.cType, _)?, .unknown?, nil:
                continue
            default:
                fields.append((name, access))
            }
        }
        return fields.isEmpty ? nil : .record(fields)
    }

    /// A struct member used as a value (`@bar = $p->bar`): its members as a
    /// record, as `*p` is; other values keep their type `t`.
    func structValue(_ value: Expr, _ t: SType) -> SType {
        guard case .cType(let name) = t, case .field = value.kind,
              let record = structRecord(Expr(value.kind, value.range), name, arrow: false, depth: 0) else { return t }
        value.kind = record
        return expr(value)
    }

    /// bpftrace's defaults for the settings config() reads.
    static let configDefaults: [String: String] = [
        "max_strlen": String(Functions.maxStrlen), "stack_mode": "bpftrace", "cpp_demangle": "true",
        "max_map_keys": "4096", "max_cat_bytes": "10240", "print_maps_on_exit": "true", "missing_probes": "error",
        "license": "GPL", "on_stack_limit": "32", "perf_rb_pages": "64", "max_bpf_progs": "1024", "max_probes": "1024",
        "lazy_symbolication": "false", "show_debug_info": "true", "str_trunc_trailer": "..", "log_size": "1000000",
        "cache_user_symbols": "PER_PROGRAM",
    ]

    /// A setting as a literal: the environment's, the script's config block's, or the default.
    func configValue(_ name: String) -> ExprKind? {
        var value = settings[name] ?? Self.configDefaults[name]
        for a in configAssignments where a.name.lowercased().replacingPrefix("bpftrace_") == name && settings[name] == nil {
            switch a.value.kind {
            case .integer(let v): value = String(v)
            case .string(let b): value = String(decoding: b, as: UTF8.self)
            case .bool(let b): value = b ? "true" : "false"
            case .identifier(let i): value = i
            default: break
            }
        }
        guard let value else { return nil }
        if value == "true" || value == "false" { return .bool(value == "true") }
        if let n = UInt64(value) { return .integer(n) }
        return .string(Array(value.utf8))
    }

    /// A kernel enum constant for a name nothing else claims; its enum's
    /// constants join the script's, for printing by name.
    func kernelEnumConstant(_ name: String) -> (enumName: String, value: Int64)? {
        let base = name.hasPrefix("__builtin_") ? String(name.dropFirst(10)) : name
        guard Builtins.type(of: base) == nil, enumOfConstant[name] == nil, base != "config",
              !Functions.zeroArgument.contains(base), let constant = provider?.enumConstant(name) else { return nil }
        if !constant.enumName.isEmpty { noteKernelEnum(constant.enumName) }
        return constant
    }

    func noteKernelEnum(_ enumName: String) {
        if enums[enumName] == nil, let values = provider?.enumValues(enumName) { enums[enumName] = values }
    }

    /// `args` of a single tracepoint with a known format is a record of its
    /// fields; anything else is resolved when the program is compiled.
    func argsType(_ range: SourceRange) -> SType {
        if !attachPoints.isEmpty, attachPoints.allSatisfy({ $0.kind == .rawtracepoint }) {
            // Raw tracepoints of one signature share their arguments (BTF names them).
            let all = attachPoints.map { p in p.raw.contains("*") ? nil : provider?.rawTracepointArgs(p.parts.last!) }
            guard let first = all.first ?? nil, all.allSatisfy({ $0 == first }) else { return .probeArgs }
            return .record(first)
        }
        if let signature = kernelFunctionSignature() { return .record(signature.parameters) }
        if !attachPoints.isEmpty, attachPoints.allSatisfy({ $0.kind == .uprobe }) {
            // A uprobe's arguments by name come from its binary's DWARF.
            let all = attachPoints.map { p in p.parts.count < 2 ? nil : provider?.userFunction(p.parts.last!, inBinary: p.parts[0]) }
            guard let first = all.first ?? nil, all.allSatisfy({ $0 == first }) else { return .probeArgs }
            return .record(first.parameters)
        }
        if !attachPoints.isEmpty, attachPoints.allSatisfy({ $0.kind == .fentry || $0.kind == .fexit }) { return .probeArgs }
        let all = tracepointFields()
        // Tracepoints of one format (e.g. sys_exit_open and sys_exit_openat) share it.
        guard let first = all.first, all.dropFirst().allSatisfy({ $0 == first }) else { return .probeArgs }
        for field in first { if case .enumValue(let e) = field.type { noteKernelEnum(e) } }
        return .record(first)
    }

    /// The one signature of the kernel functions an fentry or fexit probe
    /// names without wildcards; nil if they differ or BTF does not know them.
    func kernelFunctionSignature() -> FunctionSignature? {
        guard !attachPoints.isEmpty, attachPoints.allSatisfy({ ($0.kind == .fentry || $0.kind == .fexit) && !$0.raw.contains("*") }),
              let provider else { return nil }
        let all = attachPoints.map { point in
            provider.kernelFunction(point.parts.last!, module: point.parts.count == 2 && point.parts[0] != "vmlinux" ? point.parts[0] : nil)
        }
        guard let first = all.first ?? nil, all.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    /// The fields of each tracepoint the probe attaches to (wildcards
    /// expanded); none unless every attach point is a known tracepoint.
    func tracepointFields() -> [[RecordField]] {
        if let known = argsCandidates { return known }
        var all: [[RecordField]] = []
        for point in attachPoints {
            guard point.kind == .tracepoint, point.parts.count == 2, let provider else { all = []; break }
            let names = point.raw.contains("*") || point.raw.contains("?")
                ? provider.tracepoints(matching: point.parts[0], point.parts[1]) : [(point.parts[0], point.parts[1])]
            let fields = names.prefix(4096).compactMap { provider.tracepointArgs(category: $0.category, name: $0.name) }
            guard !fields.isEmpty, fields.count == min(names.count, 4096) else { all = []; break }
            all += fields
        }
        argsCandidates = all
        return all
    }

    /// A field of `args` in a probe on tracepoints of several formats: its
    /// type where every tracepoint that has it agrees.
    func argsField(_ name: String) -> SType {
        let types = tracepointFields().compactMap { $0.first { $0.name == name }?.type }
        guard let first = types.first, types.allSatisfy({ $0 == first }) else { return .unknown }
        if case .enumValue(let e) = first { noteKernelEnum(e) }
        return first
    }

    /// offsetof(struct T, a.b): folded to its constant, from the script's
    /// definition or the kernel's BTF.
    func offsetof(_ t: SType, _ path: [String], _ e: Expr) -> SType {
        guard case .cType(var type) = t else {
            error("offsetof() needs a struct or union type, not \(t)", e.range)
            return .u64
        }
        var offset = 0
        for name in path {
            guard let member = scriptStructs[type]?.fields[name] ?? provider?.structField(type, name) else {
                if scriptStructs[type] != nil || provider?.knowsStruct(type) == true {
                    error("'\(type)' has no field named '\(name)'", e.range)
                } else if provider != nil {
                    error("unknown type \(type): it is neither defined in the script nor in the kernel's BTF", e.range)
                }
                return .u64
            }
            offset += member.byteOffset
            if case .cType(let inner) = member.type { type = inner }
        }
        e.kind = .integer(UInt64(offset))
        return .u64
    }
}

extension Expr {
    /// `config()` or `__builtin_config`: the settings in effect.
    var isConfig: Bool {
        switch kind {
        case .call("config", let args), .call("__builtin_config", let args): args.isEmpty
        case .identifier("__builtin_config"), .identifier("config"): true
        default: false
        }
    }
}

extension String {
    func replacingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
