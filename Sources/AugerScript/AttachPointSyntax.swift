/// Checks the shape of attach points. Whether they exist on this system is
/// decided later, against the running kernel.
public enum AttachPointSyntax {
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

    /// The attach point `raw`, or nil (with an error) when its kind is unknown.
    static func parse(_ raw: String, _ range: SourceRange, _ diagnostics: inout Diagnostics) -> AttachPoint? {
        var parts = split(raw)
        let written = parts.removeFirst()
        // Provider names are case-insensitive (`Kprobe:`, `Begin`), but for
        // the one-letter aliases, where `U` (usdt) is not `u` (uprobe).
        guard let kind = ProbeKind(written: written) ?? (written.count > 1 ? ProbeKind(written: written.lowercased()) : nil) else {
            diagnostics.error("invalid probe type '\(written)'", at: range)
            return nil
        }
        // `uprobe:BIN:cpp:ns::Class::method`: a C++ name's colons are its own.
        if kind == .uprobe || kind == .uretprobe, parts.count > 3, parts[1] == "cpp" {
            parts = [parts[0], parts[1], parts[2...].joined(separator: ":")]
        }
        let point = AttachPoint(raw: raw, range: range, kind: kind, parts: parts)
        // `usdt:path::name` has an empty namespace; `uprobe:path:` nothing.
        let allowed = kind.arity
        if !allowed.contains(parts.count) {
            let want = allowed.count == 1 ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
            let example = kind.example.map { ", e.g. \($0)" } ?? ""
            diagnostics.error("\(kind.name) probes take \(want) argument\(allowed.upperBound == 1 ? "" : "s") after the provider, not \(parts.count)\(example)", at: range)
            return point
        }
        if let message = check(kind, parts) { diagnostics.error(message, at: range) }
        return point
    }

    /// Per-kind checks of argument values; nil when fine.
    static func check(_ kind: ProbeKind, _ parts: [String]) -> String? {
        let provider = kind.name
        switch kind {
        case .tracepoint:
            if parts.contains(where: \.isEmpty) { return "tracepoint needs a category and a name, e.g. tracepoint:syscalls:sys_enter_openat" }
        case .profile, .interval:
            if parts.count == 2 {
                guard timerUnits.contains(parts[0]) else { return "invalid \(provider) unit '\(parts[0])': use hz, s, ms, us or ns" }
                if !isCount(parts[1]) { return "invalid \(provider) rate '\(parts[1])': expected a positive integer" }
            } else if !isCount(parts[0]) {
                return "invalid \(provider) rate '\(parts[0])': expected a duration such as 1s or 100ms, or unit:count"
            }
        case .software, .hardware:
            let known = kind == .software ? softwareEvents : hardwareEvents
            if !known.contains(parts[0]) && !parts[0].contains("*") { return "unknown \(provider) event '\(parts[0])'" }
            if parts.count == 2 && !parts[1].isEmpty && !isCount(parts[1]) { return "invalid \(provider) count '\(parts[1])'" }
        case .watchpoint, .asyncwatchpoint:
            if !["1", "2", "4", "8"].contains(parts[1]) { return "watchpoint length must be 1, 2, 4 or 8, not '\(parts[1])'" }
            if parts[2].isEmpty || !parts[2].allSatisfy({ "rwx".contains($0) }) { return "watchpoint mode must be made of r, w and x, not '\(parts[2])'" }
            if parts[2].contains("x") && parts[2].count > 1 { return "a watchpoint cannot watch execution together with reads or writes" }
        case .selfSignal:
            if parts[0] != "signal" { return "self probes support only signal, e.g. self:signal:SIGUSR1" }
        case .bench:
            if parts[0].isEmpty { return "bench probes need a name, e.g. bench:lookup" }
        case .begin, .end, .rawtracepoint, .kprobe, .kretprobe, .fentry, .fexit, .uprobe, .uretprobe, .usdt, .iter, .test:
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
