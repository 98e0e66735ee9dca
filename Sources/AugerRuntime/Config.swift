import AugerScript
#if canImport(Glibc)
import Glibc
#endif

/// Settings from a script's `config = { … }` block and the environment,
/// where `BPFTRACE_NAME` (or the older `BPFTRACE_…` spelling) wins, as in bpftrace.
struct Config {
    var values: [String: String] = [:]

    /// Older names of variables whose environment spelling changed.
    static let legacyEnvironment = ["max_map_keys": "BPFTRACE_MAP_KEYS_MAX", "max_strlen": "BPFTRACE_STRLEN"]

    /// Settings Auger reads that the environment may give without the script.
    static let environmentNames: Set<String> = ["max_map_keys", "max_strlen", "max_cat_bytes", "print_maps_on_exit", "stack_mode", "missing_probes",
                                                 "max_bpf_progs", "max_probes", "show_debug_info", "cpp_demangle", "str_trunc_trailer"]

    init(_ assignments: [ConfigAssignment]) {
        for a in assignments {
            var name = a.name.lowercased()
            if name.hasPrefix("bpftrace_") { name.removeFirst(9) }
            switch a.value.kind {
            case .integer(let v): values[name] = String(v)
            case .string(let s): values[name] = String(decoding: s, as: UTF8.self)
            case .bool(let b): values[name] = b ? "true" : "false"
            case .identifier(let i): values[name] = i
            default: break
            }
        }
        for name in Set(values.keys).union(Self.legacyEnvironment.keys).union(Self.environmentNames) {
            let env = ["BPFTRACE_" + name.uppercased(), Self.legacyEnvironment[name]].compactMap { $0 }
            if let (variable, v) = env.lazy.compactMap({ n in getenv(n).map { (n, $0) } }).first {
                values[name] = String(cString: v)
                fromEnvironment[name] = variable
            }
        }
    }

    /// The environment variable each setting came from, for errors.
    var fromEnvironment: [String: String] = [:]

    /// The script's values are checked by Sema; the environment's here, so a
    /// typo there is an error rather than the default.
    func checkEnvironment() throws {
        for (name, variable) in fromEnvironment.sorted(by: { $0.key < $1.key }) {
            let value = values[name] ?? ""
            if let limit = Sema.integerConfigLimits[name] {
                guard let n = UInt64(value.filter { $0 != "_" }), n > 0 || name == "perf_rb_pages", n <= limit else {
                    throw RuntimeError.system("\(variable)=\(value): expected a number from 1 to \(limit)")
                }
            }
            if Sema.booleanConfigs.contains(name), bool(name) == nil {
                throw RuntimeError.system("\(variable)=\(value): expected true, false, 1 or 0")
            }
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func integer(_ name: String) -> Int? { values[name].flatMap { Int($0.filter { $0 != "_" }) } }

    func bool(_ name: String) -> Bool? {
        switch values[name] {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}

/// What `auger -h` says Auger reads from its environment.
public enum EnvironmentVariables {
    public static var described: [(name: String, meaning: String)] {
        Config.environmentNames.sorted().map { ("BPFTRACE_" + $0.uppercased(), "the \($0) config setting (over a script's config block)") }
            + Config.legacyEnvironment.sorted { $0.key < $1.key }.map { ($0.value, "older name of BPFTRACE_\($0.key.uppercased())") }
            + [("BPFTRACE_DUMMY_TS_MAP", "a map whose value tseries() reads as the time (for exact test output)"),
               ("__BPFTRACE_NOTIFY_PROBES_ATTACHED", "print __BPFTRACE_NOTIFY_PROBES_ATTACHED once probes are attached"),
               ("PATH", "where -c commands and uprobe:PROGRAM are looked for"),
               ("LD_LIBRARY_PATH", "where uprobe:LIBRARY short names are looked for first")]
    }
}
