@testable import AugerRuntime
import XCTest

final class SessionRecordTests: XCTestCase {
    let record = SessionRecord(pid: 4242, processStart: 123_456, startTime: 1_800_000_000, probes: 3, fileName: "/tmp/é x.bt",
                               arguments: ["1", "--opt=2"], text: "begin { printf(\"hi\\n\"); }\n\t// ünïcode\n",
                               maps: [.init(id: 7, name: "@"), .init(id: 9, name: "@start")])

    func testARecordReadsBackAsWritten() throws {
        let bytes = record.encoded()
        XCTAssertEqual(SessionRecord.length(bytes), bytes.count)
        XCTAssertEqual(SessionRecord(decoding: bytes + [UInt8](repeating: 0, count: 100)), record)
        var attaching = record
        attaching.probes = nil
        XCTAssertEqual(SessionRecord(decoding: attaching.encoded())?.probes, .some(nil))
    }

    func testSomethingElseIsNotARecord() {
        XCTAssertNil(SessionRecord(decoding: []))
        XCTAssertNil(SessionRecord(decoding: Array("AUGERSRX".utf8) + [UInt8](repeating: 1, count: 64)))
        XCTAssertNil(SessionRecord(decoding: Array(record.encoded().dropLast())), "cut short")
    }

    /// Fixed-seed corruption of every kind: a record or nil, never a trap.
    func testCorruptedRecordsNeverTrap() {
        var seed: UInt64 = 42
        func next() -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) }
        let good = record.encoded()
        for _ in 0..<5000 {
            var bytes = good
            for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            if next() % 3 == 0 { bytes = Array(bytes.prefix(next() % bytes.count)) }
            _ = SessionRecord(decoding: bytes)
        }
    }

    func testScriptNamesInTheListing() {
        XCTAssertEqual(RunningSessions.scriptName(record), "/tmp/é x.bt 1 --opt=2")
        var oneLiner = record
        oneLiner.fileName = "stdin"
        oneLiner.arguments = []
        oneLiner.text = "\n  tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }"
        XCTAssertEqual(RunningSessions.scriptName(oneLiner), "-e 'tracepoint:syscalls:sys_enter_openat ...'")
        XCTAssertEqual(RunningSessions.byteCount(512), "512 B")
        XCTAssertEqual(RunningSessions.byteCount(1536), "1.5 KiB")
        XCTAssertEqual(RunningSessions.byteCount(8 << 20), "8.0 MiB")
    }
}
