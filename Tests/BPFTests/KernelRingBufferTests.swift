import XCTest
import BPF

final class KernelRingBufferTests: KernelTestCase {
    /// On every getppid from this process: take a sequence number from
    /// `seq` and write {seq, magic} to the ring buffer `events`.
    func sequenceWriter() throws -> Assembled {
        var a = Assembler()
        a.emit(.call(.getCurrentPidTgid), .alu64(.rsh, .r0, 32))
        a.jump(.jne, .r0, pid, to: "out")
        a.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
        a.loadMap(.r1, "seq")
        a.emit(.call(.mapLookupElem))
        a.jump(.jeq, .r0, 0, to: "out")
        a.emit(.mov(.r1, 1), .atomic(.add, .u64, .r0, 0, .r1, fetch: true))
        a.emit(.store(.u64, .r10, -24, .r1))
        a.emit(Instruction.loadImm64(.r1, 0xfeed_face_cafe_beef))
        a.emit(.store(.u64, .r10, -16, .r1))
        a.loadMap(.r1, "events")
        a.emit(.mov(.r2, .r10), .alu64(.add, .r2, -24), .mov(.r3, 16), .mov(.r4, 0), .call(.ringbufOutput))
        a.label("out")
        a.emit(.mov(.r0, 0), .exit)
        return try a.assemble()
    }

    func testReaderReceivesEveryRecordAcrossWrapAround() throws {
        // One page of data holds about 170 records of 24 bytes, so 5,000
        // records wrap around the buffer many times.
        let events = try Map(.ringBuffer(name: "events", size: 4096))
        let seq = try Programs.counter("seq")
        let program = try Program(ProgramSpec(name: "ring", type: .tracepoint, assembled: try sequenceWriter()),
                                  maps: ["events": events, "seq": seq])
        let reader = try RingBufferReader(events)
        let link = try program.attachTracepoint(category: "syscalls", name: "sys_enter_getppid")
        var received: [UInt64] = []
        for _ in 0..<50 {
            callGetppid(100)
            XCTAssertTrue(try reader.wait(timeout: 1000))
            reader.consume { record in
                XCTAssertEqual(record.count, 16)
                XCTAssertEqual(record.loadUnaligned(fromByteOffset: 8, as: UInt64.self), 0xfeed_face_cafe_beef)
                received.append(record.loadUnaligned(as: UInt64.self))
            }
        }
        link.close()
        XCTAssertEqual(received.count, 5000)
        XCTAssertEqual(received, Array(0..<5000))
        XCTAssertEqual(reader.readAvailable().count, 0)
    }

    func testWaitTimesOutWhenEmpty() throws {
        let events = try Map(.ringBuffer(name: "empty", size: 4096))
        let reader = try RingBufferReader(events)
        XCTAssertFalse(try reader.wait(timeout: 10))
        XCTAssertEqual(reader.consume { _ in }, 0)
    }

    func testOverflowDropsRecordsInsteadOfCorrupting() throws {
        let events = try Map(.ringBuffer(name: "small", size: 4096))
        let seq = try Programs.counter("seq")
        let program = try Program(ProgramSpec(name: "ring", type: .tracepoint, assembled: try sequenceWriter()),
                                  maps: ["events": events, "seq": seq])
        let reader = try RingBufferReader(events)
        let link = try program.attachTracepoint(category: "syscalls", name: "sys_enter_getppid")
        callGetppid(1000)
        link.close()
        let records = reader.readAvailable()
        XCTAssertGreaterThan(records.count, 100)
        XCTAssertLessThan(records.count, 1000, "a 4 KiB ring cannot hold 1000 records")
        XCTAssertEqual(records.map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }, Array(0..<UInt64(records.count)))
    }

    func testReaderRefusesOtherMapTypes() throws {
        let map = try Programs.counter()
        XCTAssertThrowsError(try RingBufferReader(map))
    }
}
