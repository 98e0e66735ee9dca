import AugerCompiler
import Demangle
import ELF
import AugerScript
import BPF

/// `auger -l [PATTERN]`: the probes this system offers; with a program,
/// the probes that program would attach.
public struct ProbeLister {
    /// -p PID: uprobes of the files that process has mapped.
    let pid: Int32?

    public init(pid: Int32? = nil) { self.pid = pid }

    public func list(pattern: String?, verbose: Bool) throws -> String {
        func isType(_ item: Substring) -> Bool { ["struct ", "union "].contains { item.hasPrefix($0) } }
        if let pattern, pattern.contains(","), pattern.split(separator: ",").contains(where: isType) {
            // `kprobe:vfs_read,struct file`: the probes, then the types.
            let items = pattern.split(separator: ",")
            let probes = items.filter { !isType($0) }.joined(separator: ",")
            return (probes.isEmpty ? "" : try list(pattern: probes, verbose: verbose))
                + items.filter(isType).map { self.types(String($0), verbose: verbose) }.joined()
        }
        if let pattern, isType(pattern[...]) {
            return types(pattern, verbose: verbose)
        }
        // `kprobe:vfs_read,kprobe:vfs_write`: any of several patterns.
        let searches = (pattern ?? "*").split(separator: ",").map(String.init).map { $0.contains(":") || $0.contains("*") ? $0 : "*\($0)*" }
        var out = ""
        let types = (try? Tracefs.locate()).map { TracepointTypes(tracefs: $0) }
        /// `short`: the name without its module, which a pattern may also match (`fentry:vfs_*`).
        func add(_ name: String, short: String? = nil, _ detail: () -> [String] = { [] }) {
            guard searches.contains(where: { s in Glob.matches(s, name) || short.map { Glob.matches(s, $0) } == true }) else { return }
            out += name + "\n"
            if verbose { for line in detail() { out += "    " + line + "\n" } }
        }
        for name in ["begin", "end"] { add(name) }
        for unit in ["hz", "us", "ms", "s"] { add("interval:\(unit):") }
        for unit in ["hz", "us", "ms", "s"] { add("profile:\(unit):") }
        for event in AttachPointSyntax.softwareEvents.sorted() { add("software:\(event):") }
        for event in AttachPointSyntax.hardwareEvents.sorted() { add("hardware:\(event):") }
        if let types {
            // Sorted, as bpftrace lists them (tracefs keeps the order events were registered in).
            let tracepoints = ((try? types.tracefs.tracepoints()) ?? []).sorted { "\($0.category):\($0.name)" < "\($1.category):\($1.name)" }
            for (category, name) in tracepoints {
                add("tracepoint:\(category):\(name)") { fields(types, category, name) }
            }
            // Raw tracepoints share the tracepoints' names (their arguments differ: BTF has them),
            // except the per-syscall ones, which are built on raw_syscalls' sys_enter and sys_exit.
            let btf = verbose ? try? KernelBTF() : nil
            for (category, name) in tracepoints.sorted(by: { $0.name < $1.name }) where category != "syscalls" {
                add("rawtracepoint:vmlinux:\(name)") { btf.map { Self.rawParameters($0, name) } ?? [] }
            }
        }
        let wanted = { (kind: ProbeKind) in
            searches.contains { search in
                let first = search.prefix { $0 != ":" }
                return first.count == search.count || Glob.matches(String(first), kind.name)
            }
        }
        // ftrace's list is long (50,000 functions): read once, and only when asked for.
        // kretprobes share kprobes' functions: listed only when asked for by name.
        let namesKretprobe = searches.contains { s in s.contains(":") && s.prefix { $0 != ":" } != "*" && Glob.matches(String(s.prefix { $0 != ":" }), "kretprobe") }
        if wanted(.kprobe) || wanted(.fentry) || wanted(.fexit) || namesKretprobe {
            let functions = (try? types?.tracefs.traceableFunctions())?.sorted { ($0.module.map { "\($0):" } ?? "") + $0.name < ($1.module.map { "\($0):" } ?? "") + $1.name }
            if wanted(.kprobe) {
                // With -v, vmlinux functions' parameters from BTF, as for fentry (arg0… hold them).
                let btf = verbose ? try? KernelBTF() : nil
                for f in functions ?? [] {
                    add("kprobe:" + (f.module.map { "\($0):" } ?? "") + f.name) {
                        f.module == nil ? btf.map { Self.parameters($0, f.name, returns: false) } ?? [] : []
                    }
                }
            }
            if namesKretprobe {
                for f in functions ?? [] { add("kretprobe:" + (f.module.map { "\($0):" } ?? "") + f.name) }
            }
            if wanted(.fentry) || wanted(.fexit), let btf = try? KernelBTF() {
                // Without ftrace's list (unreadable under lockdown), every function BTF describes.
                let traced = functions.map { Set($0.lazy.filter { $0.module == nil }.map(\.name)) }
                let names = btf.functionNames.filter { traced?.contains($0) ?? true }.sorted()
                for kind in [ProbeKind.fentry, .fexit] where wanted(kind) {
                    for name in names { add("\(kind.name):vmlinux:\(name)", short: "\(kind.name):\(name)") { Self.parameters(btf, name, returns: kind == .fexit) } }
                }
                // Loaded modules' functions, from their BTF (split from vmlinux's).
                for module in (directoryEntries("/sys/kernel/btf") ?? []).sorted() where module != "vmlinux" {
                    guard let split = try? KernelBTF(path: "/sys/kernel/btf/\(module)", base: btf) else { continue }
                    let traced = functions.map { Set($0.lazy.filter { $0.module == module }.map(\.name)) }
                    let names = split.functionNames.filter { traced?.contains($0) ?? true }.sorted()
                    for kind in [ProbeKind.fentry, .fexit] where wanted(kind) {
                        for name in names { add("\(kind.name):\(module):\(name)") { Self.parameters(split, name, returns: kind == .fexit) } }
                    }
                }
            }
        }
        if wanted(.iter), let btf = try? KernelBTF() {
            for name in IteratorProbes.iterators(btf) { add("iter:\(name)") }
        }
        return out + userFunctions(searches, verbose: verbose) + usdtMarkers(searches)
    }

    /// `usdt:BIN:[PROVIDER:]NAME` patterns, or every file a `-p` process has
    /// mapped: the USDT markers their notes describe, each once, in note order.
    func usdtMarkers(_ searches: [String]) -> String {
        var out = ""
        var seen: Set<String> = []
        for search in searches {
            let parts = search.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts[0] == "*" || Glob.matches(parts[0], "usdt") || parts[0] == "U" else { continue }
            let binary = parts.count >= 3 ? parts[1] : pid != nil ? (parts.count == 2 ? parts[1] : "*") : nil
            guard let binary else { continue }
            let pattern = parts.count >= 3 ? parts[2...].joined(separator: ":") : "*"
            let files = (binary == "*" || binary.isEmpty) && pid != nil
                ? UserBinaries.mapped(pid!) : UserBinaries.find(binary, pid: pid)
            for file in files {
                for m in USDTNotes.markers(path: file.path)?.markers ?? [] where Glob.matches(pattern, "\(m.provider):\(m.name)") {
                    let line = "usdt:\(file.shown):\(m.provider):\(m.name)"
                    if seen.insert(line).inserted { out += line + "\n" }
                }
            }
        }
        return out
    }

    /// `uprobe:BIN:PATTERN` (BIN a path, a wildcard, a library's name),
    /// or every file a `-p` process has mapped: their ELF functions, sorted,
    /// each once. uretprobes only when asked for by name.
    func userFunctions(_ searches: [String], verbose: Bool = false) -> String {
        var out = ""
        var seen: Set<String> = []
        for search in searches {
            let parts = search.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let binary = parts.count >= 3 ? parts[1] : pid != nil ? (parts.count == 2 ? parts[1] : "*") : nil
            guard let binary else { continue }
            let pattern = parts.count >= 3 ? parts[2...].joined(separator: ":") : "*"
            let kinds = [ProbeKind.uprobe, .uretprobe].filter { kind in
                kind == .uprobe ? Glob.matches(parts[0], kind.name) || (parts.count == 1 && parts[0] == "*") : parts[0] == kind.name
            }
            guard !kinds.isEmpty else { continue }
            for file in UserBinaries.find(binary, pid: pid) {
                guard let elf = DebugFiles.symbols(file.path) else { continue }
                if pattern.hasPrefix("cpp:") {
                    // C++ functions by their demangled names, as `uprobe:BIN:cpp:"…"` attaches to them.
                    var wanted = String(pattern.dropFirst(4))
                    if wanted.count >= 2, wanted.hasPrefix("\""), wanted.hasSuffix("\"") { wanted = String(wanted.dropFirst().dropLast()) }
                    let names = UserFunctionProbes.demangledMatches(wanted, in: elf).compactMap { Demangler.demangle($0.symbol)?.full }
                    for name in Set(names).sorted() {
                        for kind in kinds where seen.insert("\(kind.name):\(file.shown):cpp:\(name)").inserted {
                            out += "\(kind.name):\(file.shown):cpp:\"\(name)\"\n"
                        }
                    }
                    continue
                }
                for f in elf.uniqueFunctions where Glob.matches(pattern, f.name) {
                    for kind in kinds {
                        let line = "\(kind.name):\(file.shown):\(f.name)"
                        guard seen.insert(line).inserted else { continue }
                        out += line + "\n"
                        // -lv: the parameters as DWARF declares them, as bpftrace lists them.
                        if verbose, kind == .uprobe, let debug = UserDebugInfo.entries(file.path), let function = debug.function(named: f.name) {
                            for p in function.parameters { out += "    \(p.type.spelling) \(p.name)\n" }
                        }
                    }
                }
            }
        }
        return out
    }

    /// A kernel function's parameters as C declares them, and for fexit its return value.
    static func parameters(_ btf: KernelBTF, _ name: String, returns: Bool) -> [String] {
        guard let function = btf.function(named: name), let proto = btf.prototype(ofFunction: function) else { return [] }
        var lines = btf.namedParameters(proto).map { btf.declaration($0.type, $0.name) }
        if returns, let type = btf.returnType(ofPrototype: proto), type != 0 { lines.append(btf.declaration(type, "retval")) }
        return lines
    }

    /// The attach points of a program, expanded (tracepoint wildcards) and
    /// without per-probe arguments such as sample counts.
    public func list(program source: SourceFile, verbose: Bool) throws -> String {
        let (program, parsed) = Parser.parse(source)
        if parsed.hasErrors { throw RuntimeError.system(parsed.rendered(in: source)) }
        let types = (try? Tracefs.locate()).map { TracepointTypes(tracefs: $0) }
        var out = ""
        for probe in program.probes {
            for point in probe.attachPoints {
                switch point.kind {
                case .tracepoint where types != nil:
                    let resolver = AttachPointResolver(tracefs: types!.tracefs, types: types)
                    let targets: [AttachTarget]
                    do { targets = try resolver.resolve(point) } catch let e { throw RuntimeError.system(e.message) }
                    for t in targets {
                        out += t.name + "\n"
                        if verbose, case .tracepoint(let category, let name, _) = t.location {
                            for line in fields(types!, category, name) { out += "    " + line + "\n" }
                        }
                    }
                case .software, .hardware, .interval, .profile:
                    out += "\(point.kind.name):\(point.parts.first ?? ""):\n"
                case .begin, .end:
                    out += point.kind.name + "\n"
                case .uprobe, .uretprobe, .usdt:
                    var system = ProbeSystem(tracefs: nil, types: nil, pid: pid)
                    system.unsafe = true  // listing attaches nothing
                    do { out += try AttachPointResolver(system).resolve(point).map { $0.name + "\n" }.joined() } catch let e { throw RuntimeError.system(e.message) }
                default:
                    out += ([point.kind.name] + point.parts).joined(separator: ":") + "\n"
                }
            }
        }
        return out
    }

    /// `-l 'struct task_*'`: kernel structs and unions by name (BTF); with
    /// -v, their definitions. Several may be given, separated by commas.
    func types(_ patterns: String, verbose: Bool) -> String {
        guard let btf = try? KernelBTF() else { return "" }
        var out = ""
        for pattern in patterns.split(separator: ",").map({ String($0.drop { $0 == " " }) }) {
            let names = pattern.contains("*") ? btf.recordNames.filter { Glob.matches(pattern, $0) }.sorted() : [pattern]
            for name in names {
                if verbose {
                    if let definition = btf.definition(of: name) { out += "vmlinux: " + definition + "\n" }
                } else if btf.record(named: name) != nil {
                    out += name + "\n"
                }
            }
        }
        return out
    }

    /// A raw tracepoint's arguments as C declares them (`struct task_struct * prev`).
    static func rawParameters(_ btf: KernelBTF, _ name: String) -> [String] {
        guard let function = btf.function(named: "__bpf_trace_" + name), let proto = btf.prototype(ofFunction: function) else { return [] }
        return btf.namedParameters(proto).dropFirst().map { btf.declaration($0.type, $0.name) }
    }

    func fields(_ types: TracepointTypes, _ category: String, _ name: String) -> [String] {
        types.format(category: category, name: name)?.ownFields.map { f in
            "\(f.type) \(f.name)\(f.arrayLength.map { "[\($0)]" } ?? "")"
        } ?? []
    }
}
