/// Builtin variables: their types and the probes that have them.
enum Builtins {
    /// Looked up once per name: a hash instead of a string comparison per case.
    private static let table: [String: SType] = {
        var t: [String: SType] = [:]
        for name in ["pid", "tid", "uid", "gid", "cpu", "rand", "cpid", "numaid", "nsecs", "elapsed", "cgroup", "jiffies",
                     "ncpus", "numaps", "usermode", "comm", "probe", "probetype", "curtask", "kstack", "ustack", "func",
                     "retval", "args", "ctx", "username"] {
            t[name] = computeType(of: name)
        }
        for i in 0..<16 {
            t["arg\(i)"] = .u64
            t["sarg\(i)"] = .i64
        }
        return t
    }()

    static func type(of name: String) -> SType? { table[name] }

    private static func computeType(of name: String) -> SType? {
        switch name {
        case "pid", "tid", "uid", "gid", "cpu", "rand", "cpid", "numaid": return .u32
        case "nsecs", "elapsed", "cgroup", "jiffies", "ncpus": return .u64
        case "numaps": return .u32
        case "usermode": return .u8
        case "comm": return .string(16)
        case "probe", "probetype": return .string(64)
        case "curtask": return .pointer(.cType("struct task_struct"))
        case "kstack": return .kstack(.whole)
        case "ustack": return .ustack(.whole)
        case "func": return .ksym
        case "retval": return .i64
        case "args": return .probeArgs
        case "ctx": return .pointer(.void)
        case "username": return .username
        default:
            if let n = argumentIndex(name) { return n.signed ? .i64 : .u64 }
            return nil
        }
    }

    /// `arg3` → 3; `sarg3` → 3 (stack argument, signed).
    static func argumentIndex(_ name: String) -> (index: Int, signed: Bool)? {
        if name.hasPrefix("arg"), let n = Int(name.dropFirst(3)), n >= 0, n < 16 { return (n, false) }
        if name.hasPrefix("sarg"), let n = Int(name.dropFirst(4)), n >= 0, n < 16 { return (n, true) }
        return nil
    }

    /// Why `name` cannot be used in a probe of `kind`, or nil if it can.
    static func restriction(_ name: String, kind: ProbeKind) -> String? {
        let provider = kind.name
        switch name {
        case "retval":
            if !kind.hasRetval {
                return "The retval builtin can only be used with 'kretprobe', 'uretprobe' and 'fexit' probes (not '\(provider)')"
            }
        case "args":
            if !kind.hasArgs {
                return "The args builtin can only be used with tracepoint, rawtracepoint, fentry, fexit and uprobe probes (not '\(provider)')"
            }
        case "func":
            if !kind.hasFunc {
                return "The func builtin can not be used with '\(provider)' probes"
            }
        case "ctx":
            if !kind.hasContext {
                return "The ctx builtin can not be used with '\(provider)' probes"
            }
        default:
            if let (_, signed) = argumentIndex(name) {
                if signed { return kind.argumentSource == .registers ? nil : "The \(name) builtin can only be used with kprobe, uprobe and usdt probes" }
                if kind == .tracepoint { return "The \(name) builtin can not be used with tracepoint probes: use args.FIELD instead" }
                if kind.argumentSource == .none { return "The \(name) builtin can only be used with kprobe, uprobe, usdt and rawtracepoint probes (not '\(provider)')" }
            }
        }
        return nil
    }
}
