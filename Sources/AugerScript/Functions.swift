/// Tables of bpftrace's functions.
public enum Functions {
    /// Functions whose result is their only effect: discarding it is a mistake.
    static let pure: Set<String> = [
        "str", "buf", "ksym", "usym", "kaddr", "uaddr", "reg", "ntop", "pton", "cgroupid", "macaddr", "strftime",
        "path", "strncmp", "strcontains", "has_key", "len", "strerror", "bswap", "kptr", "uptr", "sizeof", "strlen",
        "is_integer", "is_unsigned_integer", "is_str", "is_ptr", "is_array", "is_literal", "kfunc_exist",
        "strstr", "memcmp", "strcap", "default_str_length", "syscall_name",
    ]

    /// Builtins that may also be called as functions with no arguments, and
    /// names that act as values without parentheses.
    /// Room for a getopt() string value.
    public static let getoptStrlen = 256

    static let zeroArgument: Set<String> = ["kstack", "ustack", "username", "cgroup"]
    /// Functions whose arguments are all optional, called without parentheses
    /// as bpftrace 0.24+ allows (`ppid` is `ppid()`).
    static let callableBare: Set<String> = ["ppid", "pcomm", "leader_tid", "leader_comm", "has_cpid", "default_str_length"]

    static func zeroArgumentType(_ name: String) -> SType {
        switch name {
        case "kstack": .kstack(.whole)
        case "ustack": .ustack(.whole)
        case "username": .username
        default: .u64
        }
    }

    /// Functions of bpftrace's standard library written in its own language;
    /// Auger accepts them and resolves them when it has the library.
    static let library: Set<String> = [
        "strlen", "signal_name", "first_key", "is_err", "container_of", "assert", "assert_str", "fail",
        "ppid", "pcomm", "leader_tid", "leader_comm", "write_user", "errorf", "warnf", "aligned", "ident", "get", "bad", "early",
    ]

    /// Default size of strings read with str(), buf() and path().
    public static let maxStrlen = 1024
}

extension Sema {
    func call(_ e: Expr, _ written: String, _ args: [Expr], statement: Bool) -> SType {
        if let f = userFunctions[written] { return userCall(e, f, args, statement: statement) }
        let name = written.hasPrefix("__builtin_") ? String(written.dropFirst(10)) : written
        if let f = currentFunction, Self.probeContextBuiltins.contains(name) {
            for a in args { expr(a) }
            error("\(name)() reads the probe's event and function '\(f.name)' has no probe: pass what it needs in as a parameter", e.range)
            return .unknown
        }
        func arity(_ r: ClosedRange<Int>) -> Bool {
            guard r.contains(args.count) else {
                let want = r.count == 1 ? "\(r.lowerBound)" : r.upperBound == Int.max ? "at least \(r.lowerBound)"
                    : r.lowerBound == 0 ? "at most \(r.upperBound)" : "\(r.lowerBound) to \(r.upperBound)"
                let plural = (r.count == 1 ? r.lowerBound : r.upperBound == Int.max ? r.lowerBound : r.upperBound) == 1 ? "" : "s"
                error("\(name)() takes \(want) argument\(plural), not \(args.count)", e.range)
                for a in args { expr(a) }
                return false
            }
            return true
        }
        func voidOnly() -> SType {
            if !statement { error("\(name)() returns no value; use it as a statement", e.range) }
            return .void
        }
        func stringLiteral(_ i: Int, _ what: String) -> [UInt8]? {
            guard i < args.count else { return nil }
            // A positional parameter ($1 or str($1)) is a literal once the command line is known.
            var p = args[i]
            if case .call("str", let inner) = p.kind, inner.count == 1 { p = inner[0] }
            if case .positional(let n) = p.kind, let params = positional, n >= 1, n <= params.count {
                args[i].kind = .string(Array(params[n - 1].utf8))
            }
            guard let s = args[i].literalString else {
                if case .positional = args[i].kind { return nil }
                error("\(name)() takes \(what) as a string literal", args[i].range)
                return nil
            }
            args[i].type = .string(s.count + 1)
            return s
        }
        func integer(_ i: Int) {
            guard i < args.count else { return }
            let t = expr(args[i])
            if !t.isInteger && t != .bool && t != .unknown && !t.isPointer {
                error("\(name)() needs an integer for argument \(i + 1), not \(t)", args[i].range)
            }
        }
        func mapArgument(_ i: Int, allowKeys: Bool = false) -> String? {
            guard i < args.count, case .map(let m, let keys) = args[i].kind, allowKeys || keys.isEmpty else {
                if i < args.count { error("\(name)() needs a map, e.g. \(name)(@m)", args[i].range) }
                return nil
            }
            args[i].type = .map
            if maps[m] == nil { _ = info(m, args[i].range) }
            return m
        }

        if Aggregate(rawValue: name) != nil {
            for a in args { expr(a) }
            error("\(name)() must be assigned directly to a map, e.g. @x = \(name)(\(name == "count" ? "" : "…"))", e.range)
            return .unknown
        }
        if name == "comm" && (args.count == 1 || args.count == 2) {
            // comm(pid): the task's name, through bpf_task_from_pid. Where
            // task_struct keeps it (BTF) rides along as a second argument.
            if args.count == 1 {
                integer(0)
                let offset = provider?.structField("struct task_struct", "comm")?.byteOffset ?? -1
                e.kind = .call(written, [args[0], Expr(.integer(UInt64(bitPattern: Int64(offset))), args[0].range)])
            }
            return .string(16)
        }
        if args.isEmpty, let t = Builtins.type(of: name), name != "args" {
            return identifier(name, e.range) == .unknown ? .unknown : t
        }

        switch name {
        case "printf", "system", "cat", "errorf", "warnf", "debugf":
            guard arity(1...Int.max) else { return .void }
            if let fmt = stringLiteral(0, "its format") { checkFormat(name, fmt, Array(args.dropFirst()), e) } else { for a in args.dropFirst() { expr(a) } }
            return name == "system" || name == "printf" || name == "cat" ? voidOnly() : .void
        case "print":
            guard arity(1...3) else { return .void }
            if case .map(let m, let keys) = args[0].kind, keys.isEmpty {
                args[0].type = .map
                if maps[m] == nil { _ = info(m, args[0].range) }
                integer(1); integer(2)
            } else {
                let t = expr(args[0])
                if args.count > 1 { error("print() takes extra arguments only for a whole map, e.g. print(@m, 10)", args[1].range) }
                if t == .void { error("print() needs a value", args[0].range) }
            }
            return voidOnly()
        case "clear", "zero":
            guard arity(1...1) else { return .void }
            _ = mapArgument(0)
            return voidOnly()
        case "delete":
            guard arity(1...2) else { return .void }
            if args.count == 1 {
                guard case .map(let m, let keys) = args[0].kind else {
                    error("delete() needs a map element, e.g. delete(@m[key]) or delete(@m, key)", args[0].range)
                    return .void
                }
                noteMapKey(m, keyType(keys), args[0].range)
                args[0].type = .map
            } else if let m = mapArgument(0) {
                noteMapKey(m, keyType([args[1]]), args[1].range)
            }
            return .bool // whether an element was deleted
        case "exit":
            guard arity(0...1) else { return .void }
            integer(0)
            return voidOnly()
        case "has_key":
            guard arity(2...2), let m = mapArgument(0) else { return .bool }
            if keylessMaps.contains(m) {
                error("call to has_key() expects a map with explicit keys (non-scalar map)", e.range)
                return .bool
            }
            noteMapKey(m, keyType([args[1]]), args[1].range)
            return .bool
        case "len":
            guard arity(1...1) else { return .i64 }
            if case .map = args[0].kind { _ = mapArgument(0) } else {
                let t = expr(args[0])
                if !t.isStack && t != .unknown { error("len() needs a map or a stack, not \(t)", args[0].range) }
            }
            return .i64
        case "str":
            guard arity(1...2) else { return .string(maxStrlen) }
            let t = expr(args[0])
            if !(t.isInteger || t.isPointer || t.isString || t == .unknown || isCharArray(t)) { error("str() needs a pointer or an integer address, not \(t)", args[0].range) }
            integer(1)
            // str(p, n): at most n bytes with the NUL, so n - 1 characters, as bpftrace reads.
            if args.count == 2, let n = args[1].constantValue, n > 0 { return .string(Int(min(n, Int64(maxStrlen)))) }
            // max_strlen characters, one more to tell a string cut short (it prints
            // with str_trunc_trailer instead) from one of exactly that length, and the NUL.
            return .string(maxStrlen + 2)
        case "buf":
            guard arity(1...2) else { return .buffer(maxStrlen) }
            expr(args[0]); integer(1)
            if args.count == 2, let n = args[1].constantValue, n > 0 { return .buffer(Int(min(n, Int64(maxStrlen)))) }
            return .buffer(maxStrlen)
        case "path":
            guard arity(1...2) else { return .string(maxStrlen) }
            expr(args[0]); integer(1)
            if args.count == 2 {
                guard let n = args[1].constantValue, n > 0 else {
                    error("path() takes a constant size, e.g. path(p, 64)", args[1].range)
                    return .string(maxStrlen)
                }
                return .string(Int(min(n, Int64(maxStrlen))))
            }
            return .string(maxStrlen)
        case "ksym", "usym":
            guard arity(1...1) else { return .ksym }
            integer(0)
            return name == "ksym" ? .ksym : .usym
        case "kaddr", "uaddr", "reg", "cgroupid":
            guard arity(1...1) else { return .u64 }
            _ = stringLiteral(0, name == "reg" ? "a register name" : name == "cgroupid" ? "a path" : "a symbol name")
            if name == "reg", case .string(let s) = args[0].kind, !Self.registers.contains(String(decoding: s, as: UTF8.self)) {
                error("'\(String(decoding: s, as: UTF8.self))' is not a register of this architecture", args[0].range)
            }
            if name == "uaddr", case .string(let s) = args[0].kind {
                // As bpftrace: a pointer to an integer of the variable's size (1, 2, 4 or 8 bytes).
                let symbol = String(decoding: s.prefix { $0 != 0 }, as: UTF8.self)
                let binaries = attachPoints.filter { $0.kind.tracesUserSpace && $0.parts.count >= 2 }.map { $0.parts[0] }
                let size = binaries.lazy.compactMap { self.provider?.userSymbolSize(symbol, inBinary: $0) }.first
                if let size, [1, 2, 4, 8].contains(size) { return .pointer(.integer(bits: size * 8, signed: false)) }
                return .pointer(.u64)
            }
            return name == "uaddr" ? .pointer(.u8) : .u64
        case "ntop":
            guard arity(1...2) else { return .inet }
            for a in args { expr(a) }
            return .inet
        case "pton":
            guard arity(1...1) else { return .array(.u8, 4) }
            guard let s = stringLiteral(0, "an address") else { return .array(.u8, 4) }
            return .array(.u8, s.contains(UInt8(ascii: ":")) ? 16 : 4)
        case "macaddr":
            guard arity(1...1) else { return .macaddr }
            expr(args[0])
            return .macaddr
        case "kstack", "ustack":
            let whole: SType = name == "kstack" ? .kstack(.whole) : .ustack(.whole)
            guard arity(0...2) else { return whole }
            var format = StackFormat.whole
            for (i, a) in args.enumerated() {
                if case .identifier(let written) = a.kind, i == 0 {
                    if let mode = StackMode(rawValue: written) { format.mode = mode } else {
                        error("unknown stack mode '\(written)': use bpftrace, perf, raw or build_id", a.range)
                    }
                    a.type = .typeValue
                } else {
                    integer(i)
                    // A depth from the command line ($1) is a constant too, once it is known.
                    var constant = a.foldedConstant
                    if case .positional(let n) = a.kind, let given = positional {
                        constant = n <= given.count ? Int64(given[n - 1]) : 0
                        if constant == nil { error("\(name)()'s depth $\(n) is not a number: '\(given[n - 1])'", a.range) }
                    } else if case .positional = a.kind { constant = 0 }
                    // Stacks hold at most PERF_MAX_STACK_DEPTH (127) frames.
                    if let depth = constant, !(0...127).contains(depth) {
                        error("\(name)() takes a depth from 0 to 127 frames, not \(depth)", a.range)
                    } else if let depth = constant {
                        format.limit = Int(depth)
                    } else {
                        error("\(name)()'s depth must be a constant", a.range)
                    }
                }
            }
            return name == "kstack" ? .kstack(format) : .ustack(format)
        case "strftime":
            guard arity(2...2) else { return .timestamp }
            _ = stringLiteral(0, "its format")
            integer(1)
            return .timestamp
        case "time":
            guard arity(0...1) else { return .void }
            _ = stringLiteral(0, "its format")
            return voidOnly()
        case "join":
            guard arity(1...2) else { return .void }
            switch expr(args[0]) {
            case .pointer, .unknown, .integer(64, _) where !args[0].isIntegerLiteral: break
            case let t: error("join() takes an array of strings (char **, such as args.argv), not \(t)", args[0].range)
            }
            _ = stringLiteral(1, "the separator")
            return voidOnly()
        case "strncmp":
            guard arity(3...3) else { return .u64 }
            expr(args[0]); expr(args[1]); integer(2)
            return .u64
        case "strcontains":
            guard arity(2...2) else { return .bool }
            for a in args {
                let t = expr(a)
                if !t.isString && t != .unknown && !isCharArray(t) { error("strcontains() needs strings, not \(t)", a.range) }
            }
            return .bool
        case "is_integer", "is_unsigned_integer", "is_str", "is_ptr", "is_array", "is_literal":
            // Answered at compile time from the argument's type; the argument is not evaluated.
            guard arity(1...1) else { return .bool }
            let t = expr(args[0])
            let answer: Bool
            switch (name, t) {
            case ("is_integer", _): answer = t.isInteger
            case ("is_unsigned_integer", .integer(_, false)): answer = true
            case ("is_str", _): answer = t.isString
            case ("is_ptr", _): answer = t.isPointer
            case ("is_array", .array): answer = true
            case ("is_literal", _):
                switch args[0].kind {
                case .integer, .string, .bool: answer = true
                case .unary(.negate, let x): if case .integer = x.kind { answer = true } else { answer = false }
                default: answer = false
                }
            default: answer = false
            }
            e.kind = .bool(answer)
            return .bool
        case "kfunc_exist":
            // Answered while compiling, from the kernel's BTF.
            guard arity(1...1), let s = stringLiteral(0, "a kfunc's name") else { return .bool }
            e.kind = .bool(provider?.isKfunc(String(decoding: s.prefix { $0 != 0 }, as: UTF8.self)) ?? false)
            return .bool
        case "static_assert":
            // Checked while compiling: the condition must be known then.
            guard arity(2...2), let message = args[1].literalString else {
                if args.count == 2 { error("static_assert() takes a condition and a message string literal", e.range) }
                return .void
            }
            expr(args[0])
            guard let value = args[0].foldedConstant else {
                error("static_assert()'s condition must be known at compile time", args[0].range)
                return .void
            }
            if value == 0 { error("static_assert failed: \(String(decoding: message, as: UTF8.self))", e.range) }
            return .void  // nothing to run
        case "strerror":
            guard arity(1...1) else { return .strerror }
            integer(0)
            return .strerror
        case "has_cpid":
            // Whether there is a -c command: cpid is 0 without one.
            guard arity(0...0) else { return .bool }
            e.kind = .binary(.ne, Expr(.identifier("cpid"), e.range), Expr(.integer(0), e.range))
            return expr(e, statement: statement)
        case "ppid", "pcomm", "leader_tid", "leader_comm":
            // bpftrace's stdlib, of the given task or the current one: the
            // parent process's id and name (task->real_parent->tgid, ->comm),
            // the thread group leader's id and name (task->group_leader->pid, ->comm).
            let isName = name.hasSuffix("comm")
            guard arity(0...1) else { return isName ? .string(16) : .i32 }
            let given = args.first ?? Expr(.identifier("curtask"), e.range)
            let task = Expr(.cast(.pointer(.tagged("struct", "task_struct")), given), given.range)
            let link = Expr(.field(task, name.hasPrefix("leader") ? "group_leader" : "real_parent", arrow: true), e.range)
            e.kind = .field(link, isName ? "comm" : name == "ppid" ? "tgid" : "pid", arrow: true)
            return expr(e, statement: statement)
        case "assert":
            // bpftrace's stdlib: assert(cond, "message") stops the script with exit code 1.
            guard arity(2...2), statement, let message = args[1].literalString else {
                if args.count == 2 && statement { error("assert() takes a condition and a message string literal", e.range) }
                else if !statement { error("assert() is a statement", e.range) }
                return .void
            }
            let failed = Expr(.unary(.not, args[0]), args[0].range)
            let literal = message.flatMap { $0 == UInt8(ascii: "%") ? [$0, $0] : [$0] }  // printed as it is
            let report = Expr(.call("errorf", [Expr(.string(Array("assert failed: ".utf8) + literal), args[1].range)]), e.range)
            let stop = Expr(.call("exit", [Expr(.integer(1), e.range)]), e.range)
            let then = Block([Stmt(.expr(report), e.range), Stmt(.expr(stop), e.range)], e.range)
            e.kind = .block(Block([Stmt(.ifElse(failed, then, nil), e.range)], e.range))
            return expr(e, statement: statement)
        case "is_err":
            // bpftrace's stdlib: a pointer that carries an error (the last 4095 values).
            guard arity(1...1) else { return .bool }
            let asU64 = { (x: Expr) in Expr(.cast(.named("uint64"), x), x.range) }
            let limit = Expr(.unary(.negate, Expr(.integer(4095), e.range)), e.range)
            e.kind = .binary(.ge, asU64(args[0]), asU64(limit))
            return expr(e, statement: statement)
        case "container_of":
            // container_of(ptr, typeof(struct T), member): the struct that holds *ptr at member.
            guard arity(3...3) else { return .unknown }
            guard case .type(let t) = args[1].kind, case .identifier(let member) = args[2].kind else {
                error("container_of() takes a pointer, a type and a member name, e.g. container_of($p, typeof(struct foo), list)", e.range)
                return .unknown
            }
            let base = Expr(.cast(.named("uint64"), args[0]), args[0].range)
            let offset = Expr(.offsetof(t, [member]), args[2].range)
            e.kind = .cast(.pointer(t), Expr(.binary(.sub, base, offset), e.range))
            return expr(e, statement: statement)
        case "signal_name":
            guard arity(1...1) else { return .signalName }
            integer(0)
            return .signalName
        case "signal", "signal_thread":
            // bpf_send_signal(_thread): to the process (or thread) the probe fired in.
            guard arity(1...1) else { return .void }
            if let bytes = args[0].literalString {
                let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                if let n = SignalNumbers.number(text) {
                    args[0].kind = .integer(UInt64(n))
                    args[0].type = .u32
                } else {
                    error("\(name)(): '\(text)' is not a signal; use a name such as SIGKILL or a number such as 9", args[0].range)
                }
            } else {
                integer(0)
                if let n = args[0].foldedConstant, n < 1 || n > 64 { error("\(name)(): \(n) is not a signal number (1 to 64)", args[0].range) }
            }
            for kind in kinds where kind.runsInAuger {
                error("\(name)() would signal Auger itself in \(kind.name) probes", e.range)
                break
            }
            return voidOnly()
        case "override", "unwatch":
            guard arity(1...1) else { return .void }
            integer(0)
            return voidOnly()
        case "bswap", "kptr", "uptr":
            guard arity(1...1) else { return .unknown }
            return expr(args[0])
        case "percpu_kaddr":
            // The address of a per-CPU variable (this CPU's, or `cpu`'s): a pointer to its type.
            guard arity(1...2) else { return .u64 }
            let symbol = stringLiteral(0, "a symbol name").map { String(decoding: $0, as: UTF8.self) }
            integer(1)
            guard let symbol, let provider else { return .pointer(.u64) }
            guard let variable = provider.kernelVariable(symbol) else {
                if provider.knowsStruct("struct task_struct") { // the kernel's BTF is there, without it
                    error("cannot find the per-CPU variable '\(symbol)': it must be in the kernel's BTF and in /proc/kallsyms (which lists data symbols only with CONFIG_KALLSYMS_ALL)", e.range)
                }
                return .pointer(.u64)
            }
            percpuVariables[symbol] = variable.btfID
            return .pointer(variable.type == .unknown ? .u64 : variable.type)
        case "cgroup_path":
            guard arity(1...2) else { return .cgroupPath }
            integer(0)
            _ = stringLiteral(1, "a hierarchy filter")
            return .cgroupPath
        case "skboutput":
            guard arity(4...4) else { return .u32 }
            for a in args { expr(a) }
            return .u32
        case "socket_cookie":
            guard arity(1...1) else { return .u64 }
            expr(args[0])
            return .u64
        case "nsecs":
            guard arity(0...1) else { return .u64 }
            if let a = args.first {
                guard case .identifier(let clock) = a.kind, ["boot", "monotonic", "tai", "sw_tai"].contains(clock) else {
                    error("nsecs() takes a clock: boot, monotonic, tai or sw_tai", a.range)
                    return .u64
                }
                a.type = .typeValue
            }
            return .u64
        case "pid", "tid":
            guard arity(0...1) else { return .u32 }
            if let a = args.first {
                guard case .identifier(let ns) = a.kind, ["curr_ns", "init"].contains(ns) else {
                    error("\(name)() takes a namespace: curr_ns or init", a.range)
                    return .u32
                }
                a.type = .typeValue
            }
            return .u32
        case "getopt":
            guard arity(1...3) else { return .unknown }
            _ = stringLiteral(0, "the option name")
            if args.count == 3 { _ = stringLiteral(2, "the description") }
            guard args.count >= 2 else { return .bool }
            let t = expr(args[1])
            // The value comes from the command line: room for any number or a longer string.
            if case .integer = t { return args[1].isIntegerLiteral && !(args[1].constantValue.map { $0 < 0 } ?? false) ? .u64 : .i64 }
            if case .string = t { return .string(Functions.getoptStrlen) }
            return t
        case "config":
            return .unknown
        case _ where Self.newerStdlib.contains(name):
            return stdlibCall(e, name, args, statement: statement)
        default:
            if Functions.library.contains(name) || macroNames.contains(name) || hasImports {
                for a in args { expr(a) }
                return .unknown
            }
            for a in args { expr(a) }
            error("unknown function '\(written)'", e.range)
            return .unknown
        }
    }

    func isCharArray(_ t: SType) -> Bool {
        if case .array(let elem, _) = t, elem == .i8 || elem == .u8 { return true }
        return false
    }

    static let registers: Set<String> = [
        "ip", "pc", "sp", "bp", "ax", "bx", "cx", "dx", "si", "di", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
        "flags", "cs", "ss", "orig_ax",
    ]

    /// Checks a printf-style format against its arguments.
    func checkFormat(_ function: String, _ format: [UInt8], _ args: [Expr], _ call: Expr) {
        let types = args.map { expr($0) }
        let parsed: FormatString
        do { parsed = try FormatString(format) } catch {
            self.error("\(function): \(error.message)", call.range)
            return
        }
        let conversions = parsed.conversions
        if conversions.count < args.count {
            error("\(function): too many arguments for the format string (\(conversions.count) conversion\(conversions.count == 1 ? "" : "s"), \(args.count) argument\(args.count == 1 ? "" : "s"))", call.range)
        } else if conversions.count > args.count {
            error("\(function): not enough arguments for the format string (\(conversions.count) conversion\(conversions.count == 1 ? "" : "s"), \(args.count) argument\(args.count == 1 ? "" : "s"))", call.range)
        }
        for (c, (a, t)) in zip(conversions, zip(args, types)) {
            if t == .unknown { continue }
            let ok: Bool
            switch c.takes {
            case .integer, .character: ok = t.isInteger || t == .bool || t.isPointer || t == .ksym || t == .usym
            case .pointer: ok = t.isInteger || t.isPointer
            case .string: ok = true // every value has a text form
            case .buffer: if case .buffer = t { ok = true } else { ok = false }
            }
            if !ok {
                error("\(function): %\(c.specifier) needs \(c.takes == .buffer ? "a buffer from buf()" : "an integer"), but this argument is \(t)", a.range)
            }
            if t == .void { error("\(function): this argument has no value", a.range) }
        }
    }

    /// The checker's type for a written type.
    func resolve(_ t: TypeExpr, at range: SourceRange) -> SType {
        switch t {
        case .named(let n):
            switch n {
            case "bool": return .bool
            case "int8", "int8_t", "s8", "__s8", "signed char": return .i8
            case "int16", "int16_t", "s16", "__s16", "short", "signed short", "short int": return .i16
            case "int32", "int32_t", "s32", "__s32", "int", "signed", "signed int", "pid_t": return .i32
            case "int64", "int64_t", "s64", "__s64", "long", "long long", "signed long", "long int", "ssize_t", "loff_t": return .i64
            case "uint8", "uint8_t", "u8", "__u8", "unsigned char", "char": return n == "char" ? .i8 : .u8
            case "uint16", "uint16_t", "u16", "__u16", "unsigned short", "umode_t": return .u16
            case "uint32", "uint32_t", "u32", "__u32", "unsigned", "unsigned int", "uid_t", "gid_t": return .u32
            case "uint64", "uint64_t", "u64", "__u64", "unsigned long", "unsigned long long", "size_t", "uintptr_t": return .u64
            case "string": return .string(maxStrlen)
            case "inet": return .inet
            case "buffer": return .buffer(maxStrlen)
            case "void": return .void
            case "timestamp": return .timestamp
            case "macaddr_t": return .macaddr
            case "cgroup_path_t": return .cgroupPath
            case "strerror_t": return .strerror
            case "min_t", "umin_t": return .aggregate(.min)
            case "max_t", "umax_t": return .aggregate(.max)
            case "sum_t", "usum_t": return .aggregate(.sum)
            case "count_t", "ucount_t": return .aggregate(.count)
            case "avg_t", "uavg_t": return .aggregate(.avg)
            case "stats_t", "ustats_t": return .aggregate(.stats)
            default: return .unknown // a typedef known only to BTF or a macro parameter
            }
        case .sized(let n, let size):
            switch n {
            case "string": return .string(size)
            case "buffer": return .buffer(size)
            default: return .inet
            }
        case .tagged("enum", let name): return enums[name] != nil ? .enumValue(name) : .u64
        case .tagged(let tag, let name):
            let full = "\(tag) \(name)"
            if scriptStructs[full] == nil, kernelStructSizes[full] == nil, let size = provider?.structSize(full) { kernelStructSizes[full] = size }
            return .cType(full)
        case .pointer(let inner):
            let r = resolve(inner, at: range)
            return .pointer(r == .unknown ? .void : r)
        case .array(let inner, let n): return .array(resolve(inner, at: range), n ?? 0)
        case .typeOf(let e):
            if case .type(let inner) = e.kind { return resolve(inner, at: range) }
            let saved = reporting
            let t = expr(e)
            reporting = saved
            return t
        }
    }
}
