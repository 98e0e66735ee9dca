import AugerCompiler
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// Runs one script from text to printed maps.
public final class Session {
    /// The script, with positional parameters in attach points substituted.
    private(set) var source: SourceFile
    let options: RunOptions
    let out: OutputSink
    let err = OutputSink(fd: 2)
    var decoder = ValueDecoder(symbols: KernelSymbols())
    var exitCode: Int32 = 0
    var exitRequested = false
    var child: ChildProcess?
    var printMapsOnExit = true
    /// When the traced process's mappings were last read.
    var lastMappings: UInt64 = 0
    /// cat() prints at most this much of a file.
    var maxCatBytes = 10240

    public init(source: SourceFile, options: RunOptions, output: OutputSink = OutputSink()) {
        self.source = source
        self.options = options
        self.out = output
    }

    /// Runs the script; returns the process exit status.
    public func run() -> Int32 {
        defer { out.flush(); err.flush() }
        do {
            return try runChecked()
        } catch RuntimeError.plain(let message) {
            err.write(message + "\n")
            return 1
        } catch let e as RuntimeError {
            err.write("ERROR: \(e.description)\n".replacingFirstERROR())
            return 1
        } catch {
            err.write("ERROR: \(error)\n")
            return 1
        }
    }

    func fail(_ diagnostics: Diagnostics) -> Int32 {
        err.write(diagnostics.rendered(in: source) + "\n")
        return diagnostics.hasErrors ? 1 : 0
    }

    func runChecked() throws -> Int32 {
        let text = PositionalAttachPoints.substitute(source.text, options.positional)
        if text != source.text { source = SourceFile(name: source.name, text: text) }
        let (program, parsed) = Parser.parse(source)
        if parsed.hasErrors { return fail(parsed) }
        let usesTracepoints = program.probes.contains { $0.attachPoints.contains { $0.provider == "tracepoint" || $0.provider == "rawtracepoint" } }
        let tracefs = usesTracepoints ? try Tracefs.locate() : nil
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
        let checked = Sema.check(program, provider: kernel, positional: options.positional, defines: defines,
                                  settings: Config([]).values)
        if checked.diagnostics.hasErrors { return fail(checked.diagnostics) }
        decoder.enums = checked.enums
        if !checked.diagnostics.all.isEmpty && options.warnings { err.write(checked.diagnostics.rendered(in: source) + "\n") }

        let config = Config(checked.program.config)
        // missing_probes: error (the default), warn or ignore, as bpftrace's config.
        let missing = config.string("missing_probes") ?? "error"
        var skipped = Diagnostics()
        let resolver = AttachPointResolver(tracefs: tracefs, types: types, kernel: kernel)
        var targets: [[AttachTarget]] = []
        var failures: [AttachError] = []
        for probe in checked.program.probes {
            var list: [AttachTarget] = []
            for point in probe.attachPoints where passesFilter(point.provider, "\(point.provider):\(point.parts.joined(separator: ":"))") {
                do { list += try resolver.resolve(point) } catch {
                    if missing == "error" { failures.append(error) }
                    if missing == "warn" { skipped.warning(error.message + (error.message.hasSuffix(".") ? " " : ". ") + "Skipping.", at: error.range) }
                }
            }
            if list.isEmpty, !probe.attachPoints.isEmpty, missing == "warn" {
                skipped.warning("Probe has no valid attach points. It is being removed which may cause issues with program behavior.", at: probe.attachPoints[0].range)
            }
            targets.append(list.filter { passesFilter($0.provider, $0.name) })
        }
        // Probes that match nothing are reported before what Auger cannot do yet, as bpftrace reports them.
        if let first = failures.first(where: { $0.message.hasPrefix("No matches") }) ?? failures.first {
            return fail(located(first.message, first.range))
        }
        if !skipped.all.isEmpty && options.warnings { err.write(skipped.rendered(in: source) + "\n") }
        if targets.joined().isEmpty {
            throw RuntimeError.plain("No probes to attach")
        }
        let compiled: CompiledScript
        printMapsOnExit = config.bool("print_maps_on_exit") ?? true
        maxCatBytes = config.integer("max_cat_bytes") ?? 10240
        let maxKeys = UInt32(clamping: config.integer("max_map_keys") ?? 4096)
        do {
            let compiler = Compiler(checked, positional: options.positional, named: options.named, maxMapKeys: maxKeys)
            // bpftrace's test hook: tseries() reads its time from this map.
            compiler.kernelSymbolAddress = { KernelSymbols.address(of: $0) }
            compiler.reportHelperErrors = options.helperErrors
            compiler.pidFilter = options.pid
            compiler.pidNamespace = Self.pidNamespace()
            compiler.tseriesClockMap = getenv("BPFTRACE_DUMMY_TS_MAP").map { String(String(cString: $0).drop { $0 == "@" }) }
            compiled = try compiler.compile(targets: targets)
        } catch {
            if error.fromCommandLine { throw RuntimeError.system(error.message) }
            return fail(located(error.message, error.range))
        }
        if let problem = Self.optionProblem(options.named, compiled.options) { throw RuntimeError.system(problem) }
        if !options.unsafe, let call = compiled.formattedCalls.first(where: { $0.function == "system" }) {
            return fail(located("system() is unsafe. To use it you need the --unsafe flag", call.range))
        }
        if !options.unsafe, let (name, range) = compiled.unsafeCalls.first {
            return fail(located("\(name)() is unsafe. To use you need the --unsafe flag", range))
        }
        if options.dumpInstructions {
            // -d dis: the instructions as the verifier's log lists them, per program.
            for program in compiled.programs {
                err.write("\n\(program.spec.name) (\(program.target.name)):\n" + program.spec.instructions.disassembled() + "\n")
            }
            err.flush()
        }
        let loaded = try LoadedScript(compiled)
        try loaded.load(verbose: options.verbose, source: source)
        if options.dryRun { return 0 }
        return try execute(loaded)
    }

    /// BEGIN and END are not probes to filter: they frame the run.
    func passesFilter(_ provider: String, _ name: String) -> Bool {
        guard let filter = options.probeFilter, provider != "begin", provider != "end" else { return true }
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

    func located(_ message: String, _ range: SourceRange) -> Diagnostics {
        var d = Diagnostics()
        d.error(message, at: range)
        return d
    }

    // MARK: Running

    func execute(_ loaded: LoadedScript) throws -> Int32 {
        decoder.stacks = loaded.stacks
        decoder.timeFormats = loaded.compiled.timeFormats
        let selfProbes = loaded.programs.filter { $0.0.target.provider == "self" }
        let signalNames = Dictionary(selfProbes.map { ($0.0.target.name, SignalWatcher.userSignals[String($0.0.target.name.split(separator: ":").last!)]!) }) { a, _ in a }
        let signals = try SignalWatcher(also: Array(Set(signalNames.values)))
        let reader = try RingBufferReader(loaded.ringBuffer)
        try reader.watch(signals.fd)
        let handler = EventHandler(session: self, loaded: loaded)
        try loaded.globals.update(UInt32(0), Globals(startTime: Self.monotonicNanoseconds()))

        let begins = loaded.programs.filter { $0.0.target.provider == "begin" }
        let ends = loaded.programs.filter { $0.0.target.provider == "end" }
        let benches = loaded.programs.filter { $0.0.target.provider == "bench" }
        // Probes run from user space, not attached: BEGIN, END, bench and self.
        let others = loaded.programs.filter { !["begin", "end", "bench", "self"].contains($0.0.target.provider) }
        // bpftrace's order: attach, say so, run BEGIN. Timers start after
        // BEGIN, so `interval:s:1` fires a whole second after it.
        let isTimer = { (p: (CompiledProgram, BPF.Program)) in ["interval", "profile"].contains(p.0.target.provider) }
        for (compiledProgram, program) in others where !isTimer((compiledProgram, program)) {
            loaded.links += try attach(compiledProgram, program)
        }
        let n = loaded.programs.count
        if !options.quiet {
            switch options.format {
            case .text:
                err.write("Attached \(n) probe\(n == 1 ? "" : "s")\n")
                err.flush()
            case .json:
                out.write("{\"type\": \"attached_probes\", \"count\": \(n), \"data\": {\"probes\": \(n)}}\n")
            }
        }
        if options.notifyAttached {
            out.write("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n")
            out.flush()
        }
        for (_, program) in begins {
            try program.testRun(context: [UInt8](repeating: 0, count: 8))
            reader.consume { handler.handle($0) }
            if exitRequested { break }
        }
        out.flush()
        if !benches.isEmpty && !exitRequested {
            try runBenchmarks(benches) { reader.consume { handler.handle($0) } }
            exitRequested = true
        }
        if !exitRequested {
            for (compiledProgram, program) in others where isTimer((compiledProgram, program)) {
                loaded.links += try attach(compiledProgram, program)
            }
        }
        // As in bpftrace's newest versions, a script of only BEGIN and END is done after BEGIN.
        if others.isEmpty && selfProbes.isEmpty && options.command == nil && options.pid == nil { exitRequested = true }
        if !exitRequested {
            if let command = options.command {
                child = try ChildProcess(command)
                try loaded.globals.update(UInt32(0), Globals(startTime: Self.monotonicNanoseconds(), childPID: UInt64(child!.pid)))
                child!.start()
            }
            while !exitRequested {
                // The kernel wakes us for a record only when we had read them all.
                // After a burst, pausing a moment lets the next one gather, so a
                // busy probe pays for one wake-up per batch, not per record;
                // sparse records (and exit()) are handled at once.
                _ = try reader.wait(timeout: child == nil && options.pid == nil ? 1000 : 50)
                let handled = reader.consume { handler.handle($0) }
                out.flush()
                if handled >= Self.burstRecords && !exitRequested { usleep(Self.batchWindowMicroseconds) }
                if let signal = signals.next() {
                    guard signalNames.values.contains(signal) else { break }
                    // self:signal probes run for the signals they name.
                    for (compiledProgram, program) in selfProbes where signalNames[compiledProgram.target.name] == signal {
                        try program.testRun(context: [UInt8](repeating: 0, count: 8))
                    }
                    reader.consume { handler.handle($0) }
                    out.flush()
                }
                // The traced process's mappings, for its stacks after it exits:
                // re-read a few times a second, not on every wake-up.
                if loaded.compiled.usesStacks, let traced = child?.pid ?? options.pid,
                   Self.monotonicNanoseconds() - lastMappings > 200_000_000 {
                    decoder.userSymbols.remember(pid: traced)
                    lastMappings = Self.monotonicNanoseconds()
                }
                if let c = child, c.exited() { break }
                if let pid = options.pid, kill(pid, 0) != 0 && errno == ESRCH { break }
            }
        }
        // Probes stop before END, as bpftrace's do: they see the flag and do
        // nothing. Detaching them waits on the kernel (tens of milliseconds
        // a probe, one after another), so it comes after the output.
        if var globals = try loaded.globals.lookup(UInt32(0), as: Globals.self) {
            globals.stopped = 1
            try loaded.globals.update(UInt32(0), globals)
        }
        reader.consume { handler.handle($0) }
        for (_, program) in ends {
            try program.testRun(context: [UInt8](repeating: 0, count: 8))
        }
        reader.consume { handler.handle($0) }
        child?.terminate()
        if let globals = try loaded.globals.lookup(UInt32(0), as: Globals.self), globals.lost > 0 {
            out.flush()
            err.write("\nLost \(globals.lost) events\n")
        }
        try printMapsAtExit(loaded)
        out.flush()
        err.flush()
        Link.closeAll(loaded.links)
        loaded.links.removeAll()
        return exitCode
    }

    /// The globals map's value, as CompiledScript lays it out.
    struct Globals: BitwiseCopyable {
        var startTime: UInt64
        var childPID: UInt64 = 0
        var lost: UInt64 = 0
        var stopped: UInt64 = 0
    }

    /// Auger's pid namespace unless it is the init one (whose inode is fixed).
    static func pidNamespace() -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard stat("/proc/self/ns/pid", &st) == 0, st.st_ino != 0xEFFF_FFFC else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    static let batchWindowMicroseconds: UInt32 = 1000
    static let burstRecords = 32

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    // MARK: Output

    func printMapsAtExit(_ loaded: LoadedScript) throws {
        guard printMapsOnExit else { return }
        let printer = MapPrinter(decoder: decoder)
        if options.format == .text { out.write("\n") }
        for (map, kernel) in loaded.scriptMaps {
            let entries = try printer.entries(map, kernel)
            if entries.isEmpty { continue }
            writeMap(map, entries, printer, top: 0, div: 0)
        }
    }

    func writeMap(_ map: ScriptMap, _ entries: [MapEntry], _ printer: MapPrinter, top: Int, div: Int) {
        switch options.format {
        case .text:
            if !printer.writeIntegers(map, entries, top: top, div: div, to: out) {
                out.write(printer.text(map, entries, top: top, div: div))
            }
            switch map.kind {
            case .hist, .lhist, .tseries: break
            default: out.write("\n")
            }
        case .json:
            out.write(JSONMaps(printer: printer).record(map, entries, top: top, div: div) + "\n")
        }
    }
}

extension String {
    /// Avoids "ERROR: ERROR:" when a message is already rendered.
    func replacingFirstERROR() -> String {
        hasPrefix("ERROR: ") && dropFirst(7).contains(": ERROR: ") ? String(dropFirst(7)) : self
    }
}
