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
    /// Set when an exit() record is read: records after it are dropped until END runs.
    var afterExit = false
    /// While an iterator's read runs: what it prints after its exit() is kept, as in bpftrace.
    var iterating = false
    var child: ChildProcess?
    var printMapsOnExit = true
    /// missing_probes = "warn": probes the kernel refuses are skipped, not fatal.
    var skipUnattachable = false
    /// When the traced process's mappings were last read.
    var lastMappings: UInt64 = 0
    /// Events the kernel side could not hand over (ring buffer full): those reported so far, and when last checked.
    var reportedLost: UInt64 = 0
    var lastLostCheck: UInt64 = 0
    /// The -c command's mappings as it makes them, for naming its addresses after it exits.
    var mmapRecords: MmapRecords?
    /// cat() prints at most this much of a file.
    var maxCatBytes = 10240
    /// Watchpoints on a function's argument, placed when the function runs.
    let watchpoints = WatchpointArming()

    public init(source: SourceFile, options: RunOptions, output: OutputSink = OutputSink()) {
        self.source = source
        self.options = options
        self.out = output
    }

    /// Runs the script; returns the process exit status.
    public func run() -> Int32 {
        defer { out.flush(); err.flush() }
        do {
            let status = try runChecked()
            out.flush()
            if let error = out.writeError, out.fd != 1 || error.rawValue != EPIPE {
                // Output that did not arrive is a failed run, not a silent one.
                err.write("ERROR: cannot write the output: \(error)\n")
                return 1
            }
            return status
        } catch RuntimeError.plain(let message) {
            err.write(message + "\n")
            return 1
        } catch RuntimeError.diagnostics(let diagnostics, let source) {
            err.write(diagnostics.rendered(in: source) + "\n")
            return diagnostics.hasErrors ? 1 : 0
        } catch let e as AttachError {
            err.write(AttachError.rendered(e, in: source) + "\n")
            return 1
        } catch let e as RuntimeError {
            err.write("ERROR: \(e.description)\n".replacingFirstERROR())
            return 1
        } catch {
            err.write("ERROR: \(error)\n")
            return 1
        }
    }

    /// Compiles the script for this system, loads it, and runs it.
    func runChecked() throws -> Int32 {
        let written = source
        let run = try ScriptCompilation(options: options, warnings: err).compile(source)
        source = run.source
        decoder.enums = run.enums
        decoder.stackMode = run.stackMode
        decoder.showDebugInfo = run.showDebugInfo
        decoder.userSymbols.demangle = run.cppDemangle
        decoder.truncation = (run.maxStrlen + 2, run.truncationTrailer)
        decoder.gfpFlags = run.gfpFlags
        printMapsOnExit = run.printMapsOnExit
        skipUnattachable = run.skipUnattachable
        maxCatBytes = run.maxCatBytes
        let compiled = run.script
        if options.dumpInstructions {
            // -d dis: the instructions as the verifier's log lists them, per program.
            for program in compiled.programs {
                err.write("\n\(program.spec.name) (\(program.target.name)):\n" + program.spec.instructions.disassembled() + "\n")
            }
            err.flush()
        }
        if let command = options.command { try ChildProcess.checkRunnable(command) }
        let loaded = try LoadedScript(compiled)
        loaded.publish(fileName: written.name, text: written.text,
                       arguments: options.positional + options.named.sorted { $0.key < $1.key }.map { "--\($0.key)=\($0.value)" })
        try loaded.load(verbose: options.verbose, source: source)
        loaded.bindRecord()
        if options.dryRun { return 0 }
        return try execute(loaded, run.resolver)
    }

    // MARK: Running

    /// missing_probes = "warn": a probe the kernel refused, said once and left out.
    func warnSkipped(_ target: AttachTarget) {
        guard options.warnings else { return }
        var d = Diagnostics()
        d.warning("Unable to attach probe: \(target.name). Skipping.", at: target.range)
        err.write(d.rendered(in: source) + "\n")
    }

    /// A watchpoint's links are kept by its address, for unwatch().
    func keep(_ links: [Link], of target: AttachTarget, in loaded: LoadedScript) {
        if case .breakpoint(let address, _, _) = target.location { watchpoints.placed(address, links) } else { loaded.links += links }
    }

    func execute(_ loaded: LoadedScript, _ resolver: AttachPointResolver) throws -> Int32 {
        decoder.stacks = loaded.stacks
        decoder.timeFormats = loaded.compiled.timeFormats
        func programs(_ kind: ProbeKind) -> [(CompiledProgram, BPF.Program)] { loaded.programs.filter { $0.0.target.kind == kind } }
        let selfProbes = programs(.selfSignal)
        let signalNames = Dictionary(selfProbes.compactMap { p -> (String, Int32)? in
            guard case .signal(let name) = p.0.target.location, let number = SignalWatcher.userSignals[name] else { return nil }
            return (p.0.target.name, number)
        }) { a, _ in a }
        let signals = try SignalWatcher(also: Array(Set(signalNames.values).union([SIGUSR1])))
        let reader = try RingBufferReader(loaded.ringBuffer)
        try reader.watch(signals.fd)
        let handler = EventHandler(session: self, loaded: loaded)
        try loaded.globals.update(UInt32(0), Globals(startTime: Self.monotonicNanoseconds()))

        let begins = programs(.begin), ends = programs(.end), benches = programs(.bench)
        // Probes run from user space are not attached: BEGIN, END, bench and self.
        let others = loaded.programs.filter { !$0.0.target.kind.runsInAuger }
        // bpftrace's order: attach, say so, run BEGIN. Timers start after
        // BEGIN, so `interval:s:1` fires a whole second after it.
        var skipped = 0
        // Watchpoints on the -c command's memory wait for its process (below).
        func watchesCommand(_ t: AttachTarget) -> Bool {
            guard options.command != nil, case .breakpoint(let address, _, _) = t.location else { return false }
            return !WatchpointProbes.isKernelAddress(address)
        }
        let now = others.filter { !$0.0.target.kind.isTimer && $0.0.target.kind != .iter && !watchesCommand($0.0.target) }
        func newestFirst(_ p: (CompiledProgram, BPF.Program)) -> Bool { p.0.target.kind.family.runsNewestFirst(p.0.target.kind) }
        for (compiledProgram, program) in now.filter({ !newestFirst($0) }) + now.filter(newestFirst).reversed() {
            do { keep(try resolver.attach(program, to: compiledProgram.target), of: compiledProgram.target, in: loaded) } catch {
                guard skipUnattachable else { throw error }
                warnSkipped(compiledProgram.target)
                skipped += compiledProgram.probeCount
                // The system calls a dispatcher serves go with it.
                if case .syscallDispatch(_, let table, _, _) = compiledProgram.target.location {
                    skipped += loaded.programs.filter { $0.0.target.syscallTable == table }.reduce(0) { $0 + $1.0.probeCount }
                }
            }
        }
        if options.command == nil, let pid = options.pid {
            try watchpoints.start(others, maps: loaded.maps, pid: pid, resolver: resolver)
        }
        // Each function behind a kprobe_multi link counts, as bpftrace counts them.
        let n = loaded.programs.reduce(0) { $0 + $1.0.probeCount } - skipped
        loaded.recordAttached(n)
        if !options.quiet {
            options.format.output.attached(n, out: out, err: err)
        }
        if options.notifyAttached {
            out.write("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n")
            out.flush()
        }
        // The -c command exists (waiting to exec) before BEGIN, so cpid is valid there.
        if let command = options.command {
            child = try ChildProcess(command)
            try loaded.globals.update(UInt32(0), Globals(startTime: Self.monotonicNanoseconds(), childPID: UInt64(child!.pid)))
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
            for (compiledProgram, program) in others where compiledProgram.target.kind.isTimer {
                do { loaded.links += try resolver.attach(program, to: compiledProgram.target) } catch {
                    guard skipUnattachable else { throw error }
                    warnSkipped(compiledProgram.target)
                }
            }
        }
        // Iterators run once, after BEGIN: reading one runs its program over every object.
        let iterators = others.filter { $0.0.target.kind == .iter }
        for (compiledProgram, program) in iterators where !exitRequested {
            let links = try resolver.attach(program, to: compiledProgram.target)
            loaded.links += links
            iterating = true
            defer { iterating = false }
            for link in links { try link.iterate { reader.consume { handler.handle($0) } } }
            out.flush()
        }
        // As in bpftrace's newest versions, a script of only BEGIN and END (and
        // iterators, which have run by now) is done after BEGIN.
        if others.count == iterators.count && selfProbes.isEmpty && options.command == nil && options.pid == nil { exitRequested = true }
        if !exitRequested {
            if child != nil {
                for (compiledProgram, program) in others where watchesCommand(compiledProgram.target) {
                    keep(try resolver.attach(program, to: compiledProgram.target, process: child!.pid), of: compiledProgram.target, in: loaded)
                }
                try watchpoints.start(others, maps: loaded.maps, pid: child!.pid, resolver: resolver)
                // Its mappings as the kernel makes them: it may be gone before its addresses are named.
                if loaded.compiled.namesUserAddresses { mmapRecords = try? MmapRecords(pid: child!.pid) }
                child!.start(waitingForExec: loaded.compiled.namesUserAddresses)
                if loaded.compiled.namesUserAddresses { decoder.userSymbols.remember(pid: child!.pid) }
            }
            while !exitRequested {
                // The kernel wakes us for a record only when we had read them all.
                // After a burst, pausing a moment lets the next one gather, so a
                // busy probe pays for one wake-up per batch, not per record;
                // sparse records (and exit()) are handled at once.
                _ = try reader.wait(timeout: child == nil && options.pid == nil ? 1000 : 50)
                // A bounded batch: a flood of records must not keep signals from being seen.
                let handled = reader.consume(limit: Self.batchLimit) { handler.handle($0) }
                out.flush()
                if handled >= Self.burstRecords && !exitRequested { usleep(Self.batchWindowMicroseconds) }
                if let signal = signals.next() {
                    // As in bpftrace: SIGUSR1 prints every map, and the run goes on.
                    if signal == SIGUSR1 && !signalNames.values.contains(signal) {
                        try printMaps(loaded)
                        out.flush()
                        continue
                    }
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
                if let records = mmapRecords { decoder.userSymbols.record(records.drain()) }
                if loaded.compiled.namesUserAddresses, let traced = child?.pid ?? options.pid,
                   Self.monotonicNanoseconds() - lastMappings > 200_000_000 {
                    decoder.userSymbols.remember(pid: traced)
                    lastMappings = Self.monotonicNanoseconds()
                }
                if Self.monotonicNanoseconds() - lastLostCheck > 1_000_000_000 {
                    reportLostEvents(loaded)
                    lastLostCheck = Self.monotonicNanoseconds()
                }
                if let c = child, c.exited() { break }
                if let pid = options.pid, Self.hasEnded(pid) { break }
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
        afterExit = false
        for (_, program) in ends {
            try program.testRun(context: [UInt8](repeating: 0, count: 8))
        }
        reader.consume { handler.handle($0) }
        // Once more before it goes: the maps printed next may name its addresses.
        if loaded.compiled.namesUserAddresses, let traced = child?.pid { decoder.userSymbols.remember(pid: traced) }
        if let records = mmapRecords { decoder.userSymbols.record(records.drain()) }
        child?.terminate()
        handler.messages.writeSummary(to: err, source: source, calls: loaded.compiled.formattedCalls)
        reportLostEvents(loaded)
        try printMapsAtExit(loaded)
        out.flush()
        err.flush()
        // Many perf-event attachments take seconds to detach (an RCU grace
        // period each): children do it after auger has exited. A few are
        // closed here, so that nothing is left once auger is gone.
        if loaded.links.count <= Self.detachInlineLimit || !Link.closeInBackground(loaded.links) {
            Link.closeAll(loaded.links)
        }
        loaded.links.removeAll()
        return exitCode
    }

    /// Lost events as they happen (at most once a second), not only at the end:
    /// each report counts those lost since the one before, as bpftrace's do.
    func reportLostEvents(_ loaded: LoadedScript) {
        guard let globals = try? loaded.globals.lookup(UInt32(0), as: Globals.self), globals.lost > reportedLost else { return }
        out.flush()
        err.write("\nLost \(globals.lost - reportedLost) events\n")
        err.flush()
        reportedLost = globals.lost
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
    static let detachInlineLimit = 32
    static let batchLimit = 1 << 14
    static let burstRecords = 32

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    // MARK: Output

    func printMapsAtExit(_ loaded: LoadedScript) throws {
        guard printMapsOnExit else { return }
        try printMaps(loaded)
    }

    /// Whether a -p process is gone or a zombie (it runs no more code; its
    /// parent may take its time to reap it).
    static func hasEnded(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        let state = ProcessStat.fields(of: pid)?.first
        return state == "Z" || state == "X"
    }

    /// Every map that holds something, as at exit.
    func printMaps(_ loaded: LoadedScript) throws {
        let printer = MapPrinter(decoder: decoder)
        options.format.output.beforeMapsAtExit(out: out)
        for (map, kernel) in loaded.scriptMaps {
            let entries = try printer.entries(map, kernel)
            if entries.isEmpty { continue }
            writeMap(map, entries, printer, top: 0, div: 0)
        }
    }

    func writeMap(_ map: ScriptMap, _ entries: [MapEntry], _ printer: MapPrinter, top: Int, div: Int) {
        options.format.output.map(map, entries, printer, top: top, div: div, out: out)
    }
}

extension String {
    /// Avoids "ERROR: ERROR:" when a message is already rendered.
    func replacingFirstERROR() -> String {
        hasPrefix("ERROR: ") && dropFirst(7).contains(": ERROR: ") ? String(dropFirst(7)) : self
    }
}
