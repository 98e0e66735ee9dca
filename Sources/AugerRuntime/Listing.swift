import BPF

/// `auger -l [PATTERN]`: the probes this system offers.
public struct ProbeLister {
    public init() {}

    public func list(pattern: String?, verbose: Bool) throws -> String {
        let search = pattern.map { $0.contains(":") || $0.contains("*") ? $0 : "*\($0)*" } ?? "*"
        var out = ""
        func add(_ name: String, _ detail: () -> [String] = { [] }) {
            guard Glob.matches(search, name) else { return }
            out += name + "\n"
            if verbose { for line in detail() { out += "    " + line + "\n" } }
        }
        for name in ["begin", "end"] { add(name) }
        for event in ["alignment-faults", "bpf-output", "context-switches", "cpu-clock", "cpu-migrations", "dummy",
                      "emulation-faults", "major-faults", "minor-faults", "page-faults", "task-clock"] {
            add("software:\(event):")
        }
        if let fs = try? Tracefs.locate() {
            let types = TracepointTypes(tracefs: fs)
            for (category, name) in (try? fs.tracepoints()) ?? [] {
                add("tracepoint:\(category):\(name)") {
                    types.format(category: category, name: name)?.ownFields.map { f in
                        "\(f.type) \(f.name)\(f.arrayLength.map { "[\($0)]" } ?? "")"
                    } ?? []
                }
            }
        }
        return out
    }
}
