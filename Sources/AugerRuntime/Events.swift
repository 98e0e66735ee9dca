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

    init(session: Session, loaded: LoadedScript) {
        self.session = session
        self.loaded = loaded
        self.printf = PrintfFormatter(decoder: session.decoder)
        self.printer = MapPrinter(decoder: session.decoder)
    }

    func handle(_ record: UnsafeRawBufferPointer) {
        guard record.count >= 8 else { return }
        let bytes = Array(record)[...]
        let head = session.decoder.word(bytes)
        let id = Int(head & 0xffff_ffff)
        guard let kind = EventKind(rawValue: head >> 32) else { return }
        let compiled = loaded.compiled
        switch kind {
        case .printf, .cat, .system:
            guard id < compiled.formattedCalls.count else { return }
            let call = compiled.formattedCalls[id]
            let text = printf.format(call, bytes)
            switch session.options.format {
            case .text: session.out.write(text)
            case .json: session.out.write("{\"type\": \"printf\", \"data\": \(JSON.quote(text))}\n")
            }
        case .printValue:
            guard id < compiled.printedValues.count else { return }
            let t = compiled.printedValues[id]
            switch session.options.format {
            case .text: session.out.write(session.decoder.text(t, bytes.dropFirst(8)) + "\n")
            case .json: session.out.write("{\"type\": \"value\", \"data\": \(session.decoder.json(t, bytes.dropFirst(8)))}\n")
            }
        case .printMap:
            guard id < loaded.scriptMaps.count else { return }
            let (map, kernel) = loaded.scriptMaps[id]
            let top = Int(session.decoder.word(bytes, 8)), div = Int(session.decoder.word(bytes, 16))
            guard let entries = try? printer.entries(map, kernel) else { return }
            session.writeMap(map, entries, printer, top: top, div: div)
        case .clearMap, .zeroMap:
            guard id < loaded.scriptMaps.count else { return }
            let (map, kernel) = loaded.scriptMaps[id]
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
        case .time:
            let fmt = id < compiled.timeFormats.count ? compiled.timeFormats[id] : "%H:%M:%S\n"
            session.out.write(Self.strftime(fmt))
        }
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

    init() throws {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        fd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        if fd < 0 { throw RuntimeError.system("cannot watch signals: \(String(cString: strerror(errno)))") }
    }

    /// Whether a signal arrived (consumes it).
    func pending() -> Bool {
        var info = signalfd_siginfo()
        return read(fd, &info, MemoryLayout<signalfd_siginfo>.size) > 0
    }

    deinit { close(fd) }
}

/// The command given with -c, started once probes are attached.
final class ChildProcess {
    let pid: pid_t
    private var startPipe: Int32
    private var status: Int32 = 0
    private var done = false

    /// Forks a child that waits on a pipe, so its pid is known (for cpid)
    /// before it runs.
    init(_ command: String) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw RuntimeError.system("cannot start '\(command)': pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[0], 63)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        // The shell waits for one byte on fd 63, then runs the command.
        let script = "read -r _ <&63; exec 63<&-; exec " + command
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(script), nil]
        defer { argv.forEach { free($0) } }
        let r = posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        close(fds[0])
        guard r == 0 else {
            close(fds[1])
            throw RuntimeError.system("cannot start '\(command)': \(String(cString: strerror(r)))")
        }
        pid = child
        startPipe = fds[1]
    }

    func start() {
        var newline: UInt8 = 10
        _ = write(startPipe, &newline, 1)
        close(startPipe)
        startPipe = -1
    }

    func exited() -> Bool {
        if done { return true }
        if waitpid(pid, &status, WNOHANG) == pid { done = true }
        return done
    }

    func terminate() {
        if startPipe >= 0 { close(startPipe); startPipe = -1 }
        if !exited() {
            kill(pid, SIGTERM)
            _ = waitpid(pid, &status, 0)
            done = true
        }
    }
}
