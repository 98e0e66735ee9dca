import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A probe that warns on every event, on a busy system: the warnings are
/// rate-limited and summarized, and Ctrl-C still ends the run at once.
final class FloodTests: AugerTestCase {
    /// A full map warns on each new key; every system call makes one.
    let flood = "config = { max_map_keys = 16 } tracepoint:raw_syscalls:sys_enter { @[tid, nsecs] = count(); }"

    func testWarningsPerEventAreLimitedAndCounted() throws {
        let r = try auger(["-e", flood, "-c", "\(Self.workload) getppid 200000"], timeout: 30)
        XCTAssertEqual(r.status, 0, r.stderr.suffix(2000).description)
        let shown = r.stderr.components(separatedBy: "WARNING: Map full; can't update element.").count - 1
        XCTAssertGreaterThan(shown, 0)
        XCTAssertLessThanOrEqual(shown, 200, "warnings were not rate-limited")
        let summary = try XCTUnwrap(r.stderr.range(of: #"this message came (\d+) times; (\d+) were not shown"#, options: .regularExpression), r.stderr.suffix(2000).description)
        let numbers = r.stderr[summary].split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }
        XCTAssertGreaterThanOrEqual(numbers.first ?? 0, 100_000, "the count must cover the workload's 200,000 system calls")
        XCTAssertLessThan(r.stderr.utf8.count, 200_000)
    }

    /// More records than the ring buffer holds: the losses are reported
    /// while the run goes on (once a second), each report counting its own.
    func testLostEventsAreReportedAsTheyHappen() throws {
        let wide = "tracepoint:raw_syscalls:sys_enter /pid == cpid/ { printf(\"%s %s %s %s %s %s %s %s\\n\", comm, comm, comm, comm, comm, comm, comm, comm); }"
        let r = try auger(["-e", wide, "-c", "\(Self.workload) getppid 4000000"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr.suffix(2000).description)
        let reports = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Lost ") && $0.hasSuffix(" events") }
        XCTAssertGreaterThanOrEqual(reports.count, 2, "expected reports during the run as well as at its end: \(r.stderr.suffix(500))")
        for line in reports { XCTAssertGreaterThan(Int(line.split(separator: " ")[1]) ?? 0, 0, String(line)) }
    }

    func testInterruptEndsAFloodedRunWithinASecond() throws {
        var interrupted = Date()
        let busy = Thread { for _ in 0..<3_000_000 { _ = getppid() } }
        let r = try auger(["-e", flood], timeout: 30) { running in
            usleep(1_500_000)
            busy.start()
            usleep(1_000_000)
            interrupted = Date()
            running.interrupt()
        }
        let took = Date().timeIntervalSince(interrupted)
        XCTAssertLessThan(took, 1.5, "SIGINT took \(took) s to end the run")
        XCTAssertEqual(r.status, 0, r.stderr.suffix(2000).description)
        XCTAssertTrue(r.stdout.contains("]: 1\n"), r.stdout.prefix(500).description)
        XCTAssertTrue(r.stderr.contains("were not shown"), r.stderr.suffix(2000).description)
    }
}
