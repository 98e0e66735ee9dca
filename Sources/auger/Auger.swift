import CBuildInfo
import ArgumentParser
import AugerRuntime
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

@main
struct Auger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auger",
        abstract: "A dynamic tracer for Linux: bpftrace's language, compiled straight to eBPF.",
        usage: """
            auger [options] FILENAME [ARGS...]
            auger [options] -e 'PROGRAM' [ARGS...]
            auger -l [SEARCH]
            auger ps | source PID | flamegraph [FILE]
            """,
        discussion: """
            Examples:
              auger -e 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args.filename)); }'
              auger -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
              auger -l 'tracepoint:syscalls:*open*'
            """,
        // -h and --version are ours, so that help and usage errors look like bpftrace's.
        helpNames: [])

    static let version = "auger v0.1.0 (\(String(cString: auger_build_commit())))"

    /// bpftrace's usage text shape: scripts check for its USAGE: line.
    static var usage: String {
        usageText + "ENVIRONMENT:\n" + EnvironmentVariables.described.map { name, meaning in
            "    " + name + "\n" + "                    " + meaning + "\n"
        }.joined() + "\n"
    }

    static let usageText = """
        USAGE:
            auger [options] FILENAME [ARGS...]
            auger [options] - <program on standard input>
            auger [options] -e 'PROGRAM' [ARGS...]

        OPTIONS:
            -B MODE         output buffering: 'full' (default), 'line' or 'none'
            -c, --cmd 'CMD' run CMD and trace it; stop when it exits (cpid is its pid)
            -d STAGE        debug output: 'dis' prints each program's BPF instructions ('all' too)
            --debuginfo DIR look for stripped binaries' debug files in DIR too (relative: to the binary's directory)
            --dry-run       compile and load through the verifier, attach nothing
            -e 'PROGRAM'    run PROGRAM instead of a file
            -f FORMAT       output format: 'text' (default), 'json', or 'folded' (stack maps
                            as folded stacks, for flame graphs)
            -h, --help      show this message
            --info          print what this system supports (map and probe types, BTF)
            -I DIR          search DIR for headers the script #includes (for their #define constants)
            --include FILE  include FILE before the script, as #include <FILE>
            -k              warn when a helper call fails (so far: reading a map element that is not there)
            -l, --list [SEARCH]
                            list probes matching SEARCH (with -v, their arguments)
            --mode MODE     'run' (default) or 'bench': run BEGIN, time each bench:NAME probe, run END
            --no-feature F,...
                            do not use these kernel features even where present:
                            kprobe_multi, uprobe_multi, kprobe_session
            --no-warnings   do not print the script's warnings
            -o FILE         write output to FILE
            -p, --pid PID   trace process PID; stop when it exits
            --probe-filter REGEX
                            attach only probes whose names match REGEX (BEGIN/END always run)
            -q, --quiet     quiet: no 'Attached N probes' message
            --unsafe        allow functions with side effects, such as system()
            --usdt-file-activation
                            accepted: USDT semaphores are always raised in every process mapping the file
            -v, --verbose   verbose: the verifier's full log on errors
            -V, --version   print the version

        COMMANDS:
            auger ps        list the Auger scripts running on this machine
            auger source PID
                            print the script process PID runs, as its user wrote it
            auger flamegraph [FILE] [-o SVG] [--title TITLE] [--width PIXELS]
                            draw folded stacks (-f folded output) as an interactive SVG

        EXAMPLES:
            auger -e 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args.filename)); }'
            auger -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
            auger -l 'tracepoint:syscalls:*open*'

        """

    /// Usage errors exit 1 as bpftrace's do (not ArgumentParser's 64).
    static func main() {
        let argv = Array(CommandLine.arguments.dropFirst())
        if let name = argv.first, let status = Subcommand.run(name, Array(argv.dropFirst())) { Glibc.exit(status) }
        let command: Auger
        do {
            command = try Auger.parse()
        } catch {
            let message = Auger.message(for: error)
            FileHandleOutput.stderr((message.isEmpty ? "" : "ERROR: \(message)\n") + usage)
            Glibc.exit(1)
        }
        do {
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            FileHandleOutput.stderr("ERROR: \(Auger.message(for: error))\n")
            Glibc.exit(1)
        }
        Glibc.exit(0)
    }

    @Flag(name: [.short, .long], help: "Show usage.")
    var help = false

    @Flag(name: [.customShort("V"), .long], help: "Print the version.")
    var version = false

    @Option(name: .customShort("B"), help: "Output buffering: full, line or none.")
    var buffering: String = "full"

    @Flag(name: .short, help: "Warn when a helper call fails (so far: reading a missing map element).")
    var k: Int

    @Option(name: .customShort("I"), help: "Search DIR for the script's #include headers.")
    var includeDirectory: [String] = []

    @Option(name: .customLong("include"), help: "Include FILE before the script, as #include <FILE>.")
    var include: [String] = []

    @Option(name: .customLong("debuginfo"), help: "Search DIR for separate debug files (.gnu_debuglink names, .build-id/).")
    var debuginfo: [String] = []

    @Option(name: .customShort("d"), help: "Debug output: 'dis' (each program's BPF instructions) or 'all'.")
    var debug: [String] = []

    @Flag(name: .customLong("info"), help: "Print what this system supports.")
    var info = false

    @Option(name: .customLong("mode"), help: "run (default) or bench.")
    var mode: String = "run"

    @Option(name: .customLong("no-feature"), help: "Kernel features not to use: kprobe_multi, uprobe_multi, kprobe_session.")
    var noFeature: [String] = []

    @Flag(name: .customLong("no-warnings"), help: "Do not print warnings.")
    var noWarnings = false

    @Option(name: .customLong("probe-filter"), help: "Attach only probes whose names match this regular expression.")
    var probeFilter: String?

    @Option(name: .short, help: "The program to run, instead of a file.")
    var e: String?

    @Flag(name: [.short, .customLong("list")], help: "List probes (matching SEARCH).")
    var l = false

    @Option(name: [.short, .customLong("pid")], help: "Trace this process id; stop when it exits.")
    var p: String?

    @Option(name: [.short, .customLong("cmd")], help: "Run COMMAND and trace it; stop when it exits. cpid is its pid.")
    var c: String?

    @Option(name: [.short, .customLong("output")], help: "Write output to FILE instead of standard output.")
    var o: String?

    @Flag(name: [.short, .customLong("quiet")], help: "Quiet: no 'Attached N probes' message.")
    var q = false

    @Option(name: .short, help: "Output format: text or json.")
    var f: String = "text"

    @Flag(name: [.short, .customLong("verbose")], help: "Verbose: the verifier's full log on errors; fields with -l.")
    var v = false

    @Flag(name: .customLong("dry-run"), help: "Compile and load through the verifier, then exit without attaching.")
    var dryRun = false

    @Flag(name: .customLong("unsafe"), help: "Allow functions with side effects, such as system().")
    var unsafe = false

    // bpftrace's option; Auger always works this way (the kernel raises a
    // marker's semaphore in every process that maps the file), so it changes nothing.
    @Flag(name: .customLong("usdt-file-activation"), help: "USDT semaphores are raised in every process that maps the file (always so in Auger).")
    var usdtFileActivation = false

    @Argument(parsing: .remaining, help: "A script file (or - for standard input), then its positional parameters.")
    var arguments: [String] = []

    /// Far more than any script; a path may name /dev/zero.
    static let maxScriptSize = 16 << 20

    func run() throws {
        if help { print(Self.usage, terminator: ""); return }
        if version { print(Self.version); return }
        if info {
            try requirePrivileges("--info (probing the kernel's features)")
            print(SystemInfo.report(version: Self.version), terminator: ""); return
        }
        DebugFiles.setSearchDirectories(debuginfo)
        if l {
            try requirePrivileges("-l (listing probes from tracefs and the kernel's symbols)")
            let lister = ProbeLister(pid: p.flatMap { Int32($0) })
            do {
                var listing: String
                if let e {
                    listing = try lister.list(program: SourceFile(name: "stdin", text: e), verbose: v)
                } else if let file = arguments.first, file.hasSuffix(".bt") {
                    // `-l script.bt`: the probes of that script, as bpftrace lists them.
                    if let text = try? readFile(file, limit: Self.maxScriptSize) {
                        listing = try lister.list(program: SourceFile(name: file, text: text), verbose: v)
                    } else {
                        FileHandleOutput.stderr("WARNING: It appears that '\(file)' is a filename but the file does not exist. Treating '\(file)' as a search pattern.\n")
                        listing = try lister.list(pattern: file, verbose: v)
                    }
                } else {
                    listing = try lister.list(pattern: arguments.first, verbose: v)
                }
                print(listing, terminator: "")
            } catch {
                FileHandleOutput.stderr("\(error)".hasPrefix("stdin:") ? "\(error)\n" : "ERROR: \(error)\n")
                throw ExitCode(1)
            }
            return
        }
        // After `--`, `--name[=value]` are getopt() options (ArgumentParser
        // drops the `--` and refuses such words before it), the rest positional.
        var args: [String] = [], named: [String: String] = [:]
        for a in arguments {
            if a.hasPrefix("--") && a.count > 2 {
                let body = a.dropFirst(2)
                if let eq = body.firstIndex(of: "=") { named[String(body[..<eq])] = String(body[body.index(after: eq)...]) } else { named[String(body)] = "" }
            } else if a != "--" {
                args.append(a)
            }
        }
        let source: SourceFile
        if let program = e {
            source = SourceFile(name: "stdin", text: program)
        } else if let file = args.first {
            args.removeFirst()
            let text: String
            do { text = try readFile(file, limit: Self.maxScriptSize) } catch {
                let reason = (error as? Errno).map { String(cString: strerror($0.rawValue)) } ?? "\(error)"
                FileHandleOutput.stderr("ERROR: failed to open file '\(file)': \(reason)\n")
                throw ExitCode(1)
            }
            source = SourceFile(name: file == "-" ? "stdin" : file, text: text)
        } else {
            FileHandleOutput.stderr("ERROR: give a program with -e 'PROGRAM' or a script FILENAME\n" + Self.usage)
            throw ExitCode(1)
        }
        try requirePrivileges("auger (loading and attaching BPF programs)")
        guard let format = RunOptions.Format(rawValue: f) else {
            FileHandleOutput.stderr("ERROR: Invalid output format \"\(f)\"\nValid formats: 'text', 'json', 'folded'\n")
            throw ExitCode(1)
        }
        var options = RunOptions()
        guard let mode = RunOptions.Buffering(rawValue: buffering) else {
            FileHandleOutput.stderr("ERROR: Invalid buffer mode: \(buffering)\nValid modes: 'full', 'line', 'none'\n")
            throw ExitCode(1)
        }
        options.buffering = mode
        // bench:NAME probes are timed whenever the script has them; --mode bench says so.
        guard ["run", "bench"].contains(self.mode) else {
            FileHandleOutput.stderr("ERROR: Invalid mode: \(self.mode)\nValid modes: 'run', 'bench'\n")
            throw ExitCode(1)
        }
        options.warnings = !noWarnings
        if let probeFilter {
            do { options.probeFilter = try Regex(probeFilter) } catch {
                FileHandleOutput.stderr("ERROR: Invalid --probe-filter regex '\(probeFilter)': \(error)\n")
                throw ExitCode(1)
            }
        }
        for name in noFeature.flatMap({ $0.split(separator: ",") }) {
            guard let feature = KernelFeature(rawValue: String(name)) else {
                let valid = KernelFeature.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                FileHandleOutput.stderr("ERROR: Invalid feature: \(name)\nValid features: \(valid)\n")
                throw ExitCode(1)
            }
            options.disabledFeatures.insert(feature)
        }
        options.format = format
        options.quiet = q
        options.verbose = v
        options.dryRun = dryRun
        options.unsafe = unsafe
        options.command = c
        if let p {
            guard let pid = Int64(p) else {
                let reason = p.first.map { $0.isNumber } == true ? "invalid trailing bytes" : "invalid integer"
                FileHandleOutput.stderr("ERROR: Failed to parse pid: \(reason): \(p)\n")
                throw ExitCode(1)
            }
            guard pid > 0, pid <= 4_194_304 else {
                FileHandleOutput.stderr("ERROR: Pid out of range: \(p)\n")
                throw ExitCode(1)
            }
            guard kill(pid_t(pid), 0) == 0 || errno == EPERM else {
                FileHandleOutput.stderr("ERROR: No process with pid \(p)\n")
                throw ExitCode(1)
            }
            options.pid = Int32(pid)
        }
        options.positional = args
        options.named = named
        options.helperErrors = k > 0
        for stage in debug where !["dis", "all"].contains(stage) {
            FileHandleOutput.stderr("ERROR: Invalid debug stage: \(stage)\nValid stages: 'dis', 'all'\n")
            throw ExitCode(1)
        }
        options.dumpInstructions = !debug.isEmpty
        options.includeDirectories = includeDirectory
        options.includes = include
        options.notifyAttached = getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED") != nil
        var output = OutputSink()
        if let o {
            let fd = open(o, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ValidationError("Cannot write to '\(o)': \(String(cString: strerror(errno)))") }
            output = OutputSink(fd: fd)
        }
        output.buffering = mode
        let status = Session(source: source, options: options, output: output).run()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Stops with the reason when this process may not trace.
func requirePrivileges(_ action: String) throws {
    guard let problem = Privileges.problem(for: action) else { return }
    FileHandleOutput.stderr("ERROR: \(problem)\n")
    throw ExitCode(1)
}

enum FileHandleOutput {
    static func stderr(_ s: String) {
        var bytes = Array(s.utf8)
        _ = write(2, &bytes, bytes.count)
    }
}
