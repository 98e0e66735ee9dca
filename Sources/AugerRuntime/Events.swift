import AugerCompiler
import AugerScript
import BPF
import CBPF
#if canImport(Glibc)
import Glibc
#endif

/// Carries out what programs ask for through the ring buffer.
struct EventHandler {
    unowned let session: Session
    let loaded: LoadedScript
    let printf: PrintfFormatter
    let printer: MapPrinter
    let plans: [PrintfPlan]
    /// Read once: options are a struct, and copying it per record costs.
    let textOutput: Bool
    let output: any OutputFormat
    /// Per-call-site rate limits of errorf/warnf and the kernel side's warnings.
    let messages = MessageLimiter()

    init(session: Session, loaded: LoadedScript) {
        self.session = session
        self.textOutput = session.options.format == .text
        self.output = session.options.format.output
        self.loaded = loaded
        let truncated = session.decoder.truncation?.capacity
        self.plans = loaded.compiled.formattedCalls.map { PrintfPlan($0, truncatedStrings: truncated) }
        self.printf = PrintfFormatter(decoder: session.decoder)
        self.printer = MapPrinter(decoder: session.decoder)
    }

    func handle(_ record: UnsafeRawBufferPointer) {
        guard record.count >= 8 else { return }
        let head = record.loadUnaligned(as: UInt64.self)
        let id = Int(head & 0xffff_ffff)
        guard let kind = EventKind(rawValue: head >> 32) else { return }
        // What other CPUs emitted after exit() ran (their probes had passed the stop flag) is not shown.
        if session.afterExit { return }
        if kind == .printf && textOutput && id < plans.count {
            plans[id].render(record, printf, into: session.out)
            return
        }
        // After exit(), queued system() calls are not run.
        if kind == .system && session.exitRequested { return }
        let bytes = Array(record)[...]
        let compiled = loaded.compiled
        switch kind {
        case .printf, .cat, .system, .message:
            guard id < compiled.formattedCalls.count else { return }
            let call = compiled.formattedCalls[id]
            var heldBack = 0
            if kind == .message {
                if call.function != "errorf" && !session.options.warnings { return }
                let (print, suppressed) = messages.admit(id)
                if !print { return }
                heldBack = suppressed
            }
            var text = printf.format(call, bytes)
            if kind == .cat {
                text = Self.fileContents(text, limit: session.maxCatBytes)
            } else if kind == .message {
                let severity: Diagnostic.Severity = call.function == "errorf" ? .error : .warning
                if severity == .warning && !session.options.warnings { return }
                text = ([Diagnostic(severity, text, at: call.range)] + call.expandedFrom.map { Diagnostic(severity, "expanded from", at: $0) })
                    .map { $0.rendered(in: session.source) + "\n" }.joined()
                if heldBack > 0 { text += MessageLimiter.heldBackNote(heldBack) }
            } else if kind == .system {
                text = Self.runShell(text, allowed: session.options.unsafe)
            }
            if kind == .message {
                output.message(text, out: session.out, err: session.err)
            } else {
                output.text(text, from: kind, out: session.out)
            }
        case .printValue:
            guard id < compiled.printedValues.count else { return }
            let t = compiled.printedValues[id]
            output.value(t, bytes.dropFirst(8), decoder: session.decoder, out: session.out)
        case .printMap:
            guard let (map, kernel) = loaded.scriptMapsByID[id] else { return }
            let top = Int(session.decoder.word(bytes, 8)), div = Int(session.decoder.word(bytes, 16))
            guard var entries = try? printer.entries(map, kernel) else { return }
            if entries.isEmpty, map.key == nil { entries = printer.zeroEntry(map) } // print(@) of an unset scalar shows its zero
            session.writeMap(map, entries, printer, top: top, div: div)
        case .clearMap, .zeroMap:
            guard let (map, kernel) = loaded.scriptMapsByID[id] else { return }
            guard let keys = try? kernel.keys() else { return }
            for key in keys {
                if kind == .clearMap && !map.spec.type.isArray {
                    _ = try? kernel.delete(key: key)
                } else {
                    _ = try? kernel.update(key: key, value: [UInt8](repeating: 0, count: kernel.valueBufferSize))
                }
            }
        case .exit:
            session.exitCode = Int32(truncatingIfNeeded: Int64(bitPattern: session.decoder.word(bytes, 8)))
            session.exitRequested = true
            session.afterExit = !session.iterating
        case .join:
            let count = Int(session.decoder.word(bytes, 8))
            let size = CompiledScript.joinArgumentSize
            let parts = (0..<min(count, CompiledScript.joinArguments)).map { session.decoder.string(bytes.dropFirst(16 + $0 * size), size) }
            let separator = id < compiled.joinSeparators.count ? compiled.joinSeparators[id] : " "
            let text = parts.joined(separator: separator)
            output.line(text, from: .join, out: session.out)
        case .armWatchpoint:
            let address = session.decoder.word(bytes, 8), pid = Int32(truncatingIfNeeded: session.decoder.word(bytes, 16))
            do { try session.watchpoints.arm(index: id, address: address, pid: pid) } catch {
                session.err.write(AttachError.rendered(error, in: session.source) + "\n")
                session.exitCode = 1
                session.exitRequested = true
            }
        case .unwatch:
            session.watchpoints.unwatch(session.decoder.word(bytes, 8))
        case .time:
            let fmt = id < compiled.timeFormats.count ? compiled.timeFormats[id] : "%H:%M:%S\n"
            let text = Self.strftime(fmt)
            output.line(text, from: .time, out: session.out)
        }
    }

    /// cat(): a file's contents, at most `limit` bytes.
    /// Reads at most `limit` bytes and never waits: a FIFO with no writer
    /// or an endless device must not stall the event loop.
    static func fileContents(_ path: String, limit: Int) -> String {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return "ERROR: failed to open file '\(path)' (\(String(cString: strerror(errno))))\n" }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: max(0, limit))
        var have = 0
        while have < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, $0.count - have) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            have += n
        }
        return String(decoding: bytes[..<have], as: UTF8.self)
    }

    /// system(): runs a shell command and returns what it printed.
    static func runShell(_ command: String, allowed: Bool) -> String {
        guard allowed else { return "" }
        guard let pipe = popen(command, "r") else { return "" }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        pclose(pipe)
        return String(decoding: out, as: UTF8.self)
    }

    static func strftime(_ format: String) -> String {
        var t = time(nil)
        var tm = tm()
        localtime_r(&t, &tm)
        var buffer = [Int8](repeating: 0, count: 256)
        let n = Glibc.strftime(&buffer, buffer.count, format, &tm)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// SIGINT and SIGTERM as a readable descriptor, so the event loop wakes at once.
final class SignalWatcher {
    let fd: Int32
    /// The signals `self:signal:NAME` probes may wait for.
    static let userSignals = ["SIGUSR1": SIGUSR1, "SIGUSR2": SIGUSR2, "USR1": SIGUSR1, "USR2": SIGUSR2]

    /// Watches SIGINT and SIGTERM, and `also` (signals probes wait for).
    init(also: [Int32] = []) throws {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM] + also { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        fd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        if fd < 0 { throw RuntimeError.system("cannot watch signals: \(String(cString: strerror(errno)))") }
    }

    /// The next signal that arrived, if any (consumes it).
    func next() -> Int32? {
        var info = signalfd_siginfo()
        return read(fd, &info, MemoryLayout<signalfd_siginfo>.size) > 0 ? Int32(info.ssi_signo) : nil
    }

    deinit { close(fd) }
}

/// The command given with -c, started once probes are attached.
final class ChildProcess {
    let pid: pid_t
    private var startPipe: Int32
    /// Read end of a pipe whose write end only the child holds until it
    /// execs (close-on-exec): end of file says the command is running.
    private var execPipe: Int32
    private var status: Int32 = 0
    private var done = false

    /// Forks a child that waits on a pipe before it execs the command, so its
    /// pid is known (for cpid and predicates) before it runs a single
    /// instruction of its own. The command is split on blanks, with quotes
    /// grouping words, and found on PATH like a shell would.
    init(_ command: String) throws {
        let words = Self.split(command)
        guard let program = words.first else { throw RuntimeError.system("-c needs a command") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw RuntimeError.system("cannot start '\(command)': pipe failed") }
        var exec: [Int32] = [0, 0]
        guard pipe(&exec) == 0 else { throw RuntimeError.system("cannot start '\(command)': pipe failed") }
        for fd in fds + exec { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } // the command inherits no end
        // Everything the child touches is prepared before fork: it only
        // reads, execs and exits, which are safe in a forked multithreaded process.
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var empty = sigset_t()
        sigemptyset(&empty)
        let child = fork()
        if child == 0 {
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            close(fds[1]) // so that the parent's death reads as end of file
            var byte: UInt8 = 0
            _ = read(fds[0], &byte, 1)
            if byte == 1 { execvp(program, argv) }
            _exit(127)
        }
        close(fds[0])
        close(exec[1])
        guard child > 0 else {
            close(fds[1])
            close(exec[0])
            throw RuntimeError.system("cannot start '\(command)': \(String(cString: strerror(errno)))")
        }
        pid = child
        startPipe = fds[1]
        execPipe = exec[0]
    }

    /// Fails unless the command's program exists and may be executed, so a
    /// typo is an error before anything is loaded, not a silent exit 127.
    static func checkRunnable(_ command: String) throws {
        guard let program = split(command).first else { throw RuntimeError.system("-c needs a command") }
        let candidates = program.contains("/") ? [program]
            : (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(program)" }
        if candidates.contains(where: { access($0, X_OK) == 0 }) { return }
        let exists = candidates.contains { access($0, F_OK) == 0 }
        throw RuntimeError.system("cannot run the -c command: '\(program)' \(exists ? "is not executable" : "was not found")")
    }

    static func split(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for c in command {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    deinit {
        if startPipe >= 0 { close(startPipe) }
        if execPipe >= 0 { close(execPipe) }
    }

    /// Lets the command run; with `waitingForExec`, returns once it has
    /// exec'd (or failed to), so its mappings are the command's when read next.
    func start(waitingForExec: Bool = false) {
        var go: UInt8 = 1
        _ = write(startPipe, &go, 1)
        close(startPipe)
        startPipe = -1
        guard waitingForExec else { return }
        var byte: UInt8 = 0
        while read(execPipe, &byte, 1) < 0 && errno == EINTR {}
        close(execPipe)
        execPipe = -1
    }

    func exited() -> Bool {
        if done { return true }
        if waitpid(pid, &status, WNOHANG) == pid { done = true }
        return done
    }

    func terminate() {
        if startPipe >= 0 { close(startPipe); startPipe = -1 } // the child exits without running
        if !exited() {
            kill(pid, SIGTERM)
            _ = waitpid(pid, &status, 0)
            done = true
        }
    }
}
