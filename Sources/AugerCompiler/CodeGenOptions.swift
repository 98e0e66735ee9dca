import AugerScript
import BPF

/// getopt(name[, default[, description]]): the value from `-- --name=value`
/// on the command line, known when compiling, so it becomes a constant.
extension ProbeCodeGen {
    /// The option's text from the command line, or nil when not given.
    func optionText(_ args: [Expr], _ e: Expr) throws(CompileError) -> String? {
        guard case .string(let bytes) = args[0].kind else { throw CompileError(message: "getopt() needs a literal name", range: e.range) }
        let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        var description = ""
        if args.count == 3, case .string(let d) = args[2].kind { description = String(decoding: d.prefix { $0 != 0 }, as: UTF8.self) }
        compiler.options[name] = description
        return compiler.named[name]
    }

    /// r0 = an integer or bool option.
    func scalarOption(_ args: [Expr], _ e: Expr) throws(CompileError) {
        let text = try optionText(args, e)
        let name = args[0]
        if e.type == .bool || args.count < 2 {
            guard let text else {
                if args.count >= 2 { try scalar(args[1]) } else { constant(0) }
                return
            }
            switch text.lowercased() {
            case "", "true", "1", "yes": constant(1)
            case "false", "0", "no": constant(0)
            default: throw CompileError(message: "program command line option --\(optionName(name)) invalid boolean (value: \(text))", range: e.range, fromCommandLine: true)
            }
            return
        }
        guard let text else { try scalar(args[1]); return }
        guard let value = PositionalParameter.integer(text) else {
            throw CompileError(message: "program command line option --\(optionName(name)) invalid integer (value: \(text))", range: e.range, fromCommandLine: true)
        }
        constant(value)
    }

    /// A string option, written to scratch.
    func placeOption(_ args: [Expr], at off: Int, size: Int, _ e: Expr) throws(CompileError) {
        if let text = try optionText(args, e) {
            writeBytes(Array(text.utf8), at: off, size: size)
        } else if args.count >= 2 {
            try place(args[1], .string(size), at: off)
        } else {
            zero(off, size)
        }
    }

    func optionName(_ e: Expr) -> String {
        if case .string(let bytes) = e.kind { return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
        return "?"
    }
}
