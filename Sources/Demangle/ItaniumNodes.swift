/// A demangled name as a tree, so that C's declarator syntax (`void (*)(int)`,
/// `int (&) [3]`) can be printed inside out once the whole type is known.
indirect enum Node: Sendable {
    /// An identifier, operator name or builtin type, printed as is.
    case name(String)
    /// `a::b`: a scope and a name in it.
    case scoped(Node, Node)
    /// `name<args>`.
    case template(Node, [Node])
    /// A type with `const`, `volatile` or `restrict` after it.
    case qualified(Node, String)
    case pointer(Node)
    case reference(Node, rvalue: Bool)
    /// A function type: its return type (nil for constructors and the like),
    /// parameters, and `const`/`&` qualifiers after them.
    case function(returns: Node?, parameters: [Node], qualifiers: String)
    case array(Node, dimension: String)
    case memberPointer(scope: Node, member: Node)
    /// A function's name with its type: `ns::f(int) const`.
    case encoding(Node, Node)
    /// A template argument that is a value: `5`, `true`, `(char)65`.
    case literal(String)
    /// A template parameter pack's arguments, printed comma-separated.
    case pack([Node])
    /// Text before a name: `vtable for X`, `guard variable for X`.
    case special(String, Node)
    /// A name with text after it: ABI tags, `[clone .cold]`.
    case suffixed(Node, String)

    /// The innermost name of a scope, for constructors and destructors.
    var unqualifiedName: String {
        switch self {
        case .name(let s): return s
        case .scoped(_, let n): return n.unqualifiedName
        case .template(let n, _): return n.unqualifiedName
        case .suffixed(let n, _): return n.unqualifiedName
        default: return ""
        }
    }

    /// Whether a function of this name has its return type mangled:
    /// templates do, except constructors, destructors and conversions.
    var isTemplate: Bool {
        switch self {
        case .template: return true
        case .suffixed(let n, _): return n.isTemplate
        case .scoped(_, let n): return n.isTemplate
        default: return false
        }
    }
}

extension Node {
    /// A qualifier or declarator applied to a pack applies to each of its types.
    func eachInPack(_ wrap: (Node) -> Node) -> Node {
        if case .pack(let items) = self { return .pack(items.map(wrap)) }
        return wrap(self)
    }

    /// `&` or `&&` of a type, collapsing references as C++ does: `T& &&` is `T&`.
    func referenced(rvalue: Bool) -> Node {
        if case .reference(let inner, let innerRvalue) = self { return .reference(inner, rvalue: rvalue && innerRvalue) }
        return .reference(self, rvalue: rvalue)
    }

    /// `Dp pattern`: the pattern once for each type of the pack inside it.
    func expandingPack() -> Node {
        guard let count = firstPackCount else { return self }
        return .pack((0..<count).map { replacingPacks(with: $0) })
    }

    private var children: [Node] {
        switch self {
        case .name, .literal: return []
        case .scoped(let a, let b), .memberPointer(let a, let b), .encoding(let a, let b): return [a, b]
        case .template(let n, let args): return [n] + args
        case .qualified(let n, _), .pointer(let n), .reference(let n, _), .array(let n, _), .special(_, let n), .suffixed(let n, _): return [n]
        case .function(let r, let p, _): return (r.map { [$0] } ?? []) + p
        case .pack(let items): return items
        }
    }

    private var firstPackCount: Int? {
        if case .pack(let items) = self { return items.count }
        for c in children { if let n = c.firstPackCount { return n } }
        return nil
    }

    private func replacingPacks(with index: Int) -> Node {
        func r(_ n: Node) -> Node { n.replacingPacks(with: index) }
        switch self {
        case .pack(let items): return index < items.count ? items[index] : .name("")
        case .name, .literal: return self
        case .scoped(let a, let b): return .scoped(r(a), r(b))
        case .memberPointer(let a, let b): return .memberPointer(scope: r(a), member: r(b))
        case .encoding(let a, let b): return .encoding(r(a), r(b))
        case .template(let n, let args): return .template(r(n), args.map(r))
        case .qualified(let n, let q): return .qualified(r(n), q)
        case .pointer(let n): return .pointer(r(n))
        case .reference(let n, let rvalue): return r(n).referenced(rvalue: rvalue)
        case .array(let n, let d): return .array(r(n), dimension: d)
        case .special(let p, let n): return .special(p, r(n))
        case .suffixed(let n, let sfx): return .suffixed(r(n), sfx)
        case .function(let ret, let p, let q): return .function(returns: ret.map(r), parameters: p.map(r), qualifiers: q)
        }
    }

    /// The text of a name or of a type with nothing declared.
    var text: String { declaring("") }

    /// A type wrapped around a declarator, as C writes it: the declarator
    /// goes after the base type, and functions and arrays bracket it.
    func declaring(_ inner: String) -> String {
        switch self {
        case .pointer(let t): return t.declaring("*" + inner)
        case .reference(let t, let rvalue): return t.declaring((rvalue ? "&&" : "&") + inner)
        case .qualified(let t, let q): return t.declaring(" " + q + (inner.hasPrefix("(") ? " " : "") + inner)
        case .array(let t, let dimension):
            if inner.hasPrefix(" [") { return t.declaring(" [\(dimension)]" + inner.dropFirst()) }
            return t.declaring((inner.isEmpty ? " " : "(\(inner)) ") + "[\(dimension)]")
        case .function(let returns, let parameters, let qualifiers):
            let call = (inner.isEmpty ? "" : "(\(inner))") + Node.parameterList(parameters) + qualifiers
            guard let returns else { return call }
            switch returns {
            case .function, .array, .memberPointer: return returns.declaring(call)
            default: return returns.text + " " + call  // `void* (*)(int)`
            }
        case .memberPointer(let scope, let member):
            return member.declaring(scope.text + "::*" + inner)
        default:
            let base = plainText
            if inner.isEmpty { return base }
            if inner.hasPrefix("*") || inner.hasPrefix("&") || inner.hasPrefix(" ") { return base + inner }
            return base + " " + inner
        }
    }

    static func parameterList(_ parameters: [Node]) -> String {
        if parameters.count == 1, case .name("void") = parameters[0] { return "()" }
        return "(" + parameters.map(\.text).filter { !$0.isEmpty }.joined(separator: ", ") + ")"
    }

    private var plainText: String {
        switch self {
        case .name(let s), .literal(let s): return s
        case .scoped(let scope, let n): return scope.text + "::" + n.text
        case .template(let n, let args):
            let list = args.map(\.text).filter { !$0.isEmpty }.joined(separator: ", ")
            // `a<b<c> >` and `operator< <int>`, as the C++ runtime's demangler spaces them.
            let name = n.text
            // An empty pack last prints nothing, and then no space either.
            let closesTemplate = args.last?.text.hasSuffix(">") ?? false
            return name + (name.hasSuffix("<") ? " <" : "<") + list + (closesTemplate ? " >" : ">")
        case .pack(let items): return items.map(\.text).filter { !$0.isEmpty }.joined(separator: ", ")
        case .special(let prefix, let n): return prefix + n.text
        case .suffixed(let n, let suffix): return n.text + suffix
        case .encoding(let name, let type):
            guard case .function(let returns, let parameters, let qualifiers) = type else { return name.text }
            let call = name.text + Node.parameterList(parameters) + qualifiers
            return returns.map { $0.declaring(" " + call) } ?? call
        default: return declaring("")
        }
    }
}
