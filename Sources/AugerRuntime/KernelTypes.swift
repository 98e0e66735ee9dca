import AugerScript
import ELF
import BPF

/// What the type checker asks of the running kernel: tracepoint formats
/// (tracefs) and struct layouts (BTF, read only when a script needs one).
public final class KernelTypes: TypeInfoProvider, @unchecked Sendable {
    let tracepoints: TracepointTypes?
    private var btfRead = false
    private var btfTypes: KernelBTF?

    /// Uprobes' functions' parameters from DWARF, by "BINARY:FUNCTION" as written.
    var userFunctions: [String: FunctionSignature] = [:]

    public init(tracepoints: TracepointTypes?) { self.tracepoints = tracepoints }

    public func userFunction(_ name: String, inBinary written: String) -> FunctionSignature? { userFunctions[written + ":" + name] }

    public var lenientNames: Bool { tracepoints == nil }

    public func userSymbolSize(_ name: String, inBinary written: String) -> Int? {
        for binary in UserBinaries.find(written, pid: nil) {
            if let size = DebugFiles.symbols(binary.path)?.objects[name]?.size { return Int(size) }
        }
        return nil
    }

    public func tracepointArgs(category: String, name: String) -> [RecordField]? {
        tracepoints?.tracepointArgs(category: category, name: name)
    }

    public func structFieldNames(_ typeName: String) -> [String]? {
        guard let btf, let id = recordID(typeName) else { return nil }
        func names(_ id: UInt32) -> [String] {
            btf.members(id).flatMap { m in m.name.isEmpty ? names(m.type) : [m.name] }
        }
        return names(id)
    }

    /// The kernel's `__bpf_trace_NAME` function takes the raw tracepoint's
    /// arguments after a context pointer: their names and types.
    public func rawTracepointArgs(_ name: String) -> [RecordField]? {
        guard let btf, let function = btf.function(named: "__bpf_trace_" + name),
              let proto = btf.prototype(ofFunction: function) else { return nil }
        let parameters = btf.namedParameters(proto).dropFirst()
        guard parameters.allSatisfy({ !$0.name.isEmpty }) else { return nil }
        return parameters.map { RecordField(name: $0.name, type: type($0.type)) }
    }

    /// fentry and fexit read these from their context, one u64 each.
    public func kernelFunction(_ name: String, module: String? = nil) -> FunctionSignature? {
        guard let btf = module.map(moduleBTF) ?? btf, let function = btf.function(named: name),
              let proto = btf.prototype(ofFunction: function), let returns = btf.returnType(ofPrototype: proto) else { return nil }
        let parameters = btf.namedParameters(proto)
        guard parameters.allSatisfy({ !$0.name.isEmpty }) else { return nil }
        var slots: [Int] = [], next = 0
        for p in parameters {
            slots.append(next)
            if case .record(_, let size, _) = btf.shape(p.type), size > 8 { next += 2 } else { next += 1 }
        }
        return FunctionSignature(parameters: parameters.map { RecordField(name: $0.name, type: type($0.type, in: btf)) },
                                 slots: slots, returnType: type(returns, in: btf), returnSlot: next)
    }

    /// A loaded module's BTF (/sys/kernel/btf/MODULE), split from vmlinux's; read once.
    public func moduleBTF(_ module: String) -> KernelBTF? {
        if let known = modules[module] { return known }
        let read = btf.flatMap { try? KernelBTF(path: "/sys/kernel/btf/\(module)", base: $0) }
        modules[module] = .some(read)
        return read
    }
    private var modules: [String: KernelBTF?] = [:]

    public func tracepoints(matching category: String, _ name: String) -> [(category: String, name: String)] {
        guard let all = try? tracepoints?.tracefs.tracepoints() else { return [] }
        return all.filter { Glob.matches(category, $0.category) && Glob.matches(name, $0.name) }
    }

    var btf: KernelBTF? {
        if !btfRead { btfTypes = try? KernelBTF(); btfRead = true }
        return btfTypes
    }

    public func structField(_ typeName: String, _ field: String) -> StructField? {
        guard let btf, let id = recordID(typeName), let m = btf.member(id, named: field) else { return nil }
        return StructField(type: type(m.type), byteOffset: Int(m.bitOffset / 8),
                           bitOffset: m.bitSize > 0 ? Int(m.bitOffset % 8) : 0, bitSize: Int(m.bitSize))
    }

    public func knowsStruct(_ typeName: String) -> Bool { recordID(typeName) != nil }

    /// Enum constants by name, from BTF, built when a script first names one.
    private lazy var constants: [String: (enumName: String, value: Int64)] = {
        var out: [String: (enumName: String, value: Int64)] = [:]
        // Named enums first: a constant of an anonymous enum is a plain integer ("" enum).
        let all = (btf?.enumerations ?? [:]).sorted { !$0.key.isEmpty && $1.key.isEmpty }
        for (enumName, values) in all {
            for (name, value) in values where out[name] == nil { out[name] = (enumName, value) }
        }
        return out
    }()

    public func enumConstant(_ name: String) -> (enumName: String, value: Int64)? { constants[name] }

    /// The loader finds the variable's address by name, so it must be in
    /// /proc/kallsyms as well as in BTF.
    public func kernelVariable(_ name: String) -> (btfID: UInt32, type: SType)? {
        guard let btf, let v = btf.variable(named: name), KernelSymbols.address(of: name) != nil else { return nil }
        return (v.id, type(v.type))
    }

    public func isKfunc(_ name: String) -> Bool? { btf.map { $0.isKfunc(name) } }

    public func enumValues(_ enumName: String) -> [Int64: String]? {
        guard let values = btf?.enumerations[enumName] else { return nil }
        var out: [Int64: String] = [:]
        for (name, value) in values where out[value] == nil { out[value] = name }
        return out
    }

    public func structSize(_ typeName: String) -> Int? {
        guard let btf, let id = recordID(typeName), case .record(_, let size, _) = btf.shape(id) else { return nil }
        return size
    }

    /// `struct x` by name; anonymous ones by the id `type` gave them.
    func recordID(_ name: String) -> UInt32? {
        if name.hasPrefix("btf#") { return UInt32(name.dropFirst(4)) }
        return btf?.record(named: name)
    }

    /// bpftrace's view of a BTF type: char arrays are strings.
    /// Module BTF (`in`) describes the kernel's types too; struct names are
    /// looked up in vmlinux's later, so a module's own structs stay opaque.
    func type(_ id: UInt32, in module: KernelBTF? = nil, depth: Int = 0) -> SType {
        guard let btf = module ?? btf else { return .unknown }
        switch btf.shape(id) {
        case .void: return .void
        case .integer(let bytes, let signed): return .integer(bits: 8 * max(1, min(bytes, 8)), signed: signed)
        case .enumeration(let bytes): return .integer(bits: 8 * max(1, min(bytes, 8)), signed: false)
        case .pointer(let target):
            if depth > 2 { return .pointer(.void) }
            let pointee = type(target, in: module, depth: depth + 1)
            return .pointer(pointee == .unknown ? .void : pointee)
        case .array(let element, let count):
            if case .integer(bytes: 1, _) = btf.shape(element) { return .string(max(count, 1)) }
            let e = type(element, in: module, depth: depth + 1)
            return e.isInteger ? .array(e, count) : .unknown
        case .record(let name, _, let union):
            return .cType(name.isEmpty ? "btf#\(btf.resolved(id))" : (union ? "union " : "struct ") + name)
        case .other: return .unknown
        }
    }
}
