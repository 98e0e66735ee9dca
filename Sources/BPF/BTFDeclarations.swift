// C declarations from BTF, for listing a kernel type's definition
// (`auger -lv 'struct task_struct'`).

extension KernelBTF {
    /// `struct NAME { … };` with each member as C declares it; nil when BTF
    /// has no such struct or union.
    public func definition(of typeName: String) -> String? {
        guard let id = record(named: typeName) else { return nil }
        return typeName + " " + body(id, indent: 1) + ";"
    }

    /// `{` members, one a line, `}`; anonymous structs and unions inline.
    func body(_ id: UInt32, indent: Int) -> String {
        let pad = String(repeating: "    ", count: indent)
        var out = "{\n"
        for m in members(id) {
            var line = declaration(m.type, m.name, indent: indent)
            if m.bitSize > 0 { line += " : \(m.bitSize)" }
            out += pad + line + ";\n"
        }
        return out + String(repeating: "    ", count: indent - 1) + "}"
    }

    /// `TYPE NAME` as C writes it: `char comm[16]`, `struct mm_struct *mm`,
    /// `void (*fn)(struct callback_head *)`.
    public func declaration(_ id: UInt32, _ name: String, indent: Int = 1) -> String {
        func join(_ type: String, _ name: String) -> String { name.isEmpty ? type : type + " " + name }
        guard id != 0, let (kind, typeName, _, ref) = header(id) else { return join("void", name) }
        switch kind {
        case .int, .float, .typedef: return join(typeName, name)
        case .structure, .union, .enumeration, .enumeration64, .forward:
            let tag = kind == .union ? "union" : kind == .structure || kind == .forward ? "struct" : "enum"
            if typeName.isEmpty, kind == .structure || kind == .union { return join(tag + " " + body(id, indent: indent + 1), name) }
            return join(tag + " " + typeName, name)
        case .const: return "const " + declaration(ref, name, indent: indent)
        case .volatile: return "volatile " + declaration(ref, name, indent: indent)
        case .restrict, .typeTag: return declaration(ref, name, indent: indent)
        case .pointer:
            if let (target, _, _, _) = header(ref), target == .functionPrototype { return functionPointer(ref, "*" + name) }
            return declaration(ref, "*" + name, indent: indent)
        case .array:
            guard case .array(let element, let count) = shape(id) else { return join("?", name) }
            return declaration(element, "\(name)[\(count)]", indent: indent)
        case .functionPrototype: return functionPointer(id, name)
        default: return join(typeName.isEmpty ? "?" : typeName, name)
        }
    }

    /// `RET (NAME)(PARAM, …)`.
    func functionPointer(_ proto: UInt32, _ name: String) -> String {
        guard let (_, _, _, ret) = header(proto) else { return name }
        let params = parameters(proto).map { declaration($0, "") }
        return declaration(ret, "(\(name))(\(params.isEmpty ? "void" : params.joined(separator: ", ")))")
    }
}
