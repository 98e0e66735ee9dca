import AugerCompiler
import AugerScript
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import AugerRuntime

/// Text and JSON output of the same events, side by side.
final class OutputFormatTests: XCTestCase {
    /// What `body` writes to standard output and standard error, through pipes.
    func written(_ body: (OutputSink, OutputSink) -> Void) -> (out: String, err: String) {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { XCTFail("pipe"); return ("", "") }
        let out = OutputSink(fd: outPipe[1]), err = OutputSink(fd: errPipe[1])
        body(out, err)
        out.flush()
        err.flush()
        close(outPipe[1])
        close(errPipe[1])
        func drain(_ fd: Int32) -> String {
            var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
            while case let n = read(fd, &chunk, chunk.count), n > 0 { bytes += chunk[..<n] }
            close(fd)
            return String(decoding: bytes, as: UTF8.self)
        }
        return (drain(outPipe[0]), drain(errPipe[0]))
    }

    func out(_ body: (OutputSink) -> Void) -> String { written { out, _ in body(out) }.out }

    func testAttachedProbes() {
        XCTAssertEqual(written { TextOutput().attached(3, out: $0, err: $1) }.err, "Attached 3 probes\n")
        XCTAssertEqual(written { TextOutput().attached(1, out: $0, err: $1) }.out, "")
        XCTAssertEqual(written { JSONOutput().attached(1, out: $0, err: $1) }.out, "{\"type\": \"attached_probes\", \"count\": 1, \"data\": {\"probes\": 1}}\n")
    }

    func testPrintfCatAndSystemText() {
        XCTAssertEqual(out { TextOutput().text("hi\n", from: .printf, out: $0) }, "hi\n")
        XCTAssertEqual(out { JSONOutput().text("hi\n", from: .printf, out: $0) }, "{\"type\": \"printf\", \"data\": \"hi\\n\"}\n")
        XCTAssertEqual(out { JSONOutput().text("x", from: .cat, out: $0) }, "{\"type\": \"cat\", \"data\": \"x\"}\n")
        XCTAssertEqual(out { JSONOutput().text("x", from: .system, out: $0) }, "{\"type\": \"syscall\", \"data\": \"x\"}\n")
    }

    func testJoinAndTimeLines() {
        XCTAssertEqual(out { TextOutput().line("a b", from: .join, out: $0) }, "a b\n")
        XCTAssertEqual(out { TextOutput().line("12:00:00\n", from: .time, out: $0) }, "12:00:00\n")
        XCTAssertEqual(out { JSONOutput().line("a b", from: .join, out: $0) }, "{\"type\": \"join\", \"data\": \"a b\"}\n")
    }

    func testPrintedValues() {
        XCTAssertEqual(out { TextOutput().value(.i64, Fixture.word(-3)[...], decoder: Fixture.decoder, out: $0) }, "-3\n")
        XCTAssertEqual(out { JSONOutput().value(.string(8), Fixture.string("a\"b", 8)[...], decoder: Fixture.decoder, out: $0) },
                       "{\"type\": \"value\", \"data\": \"a\\\"b\"}\n")
    }

    func testMapsEndWithABlankLineInTextOnly() {
        let map = Fixture.map("x")
        let entry = MapEntry(key: [][...], value: .bytes(Fixture.word(5)[...]))
        XCTAssertEqual(out { TextOutput().map(map, [entry], Fixture.printer, top: 0, div: 0, out: $0) }, "@x: 5\n\n")
        XCTAssertEqual(out { JSONOutput().map(map, [entry], Fixture.printer, top: 0, div: 0, out: $0) }, "{\"type\": \"map\", \"data\": {\"@x\": 5}}\n")
    }

    func testBenchmarkTable() {
        let text = out { TextOutput().benchmarks([(name: "lookup", average: 42, iterations: 1000)], out: $0) }
        XCTAssertEqual(text.split(separator: "\n").last, "lookup" + String(repeating: " ", count: 35) + "42" + String(repeating: " ", count: 13) + "1000")
        XCTAssertEqual(out { JSONOutput().benchmarks([(name: "b", average: 1, iterations: 2)], out: $0) },
                       "{\"type\": \"benchmark_result\", \"data\": {\"b\": {\"average\": 1, \"iters\": 2}}}\n")
    }
}
