/// Prints a program back as script text that parses to the same tree.
/// Nested operators are parenthesized, so the text does not depend on
/// precedence rules.
public struct Printer {
    private var out = ""
    private var indent = 0

    public static func print(_ program: Program) -> String {
        var p = Printer()
        p.program(program)
        return p.out
    }

    public static func print(_ expr: Expr) -> String {
        var p = Printer()
        p.expr(expr)
        return p.out
    }

    private mutating func line(_ s: String) {
        out += String(repeating: "  ", count: indent) + s + "\n"
    }

    private mutating func program(_ p: Program) {
        for item in p.preamble {
            switch item {
            case .preprocessor(let text, _): line(text)
            case .cDefinition(let text, _): line(text + ";")
            case .import(let path, _): line("import " + Printer.quote(Array(path.utf8)) + ";")
            case .config(let assignments, _):
                line("config = {")
                indent += 1
                for a in assignments { line("\(a.name) = \(Printer.print(a.value));") }
                indent -= 1
                line("}")
            case .mapDeclaration(let d):
                line("let @\(d.name) = \(d.kind)(\(d.arguments.map { Printer.print($0) }.joined(separator: ", ")));")
            case .macro(let m):
                let params = m.parameters.map { p in
                    switch p { case .variable(let v): "$" + v; case .map(let n): "@" + n; case .expression(let i): i }
                }
                out += "macro \(m.name)(\(params.joined(separator: ", "))) "
                block(m.body)
                out += "\n"
            case .function(let f):
                let params = f.parameters.map { "$\($0.0): \(Printer.type($0.1))" }
                out += "fn \(f.name)(\(params.joined(separator: ", "))): \(Printer.type(f.returnType)) "
                block(f.body)
                out += "\n"
            }
        }
        for probe in p.probes {
            out += probe.attachPoints.map(\.raw).joined(separator: ", ")
            if let pred = probe.predicate { out += " /\(Printer.print(pred))/" }
            out += " "
            block(probe.body)
            out += "\n"
        }
    }

    private mutating func block(_ b: Block) {
        out += "{\n"
        indent += 1
        for (i, s) in b.statements.enumerated() {
            let last = i == b.statements.count - 1
            statement(s, semicolon: !(last && !b.endsWithSemicolon))
        }
        indent -= 1
        out += String(repeating: "  ", count: indent) + "}"
    }

    private mutating func statement(_ s: Stmt, semicolon: Bool) {
        let end = semicolon ? ";" : ""
        out += String(repeating: "  ", count: indent)
        switch s.kind {
        case .expr(let e): expr(e); out += end
        case .assign(let target, let op, let value):
            expr(target)
            out += " \(op?.rawValue ?? "")= "
            expr(value)
            out += end
        case .declare(let name, let type, let value):
            out += "let $\(name)"
            if let type { out += ": " + Printer.type(type) }
            if let value { out += " = "; expr(value) }
            out += end
        case .ifElse:
            ifChain(s)
        case .whileLoop(let cond, let body):
            out += "while ("; expr(cond); out += ") "; block(body)
        case .unroll(let count, let body):
            out += "unroll ("; expr(count); out += ") "; block(body)
        case .forMap(let v, let map, let body):
            out += "for ($\(v) : "; expr(map); out += ") "; block(body)
        case .forRange(let v, let a, let b, let body):
            out += "for ($\(v) : "; expr(a); out += " .. "; expr(b); out += ") "; block(body)
        case .jump(let kind, let value):
            out += kind.rawValue
            if let value { out += " "; expr(value) }
            out += end
        case .block(let b):
            block(b)
        }
        out += "\n"
    }

    private mutating func ifChain(_ s: Stmt) {
        guard case .ifElse(let cond, let then, let otherwise) = s.kind else { return }
        out += "if ("; expr(cond); out += ") "; block(then)
        guard let otherwise else { return }
        out += " else "
        if case .ifElse = otherwise.kind {
            ifChain(otherwise)
        } else if case .block(let b) = otherwise.kind {
            block(b)
        }
    }

    private mutating func expr(_ e: Expr) {
        switch e.kind {
        case .integer(let v): out += String(v)
        case .string(let s): out += Printer.quote(s)
        case .bool(let b): out += b ? "true" : "false"
        case .identifier(let n): out += n
        case .variable(let n): out += "$" + n
        case .positional(let n): out += "$\(n)"
        case .paramCount: out += "$#"
        case .map(let name, let keys):
            out += "@" + name
            if !keys.isEmpty { out += "["; list(keys); out += "]" }
        case .call(let name, let args):
            out += name + "("; list(args); out += ")"
        case .unary(let op, let operand):
            out += op.rawValue
            operandOf(operand)
        case .binary(let op, let l, let r):
            operandOf(l); out += " \(op.rawValue) "; operandOf(r)
        case .ternary(let c, let a, let b):
            operandOf(c)
            if let a { out += " ? "; operandOf(a); out += " : " } else { out += " ?: " }
            operandOf(b)
        case .ifExpr(let s):
            let saved = indent
            ifChain(s)
            indent = saved
        case .cast(let t, let operand):
            out += "(\(Printer.type(t)))"
            operandOf(operand)
        case .field(let base, let name, let arrow):
            operandOf(base); out += (arrow ? "->" : ".") + name
        case .tupleIndex(let base, let i):
            operandOf(base); out += ".\(i)"
        case .index(let base, let i):
            operandOf(base); out += "["; expr(i); out += "]"
        case .tuple(let elements):
            out += "("; list(elements)
            if elements.count == 1 { out += "," }
            out += ")"
        case .record(let fields):
            out += "("
            for (i, f) in fields.enumerated() {
                if i > 0 { out += ", " }
                out += f.0 + "="; expr(f.1)
            }
            out += ")"
        case .increment(let operand, let up, let prefix):
            if prefix { out += up ? "++" : "--" }
            operandOf(operand)
            if !prefix { out += up ? "++" : "--" }
        case .sizeofType(let t): out += "sizeof(\(Printer.type(t)))"
        case .sizeofExpr(let inner): out += "sizeof("; expr(inner); out += ")"
        case .offsetof(let t, let path): out += "offsetof(\(Printer.type(t)), \(path.joined(separator: ".")))"
        case .block(let b):
            let saved = indent
            block(b)
            indent = saved
        case .type(let t): out += Printer.type(t)
        }
    }

    /// Parenthesizes anything that is not already a primary expression.
    private mutating func operandOf(_ e: Expr) {
        switch e.kind {
        case .binary, .ternary, .unary, .cast, .increment, .ifExpr:
            out += "("; expr(e); out += ")"
        default:
            expr(e)
        }
    }

    private mutating func list(_ es: [Expr]) {
        for (i, e) in es.enumerated() {
            if i > 0 { out += ", " }
            expr(e)
        }
    }

    static func type(_ t: TypeExpr) -> String {
        switch t {
        case .named(let n): n
        case .sized(let n, let size): "\(n)[\(size)]"
        case .tagged(let tag, let name): "\(tag) \(name)"
        case .pointer(let inner): type(inner) + " *"
        case .array(let inner, let n): type(inner) + "[\(n.map(String.init) ?? "")]"
        case .typeOf(let e):
            if case .type(let inner) = e.kind { "typeof(\(type(inner)))" } else { "typeof(\(print(e)))" }
        }
    }

    /// A string literal that lexes back to exactly `bytes`.
    static func quote(_ bytes: [UInt8]) -> String {
        var s = "\""
        for b in bytes {
            switch b {
            case 10: s += "\\n"
            case 9: s += "\\t"
            case 13: s += "\\r"
            case UInt8(ascii: "\""): s += "\\\""
            case UInt8(ascii: "\\"): s += "\\\\"
            case 32..<127: s.append(Character(UnicodeScalar(b)))
            default:
                let h = String(b, radix: 16)
                s += "\\x" + (h.count == 1 ? "0" + h : h)
            }
        }
        return s + "\""
    }
}
