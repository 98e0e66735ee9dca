import BPF
import TestSupport
import Foundation
import XCTest

/// Runs the auger binary built next to the tests. End-to-end tests load
/// programs, so they need root and BPF: without them they skip (with the
/// reason), except under CI=true, where they fail.
class AugerTestCase: XCTestCase {
    static let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    static var auger: String { buildDirectory.appendingPathComponent("auger").path }
    static var workload: String { buildDirectory.appendingPathComponent("auger-workload").path }

    static let unavailableReason: String? = {
        if geteuid() != 0 { return "end-to-end tests need root (CAP_BPF and CAP_PERFMON)" }
        if (try? Map(MapSpec(name: "probe", type: .array, keySize: 4, valueSize: 4, maxEntries: 1))) == nil {
            return "this kernel refuses BPF maps"
        }
        if !FileManager.default.isExecutableFile(atPath: auger) { return "auger is not built at \(auger)" }
        return nil
    }()

    override func setUpWithError() throws {
        try super.setUpWithError()
        try TestGate.require(Self.unavailableReason)
    }

    struct Result {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// A started auger process (posix_spawn: Foundation's Process crashes
    /// now and then when tests start hundreds of them).
    struct Running {
        let pid: pid_t
        func interrupt() { kill(pid, SIGINT) }
        var processIdentifier: Int32 { pid }
    }

    /// Runs auger with `arguments`; `whileRunning` gets the process once started.
    @discardableResult
    func auger(_ arguments: [String], timeout: TimeInterval = 20, environment: [String: String] = [:], program: String = auger,
               whileRunning: ((Running) -> Void)? = nil) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw XCTSkip("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, program, &actions, nil, argv, envp)
        posix_spawn_file_actions_destroy(&actions)
        close(outPipe[1])
        close(errPipe[1])
        guard r == 0 else { throw XCTSkip("cannot start auger: \(r)") }
        let out = ReadAll(outPipe[0]), err = ReadAll(errPipe[0])
        whileRunning?(Running(pid: pid))
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                XCTFail("auger \(arguments) did not finish in \(timeout) s")
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(5_000)
        }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        return Result(stdout: out.wait(), stderr: err.wait(), status: code)
    }

    /// Runs a one-liner that ends by itself and returns its standard output.
    func run(_ program: String, _ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try auger(["-q", "-e", program] + extra)
        XCTAssertEqual(r.status, 0, "stderr: \(r.stderr)", file: file, line: line)
        return r.stdout
    }
}

/// Reads a pipe to its end on another thread, so a chatty child cannot block.
final class ReadAll: @unchecked Sendable {
    private var data: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ fd: Int32) {
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                data += chunk[0..<n]
            }
            close(fd)
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
