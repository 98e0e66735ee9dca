/// bpftrace's newer stdlib functions: strstr, memcmp, find, strcap,
/// default_str_length, fail, syscall_name.
extension Sema {
    static let newerStdlib: Set<String> = ["strstr", "memcmp", "find", "strcap", "default_str_length", "fail", "syscall_name"]

    func stdlibCall(_ e: Expr, _ name: String, _ args: [Expr], statement: Bool) -> SType {
        func arity(_ n: Int) -> Bool {
            guard args.count == n else {
                error("\(name)() takes \(n) argument\(n == 1 ? "" : "s"), not \(args.count)", e.range)
                for a in args { expr(a) }
                return false
            }
            return true
        }
        func stringLike(_ a: Expr) {
            let t = expr(a)
            if !t.isString && t != .unknown && !isCharArray(t) { error("\(name)() needs strings, not \(t)", a.range) }
        }
        switch name {
        case "strstr":
            guard arity(2) else { return .i64 }
            stringLike(args[0]); stringLike(args[1])
            return .i64
        case "memcmp":
            guard arity(3) else { return .i64 }
            var sizes: [Int] = []
            for a in args.prefix(2) {
                let t = expr(a)
                switch t {
                case .string(let n): sizes.append(n)
                case .array(let elem, let n) where elem == .i8 || elem == .u8: sizes.append(n)
                case .buffer, .array, .record, .tuple, .cType, .unknown: break
                default: error("memcmp() compares values held in memory (strings, arrays, buffers, structs), not \(t)", a.range)
                }
            }
            let count = expr(args[2])
            if !count.isInteger && count != .unknown { error("memcmp() needs an integer count, not \(count)", args[2].range) }
            if let n = args[2].foldedConstant {
                if n < 0 { error("memcmp() needs a count of at least 0", args[2].range) }
                if let smallest = sizes.min(), sizes.count == 2, n > smallest {
                    error("memcmp() would read \(n) bytes of a value that holds \(smallest)", args[2].range)
                }
            } else if reporting && count != .unknown {
                error("memcmp() needs a constant count, e.g. memcmp($a, $b, 8)", args[2].range)
            }
            return .i64
        case "find":
            // find(@m, key, $v): one lookup; $v takes the value when the key is there.
            // A later pass sees the call rewritten with its map read as a fourth argument.
            guard args.count == 4 || arity(3) else { return .bool }
            guard case .map(let m, let keys) = args[0].kind, keys.isEmpty else {
                error("find() needs a map, e.g. find(@m, key, $v)", args[0].range)
                return .bool
            }
            args[0].type = .map
            if keylessMaps.contains(m) {
                error("call to find() expects a map with explicit keys (non-scalar map)", e.range)
                return .bool
            }
            guard case .variable = args[2].kind else {
                error("find() stores the value in a variable, e.g. find(@m, key, $v)", args[2].range)
                return .bool
            }
            noteMapKey(m, keyType([args[1]]), args[1].range)
            let read = args.count == 4 ? args[3] : Expr(.map(m, keys: [args[1]]), args[0].range.to(args[1].range))
            assign(args[2], nil, read, e.range)
            e.kind = .call("find", [args[0], args[1], args[2], read])
            return .bool
        case "strcap":
            guard arity(1) else { return .i64 }
            let t = expr(args[0])
            if !t.isString && !isCharArray(t) && !t.isPointer && t != .unknown { error("strcap() needs a string, not \(t)", args[0].range) }
            return .i64
        case "default_str_length":
            guard arity(0) else { return .i64 }
            return .i64
        case "fail":
            // Checked when the program is generated: a fail() that no path reaches is no error.
            guard args.count >= 1 else { return arity(1) ? .void : .void }
            guard let fmt = args[0].literalString else {
                error("fail() takes its message as a string literal", args[0].range)
                return .void
            }
            args[0].type = .string(fmt.count + 1)
            for a in args.dropFirst() {
                expr(a)
                let parameter: Bool = { if case .positional = a.kind { true } else { false } }()
                if a.literalString == nil && a.foldedConstant == nil && !parameter { error("fail() formats its message while compiling: its arguments must be literals", a.range) }
            }
            if !statement { error("fail() returns no value; use it as a statement", e.range) }
            return .void
        case "syscall_name":
            guard arity(1) else { return .syscallName }
            let t = expr(args[0])
            if !t.isInteger && t != .unknown { error("syscall_name() needs a system call number, not \(t)", args[0].range) }
            return .syscallName
        default:
            return .unknown
        }
    }
}
