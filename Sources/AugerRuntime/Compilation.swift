import AugerCompiler
import ELF
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// A script compiled for this system, ready to load: what compiling
/// (parse → check → resolve → compile) hands to running.
struct CompiledRun {
    var script: CompiledScript
    /// The source with positional parameters substituted in attach points.
    var source: SourceFile
    var enums: [String: [Int64: String]]
    /// Resolves and attaches on this system; running attaches through it.
    var resolver: AttachPointResolver
    var printMapsOnExit: Bool
    var maxCatBytes: Int
    /// `stack_mode`: how stacks print when the script gives no mode.
    var stackMode: StackMode
    /// `show_debug_info`: source lines in user stacks.
    var showDebugInfo: Bool
    /// `cpp_demangle`: user symbols demangled.
    var cppDemangle: Bool
    /// `max_strlen` and `str_trunc_trailer`: how cut-short strings print.
    var maxStrlen: Int
    var truncationTrailer: String
    var gfpFlags: GFPFlags?
    /// `missing_probes = "warn"`: a probe the kernel will not attach is skipped with a warning.
    var skipUnattachable: Bool
}

/// Compiles a script against the running system, without loading anything.
struct ScriptCompilation {
    let options: RunOptions
    /// Where warnings go.
    let warnings: OutputSink

    func compile(_ original: SourceFile) throws -> CompiledRun {
        let text = PositionalAttachPoints.substitute(original.text, options.positional)
        let source = text == original.text ? original : SourceFile(name: original.name, text: text)
        func located(_ d: Diagnostics) -> RuntimeError { .diagnostics(d, source) }
        let (parsedProgram, parsed) = Parser.parse(source)
        if parsed.hasErrors { throw located(parsed) }
        let (program, userFunctions) = UserDebugInfo.prepare(parsedProgram, source.text, pid: options.pid)
        let tracefs = program.probes.contains { $0.attachPoints.contains(where: \.kind.needsTracefs) } ? try Tracefs.locate() : nil
        let types = tracefs.map { TracepointTypes(tracefs: $0) }
        // #include'd headers give the script their #define constants; its types come from BTF.
        let directives = program.preamble.compactMap { item -> String? in if case .preprocessor(let text, _) = item { text } else { nil } }
        // BTF is always at hand, so scripts' `#ifndef BPFTRACE_HAVE_BTF` fallbacks are skipped.
        let includes = options.includes + CPreprocessor.activeIncludes(directives, defined: ["BPFTRACE_HAVE_BTF"])
        let defines: [String: Int64]
        do { defines = try Headers(includeDirectories: options.includeDirectories).defines(includes) } catch {
            // As clang reports it, from the definitions bpftrace gathers into one file.
            throw RuntimeError.plain("definitions.h:\(error.index + 2):10: fatal error: '\(error.path)' file not found")
        }
        let kernel = KernelTypes(tracepoints: types)
        kernel.userFunctions = userFunctions
        let checked = Sema.check(program, provider: kernel, positional: options.positional, defines: defines,
                                  settings: Config([]).values)
        if checked.diagnostics.hasErrors { throw located(checked.diagnostics) }
        if !checked.diagnostics.all.isEmpty && options.warnings { warnings.write(checked.diagnostics.rendered(in: source) + "\n") }

        let config = Config(checked.program.config)
        try config.checkEnvironment()
        var system = ProbeSystem(tracefs: tracefs, types: types, kernel: kernel, pid: options.pid)
        system.disabled = options.disabledFeatures
        system.unsafe = options.unsafe
        system.command = options.command
        let resolver = AttachPointResolver(system)
        let (targets, sessions) = try resolve(checked.program, resolver, config, source)
        let compiled: CompiledScript
        let maxKeys = UInt32(clamping: config.integer("max_map_keys") ?? 4096)
        do throws(CompileError) {
            let compiler = Compiler(checked, positional: options.positional, named: options.named, maxMapKeys: maxKeys)
            // bpftrace's test hook: tseries() reads its time from this map.
            compiler.kernelSymbolAddress = { KernelSymbols.address(of: $0) }
            let btf = kernel.btf
            compiler.kernelFunctionID = { btf?.function(named: $0) }
            compiler.userSymbol = { path, name in
                DebugFiles.symbols(path).flatMap { elf in elf.address(ofObjectOrFunction: name).map { ($0, elf.positionIndependent) } }
            }
            compiler.userAddress = { path, offset in ELFSections.of(path: path)?.address(ofFileOffset: offset) }
            compiler.reportHelperErrors = options.helperErrors
            compiler.pidFilter = options.pid
            compiler.pidNamespace = Session.pidNamespace()
            compiler.sessions = sessions
            // Only then: reading the kernel's BTF costs megabytes of memory.
            compiler.sessionIsReturnID = sessions.isEmpty ? 0 : KernelFunctionSupport.sessionIsReturnID(kernel.btf) ?? 0
            compiler.tseriesClockMap = getenv("BPFTRACE_DUMMY_TS_MAP").map { String(String(cString: $0).drop { $0 == "@" }) }
            compiled = try compiler.compile(targets: targets)
        } catch {
            if error.fromCommandLine { throw RuntimeError.system(error.message) }
            throw located(Self.error(error.message, error.range))
        }
        if let problem = Self.optionProblem(options.named, compiled.options) { throw RuntimeError.system(problem) }
        if !options.unsafe, let call = compiled.formattedCalls.first(where: { $0.function == "system" }) {
            throw located(Self.error("system() is unsafe. To use it you need the --unsafe flag", call.range))
        }
        if !options.unsafe, let (name, range) = compiled.unsafeCalls.first {
            throw located(Self.error("\(name)() is unsafe. To use you need the --unsafe flag", range))
        }
        return CompiledRun(script: compiled, source: source, enums: checked.enums, resolver: resolver,
                           printMapsOnExit: config.bool("print_maps_on_exit") ?? true,
                           maxCatBytes: config.integer("max_cat_bytes") ?? 10240,
                           stackMode: config.string("stack_mode").flatMap(StackMode.init) ?? .bpftrace,
                           showDebugInfo: config.bool("show_debug_info") ?? true,
                           cppDemangle: config.bool("cpp_demangle") ?? true,
                           maxStrlen: checked.maxStrlen, truncationTrailer: config.string("str_trunc_trailer") ?? "..",
                           gfpFlags: compiled.formattedCalls.contains { $0.format.conversions.contains { $0.specifier == "gr" } }
                               ? GFPFlags(bit: { kernel.enumConstant($0)?.value }) : nil,
                           skipUnattachable: config.string("missing_probes") == "warn")
    }

    /// Each probe's targets on this system; `missing_probes` (error, the
    /// default; warn; ignore) decides what an attach point that matches nothing does.
    /// Also the kprobe/kretprobe probe pairs that one kprobe_session program each serves.
    func resolve(_ program: AugerScript.Program, _ resolver: AttachPointResolver, _ config: Config, _ source: SourceFile) throws -> ([[AttachTarget]], [SessionPair]) {
        let missing = config.string("missing_probes") ?? "error"
        var skipped = Diagnostics()
        var targets: [[AttachTarget]] = []
        var failures: [AttachError] = []
        func skip(_ error: AttachError) {
            if let warning = error.warning { skipped.warning(warning, at: error.range) }
            skipped.warning(error.message + (error.message.hasSuffix(".") ? " " : ". ") + "Skipping.", at: error.range)
        }
        for probe in program.probes {
            var list: [AttachTarget] = []
            var emptyWildcards: [AttachError] = []
            for point in probe.attachPoints where passesFilter(point.kind, "\(point.kind.name):\(point.parts.joined(separator: ":"))") {
                do { list += try resolver.resolve(point) } catch {
                    // A wildcard that matches nothing adds nothing; it is an error only when the probe is left empty.
                    if case .noMatches = error.reason, point.parts.contains(where: Glob.isPattern) { emptyWildcards.append(error); continue }
                    if missing == "error" { failures.append(error) }
                    if missing == "warn" { skip(error) }
                }
            }
            if list.isEmpty, let first = emptyWildcards.first {
                if missing == "error" { failures.append(first) }
                if missing == "warn" { skip(first) }
            }
            if list.isEmpty, !probe.attachPoints.isEmpty, missing == "warn" {
                skipped.warning("Probe has no valid attach points. It is being removed which may cause issues with program behavior.", at: probe.attachPoints[0].range)
            }
            targets.append(resolver.combine(list.filter { passesFilter($0.kind, $0.name) }, of: probe))
        }
        // Probes that match nothing are reported before what Auger cannot do yet, as bpftrace reports them.
        if let first = failures.first(where: \.isNoMatch) ?? failures.first {
            throw RuntimeError.diagnostics(first.diagnostics, source)
        }
        if !skipped.all.isEmpty && options.warnings { warnings.write(skipped.rendered(in: source) + "\n") }
        if targets.joined().isEmpty { throw RuntimeError.plain("No probes to attach") }
        let sessions = resolver.sessions(program.probes, &targets)
        resolver.dispatchSyscalls(&targets)
        // One program per target: a wildcard over every kernel function would
        // load tens of thousands. bpftrace's limit and words.
        let limit = config.integer("max_bpf_progs") ?? 1024
        var programs = 0
        for (index, (probe, list)) in zip(program.probes, targets).enumerated() where !sessions.contains(where: { $0.exit == index }) {
            programs += list.count
            if programs > limit, let point = probe.attachPoints.first {
                var d = Diagnostics()
                d.error("Your program is trying to generate more than \(limit) BPF programs, which exceeds the current limit of \(limit)",
                        at: point.range, hint: "You can increase the limit through the BPFTRACE_MAX_BPF_PROGS environment variable.")
                throw RuntimeError.diagnostics(d, source)
            }
        }
        let probeLimit = config.integer("max_probes") ?? 1024
        let probeCount = targets.joined().reduce(0) { $0 + $1.probeCount }
        if probeCount > probeLimit {
            throw RuntimeError.system("Can't attach to \(probeCount) probes because it exceeds the current limit of \(probeLimit) probes.\n"
                + "HINT: raise it with the max_probes config variable or BPFTRACE_MAX_PROBES; many attached probes slow the whole system down.")
        }
        return (targets, sessions)
    }

    /// --probe-filter; BEGIN and END are not probes to filter: they frame the run.
    func passesFilter(_ kind: ProbeKind, _ name: String) -> Bool {
        guard let filter = options.probeFilter, !kind.isSpecial else { return true }
        return name.contains(filter) || name.contains("*")
    }

    /// `-- --help` lists the script's options; unknown ones are errors.
    static func optionProblem(_ given: [String: String], _ expected: [String: String]) -> String? {
        if given["help"] != nil && expected["help"] == nil {
            let lines = expected.keys.sorted().map { name in "  --\(name)" + (expected[name]!.isEmpty ? "" : ": \(expected[name]!)") }
            return "showing the program's options\nHINT: expected program options:\n" + lines.joined(separator: "\n")
        }
        let unexpected = given.keys.filter { expected[$0] == nil }.sorted()
        if unexpected.isEmpty { return nil }
        let hint = expected.isEmpty ? "the program takes no options" : "expected program options: " + expected.keys.sorted().map { "--" + $0 }.joined(separator: ", ")
        return "unexpected program command line options: " + unexpected.map { "--" + $0 }.joined(separator: ", ") + "\nHINT: " + hint
    }

    static func error(_ message: String, _ range: SourceRange) -> Diagnostics {
        var d = Diagnostics()
        d.error(message, at: range)
        return d
    }
}
