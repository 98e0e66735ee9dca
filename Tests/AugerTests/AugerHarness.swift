import BPF
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
        if let reason = Self.unavailableReason {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail("CI=true but \(reason)")
                throw XCTSkip("failed above")
            }
            print("SKIP kernel test: \(reason)")
            throw XCTSkip(reason)
        }
    }

    struct Result {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// Runs auger with `arguments`; `whileRunning` gets the process once started.
    @discardableResult
    func auger(_ arguments: [String], timeout: TimeInterval = 20, environment: [String: String] = [:],
               whileRunning: ((Process) -> Void)? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.auger)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = ReadAll(out.fileHandleForReading), errData = ReadAll(err.fileHandleForReading)
        whileRunning?(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.interrupt()
            XCTFail("auger \(arguments) did not finish in \(timeout) s")
            process.waitUntilExit()
        }
        return Result(stdout: outData.wait(), stderr: errData.wait(), status: process.terminationStatus)
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
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
