import ArgumentParser
import AugerRuntime
import BPF
import FlameGraph
#if canImport(Glibc)
import Glibc
#endif

/// `auger ps`, `auger source PID` and `auger flamegraph`: commands that run
/// no script. A script file named like one of them runs as `./ps`.
enum Subcommand {
    /// The command's exit status, or nil when `name` is not a command.
    static func run(_ name: String, _ arguments: [String]) -> Int32? {
        let command: any ParsableCommand.Type
        switch name {
        case "ps": command = ListSessions.self
        case "source": command = PrintSource.self
        case "flamegraph": command = DrawFlameGraph.self
        default: return nil
        }
        do {
            var parsed = try command.parseAsRoot(arguments)
            try parsed.run()
            return 0
        } catch let code as ExitCode {
            return code.rawValue
        } catch {
            let message = command.message(for: error)
            if command.exitCode(for: error) == .success {
                print(command.helpMessage())
                return 0
            }
            FileHandleOutput.stderr("ERROR: \(message)\n")
            return 1
        }
    }
}

/// Listing maps of other processes needs CAP_SYS_ADMIN; say so plainly.
func sessionLookupFailed(_ error: Error) -> ExitCode {
    let text = "\(error)"
    FileHandleOutput.stderr("ERROR: " + (text.contains("EPERM") ? "reading the kernel's BPF objects needs root; run it with sudo" : text) + "\n")
    return ExitCode(1)
}

struct ListSessions: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "auger ps", abstract: "List the Auger scripts running on this machine.")

    func run() throws {
        do { print(try RunningSessions.table(), terminator: "") } catch { throw sessionLookupFailed(error) }
    }
}

struct PrintSource: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "auger source", abstract: "Print the script a running Auger process runs, as it was written.")

    @Argument(help: "The process id `auger ps` lists.")
    var pid: Int32

    func run() throws {
        let text: String?
        do { text = try RunningSessions.source(pid: pid) } catch { throw sessionLookupFailed(error) }
        guard let text else {
            FileHandleOutput.stderr("ERROR: process \(pid) runs no Auger script (see auger ps)\n")
            throw ExitCode(1)
        }
        var bytes = Array(text.utf8)
        _ = write(1, &bytes, bytes.count)
    }
}

struct DrawFlameGraph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auger flamegraph",
        abstract: "Draw folded stacks (auger -f folded) as an interactive SVG flame graph.",
        discussion: "auger -f folded -e 'profile:hz:99 { @[comm, ustack, kstack] = count(); }' -c 'make' > out.folded && auger flamegraph out.folded -o out.svg")

    @Argument(help: "Folded stacks, one `frame;frame;frame COUNT` a line (standard input when not given).")
    var file: String?

    @Option(name: .short, help: "Write the SVG to this file instead of standard output.")
    var output: String?

    @Option(help: "The graph's title.")
    var title = "Flame Graph"

    @Option(help: "Image width in pixels.")
    var width = 1200

    func run() throws {
        guard (200...100_000).contains(width) else { throw ValidationError("--width must be between 200 and 100000 pixels") }
        let text: String
        do { text = try readFile(file ?? "/dev/stdin", limit: 1 << 30) } catch {
            FileHandleOutput.stderr("ERROR: failed to read '\(file ?? "standard input")': \(error)\n")
            throw ExitCode(1)
        }
        let stacks = FoldedStacks(text)
        if stacks.skippedLines > 0 { FileHandleOutput.stderr("WARNING: skipped \(stacks.skippedLines) lines that are not a stack and a count\n") }
        guard stacks.root.total > 0 else {
            FileHandleOutput.stderr("ERROR: no stacks in \(file ?? "standard input") (expected lines such as `main;work 12`)\n")
            throw ExitCode(1)
        }
        var svg = FlameGraphSVG()
        svg.title = title
        svg.width = width
        var bytes = Array(svg.render(stacks).utf8)
        let fd = output.map { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } ?? 1
        guard fd >= 0 else {
            FileHandleOutput.stderr("ERROR: cannot write '\(output!)': \(String(cString: strerror(errno)))\n")
            throw ExitCode(1)
        }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            guard n > 0 else {
                FileHandleOutput.stderr("ERROR: writing the SVG: \(String(cString: strerror(errno)))\n")
                throw ExitCode(1)
            }
            done += n
        }
        if fd != 1 { close(fd) }
    }
}
