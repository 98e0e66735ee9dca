/// Checks the shape of attach points. Whether they exist on this system is
/// decided later, against the running kernel.
public enum AttachPointSyntax {
    /// Every provider, by every name it answers to.
    static let aliases: [String: String] = [
        "BEGIN": "begin", "begin": "begin", "END": "end", "end": "end",
        "tracepoint": "tracepoint", "t": "tracepoint",
        "rawtracepoint": "rawtracepoint", "rt": "rawtracepoint",
        "kprobe": "kprobe", "k": "kprobe", "kretprobe": "kretprobe", "kr": "kretprobe",
        "fentry": "fentry", "kfunc": "fentry", "f": "fentry",
        "fexit": "fexit", "kretfunc": "fexit", "fr": "fexit",
        "uprobe": "uprobe", "u": "uprobe", "uretprobe": "uretprobe", "ur": "uretprobe",
        "usdt": "usdt", "U": "usdt",
        "profile": "profile", "p": "profile", "interval": "interval", "i": "interval",
        "software": "software", "s": "software", "hardware": "hardware", "h": "hardware",
        "watchpoint": "watchpoint", "w": "watchpoint", "asyncwatchpoint": "asyncwatchpoint", "aw": "asyncwatchpoint",
        "iter": "iter", "it": "iter", "self": "self", "test": "test", "bench": "bench",
    ]

    /// Allowed numbers of parts after the provider.
    static let arity: [String: ClosedRange<Int>] = [
        "begin": 0...0, "end": 0...0, "tracepoint": 2...2, "rawtracepoint": 1...2,
        "kprobe": 1...2, "kretprobe": 1...2, "fentry": 1...3, "fexit": 1...3,
        "uprobe": 1...3, "uretprobe": 1...3, "usdt": 1...3,
        "profile": 1...2, "interval": 1...2, "software": 1...2, "hardware": 1...2,
        "watchpoint": 3...3, "asyncwatchpoint": 3...3, "iter": 1...2, "self": 2...2, "test": 1...1, "bench": 1...1,
    ]

    public static let softwareEvents: Set<String> = [
        "cpu-clock", "cpu", "task-clock", "page-faults", "faults", "context-switches", "cs",
        "cpu-migrations", "minor-faults", "major-faults", "alignment-faults", "emulation-faults", "dummy", "bpf-output",
    ]
    public static let hardwareEvents: Set<String> = [
        "cpu-cycles", "cycles", "instructions", "cache-references", "cache-misses", "branch-instructions",
        "branches", "branch-misses", "bus-cycles", "frontend-stalls", "backend-stalls", "ref-cycles",
    ]
    static let timerUnits: Set<String> = ["s", "ms", "us", "ns", "hz"]

    /// Splits on colons outside double quotes.
    static func split(_ raw: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for c in raw {
            if c == "\"" { quoted.toggle() }
            if c == ":" && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }

    static func parse(_ raw: String, _ range: SourceRange, _ diagnostics: inout Diagnostics) -> AttachPoint {
        var parts = split(raw)
        let written = parts.removeFirst()
        guard let provider = aliases[written] else {
            diagnostics.error("invalid probe type '\(written)'", at: range)
            return AttachPoint(raw: raw, range: range, provider: written, parts: parts)
        }
        let point = AttachPoint(raw: raw, range: range, provider: provider, parts: parts)
        // `usdt:path::name` has an empty namespace; `uprobe:path:` nothing.
        if let allowed = arity[provider], !allowed.contains(parts.count) {
            let want = allowed.count == 1 ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
            let example = examples[provider].map { ", e.g. \($0)" } ?? ""
            diagnostics.error("\(provider) probes take \(want) argument\(allowed.upperBound == 1 ? "" : "s") after the provider, not \(parts.count)\(example)", at: range)
            return point
        }
        if let message = check(provider, parts) { diagnostics.error(message, at: range) }
        return point
    }

    static let examples: [String: String] = [
        "tracepoint": "tracepoint:syscalls:sys_enter_openat", "kprobe": "kprobe:vfs_read",
        "uprobe": "uprobe:/bin/bash:readline", "profile": "profile:hz:99", "interval": "interval:s:1",
        "watchpoint": "watchpoint:0x1000:8:w", "software": "software:cpu-clock:1000000", "self": "self:signal:SIGUSR1",
    ]

    /// Per-provider checks of argument values; nil when fine.
    static func check(_ provider: String, _ parts: [String]) -> String? {
        switch provider {
        case "tracepoint":
            if parts.contains(where: \.isEmpty) { return "tracepoint needs a category and a name, e.g. tracepoint:syscalls:sys_enter_openat" }
        case "profile", "interval":
            if parts.count == 2 {
                guard timerUnits.contains(parts[0]) else { return "invalid \(provider) unit '\(parts[0])': use hz, s, ms, us or ns" }
                if !isCount(parts[1]) { return "invalid \(provider) rate '\(parts[1])': expected a positive integer" }
            } else if !isCount(parts[0]) {
                return "invalid \(provider) rate '\(parts[0])': expected a duration such as 1s or 100ms, or unit:count"
            }
        case "software", "hardware":
            let known = provider == "software" ? softwareEvents : hardwareEvents
            if !known.contains(parts[0]) && !parts[0].contains("*") { return "unknown \(provider) event '\(parts[0])'" }
            if parts.count == 2 && !parts[1].isEmpty && !isCount(parts[1]) { return "invalid \(provider) count '\(parts[1])'" }
        case "watchpoint", "asyncwatchpoint":
            if !["1", "2", "4", "8"].contains(parts[1]) { return "watchpoint length must be 1, 2, 4 or 8, not '\(parts[1])'" }
            if parts[2].isEmpty || !parts[2].allSatisfy({ "rwx".contains($0) }) { return "watchpoint mode must be made of r, w and x, not '\(parts[2])'" }
            if parts[2].contains("x") && parts[2].count > 1 { return "a watchpoint cannot watch execution together with reads or writes" }
        case "self":
            if parts[0] != "signal" { return "self probes support only signal, e.g. self:signal:SIGUSR1" }
        case "bench":
            if parts[0].isEmpty { return "bench probes need a name, e.g. bench:lookup" }
        default:
            break
        }
        return nil
    }

    /// `99`, `1e6`, `100ms`, `1_000`, or `$1`.
    static func isCount(_ s: String) -> Bool {
        if s.hasPrefix("$"), Int(s.dropFirst()) != nil { return true }
        var lexer = Lexer(SourceFile(name: "", text: s))
        guard case .integer(let v) = lexer.next().kind, v > 0 else { return false }
        return lexer.next().kind == .endOfFile && !lexer.diagnostics.hasErrors
    }
}
