import XCTest
import BPF
#if canImport(Glibc)
import Glibc
#endif

final class KernelProgramTests: KernelTestCase {
    func testTracepointCountsExactCalls() throws {
        for useLink in [true, false] {
            let counts = try Programs.counter()
            let spec = ProgramSpec(name: "count_getppid", type: .tracepoint, assembled: try Programs.countCalls(pid: pid))
            let program = try Program(spec, maps: ["counts": counts])
            let fs = try Tracefs.locate()
            let id = try fs.tracepointID(category: "syscalls", name: "sys_enter_getppid")
            let link = try program.attach(to: PerfEvent.tracepoint(id: id), useLink: useLink)
            callGetppid(1000)
            XCTAssertEqual(try counts.lookup(UInt32(0), as: UInt64.self), 1000, "attached with link: \(useLink)")
            link.close()
            callGetppid(10)
            XCTAssertEqual(try counts.lookup(UInt32(0), as: UInt64.self), 1000, "counted after detach")
        }
    }

    func testCloseAllDetachesEveryLink() throws {
        let counts = try Programs.counter()
        let program = try Program(ProgramSpec(name: "count", type: .tracepoint, assembled: try Programs.countCalls(pid: pid)),
                                  maps: ["counts": counts])
        // The same program on several tracepoints; only getppid is called.
        let links = try ["sys_enter_getppid", "sys_enter_getpid", "sys_enter_gettid", "sys_exit_getppid"].map {
            try program.attachTracepoint(category: "syscalls", name: $0)
        }
        callGetppid(50)
        XCTAssertEqual(try counts.lookup(UInt32(0), as: UInt64.self), 100, "entry and exit of each call")
        Link.closeAll(links)
        XCTAssertTrue(links.allSatisfy { $0.fd.rawValue < 0 }, "every descriptor closed")
        // (Starting the closing threads makes calls of their own while links close.)
        let closed = try counts.lookup(UInt32(0), as: UInt64.self)
        callGetppid(10)
        XCTAssertEqual(try counts.lookup(UInt32(0), as: UInt64.self), closed, "counted after detach")
    }

    func testAttachTracepointByName() throws {
        let counts = try Programs.counter()
        let program = try Program(ProgramSpec(name: "count", type: .tracepoint, assembled: try Programs.countCalls(pid: pid)),
                                  maps: ["counts": counts])
        let link = try program.attachTracepoint(category: "syscalls", name: "sys_enter_getppid")
        callGetppid(77)
        XCTAssertEqual(try counts.lookup(UInt32(0), as: UInt64.self), 77)
        _ = link
    }

    func testMissingTracepointSaysSo() throws {
        let program = try Program(ProgramSpec(name: "nop", type: .tracepoint, instructions: [.mov(.r0, 0), .exit]))
        XCTAssertThrowsError(try program.attachTracepoint(category: "syscalls", name: "sys_enter_nonexistent")) { error in
            let e = error as? BPFError
            XCTAssertEqual(e?.errno, .noEntry)
            XCTAssertTrue(e?.description.contains("No such tracepoint") ?? false, "\(error)")
        }
    }

    func testRawTracepointCountsExactCalls() throws {
        let counts = try Programs.counter()
        // sys_enter's arguments: (struct pt_regs *regs, long id).
        let assembled = try Programs.countCalls(pid: pid) { a in
            a.emit(.load(.u64, .r1, .r6, 8))
            a.jump(.jne, .r1, Self.getppidNumber, to: "out")
        }
        let program = try Program(ProgramSpec(name: "raw_getppid", type: .rawTracepoint, assembled: assembled), maps: ["counts": counts])
        let link = try program.attachRawTracepoint("sys_enter")
        callGetppid(500)
        getpid()
        XCTAssertEqual(try counts.lookup(UInt32(0), as: UInt64.self), 500)
        link.close()
    }

    func testRawTracepointThatDoesNotExist() throws {
        let program = try Program(ProgramSpec(name: "nop", type: .rawTracepoint, instructions: [.mov(.r0, 0), .exit]))
        XCTAssertThrowsError(try program.attachRawTracepoint("no_such_tracepoint_here")) { error in
            XCTAssertEqual((error as? BPFError)?.errno, .noEntry)
        }
    }

    func testVerifierRejectionReturnsLog() throws {
        // r0 is never written, so the verifier refuses the exit.
        let spec = ProgramSpec(name: "bad", type: .tracepoint, instructions: [.mov(.r1, 0), .exit])
        XCTAssertThrowsError(try Program(spec)) { error in
            guard let v = error as? VerifierError else { return XCTFail("expected VerifierError, got \(error)") }
            XCTAssertTrue(v.log.contains("R0 !read_ok"), v.log)
            XCTAssertEqual(v.reason, "R0 !read_ok")
            XCTAssertEqual(v.errno, .accessDenied)
        }
    }

    func testLongVerifierLogGrowsBuffer() throws {
        // Thousands of instructions at log level 2 overflow the first buffer size.
        var insns = [Instruction](repeating: .alu64(.add, .r0, 1), count: 6000)
        insns.insert(.mov(.r0, 0), at: 0)
        insns.append(.exit)
        let program = try Program(ProgramSpec(name: "long", type: .socketFilter, instructions: insns), logLevel: 2)
        let log = try XCTUnwrap(program.verifierLog)
        XCTAssertGreaterThan(log.utf8.count, 64 << 10)
        XCTAssertTrue(log.contains("6001: (95) exit"))
    }

    func testDisassemblyMatchesVerifierLog() throws {
        let counts = try Programs.counter()
        let spec = ProgramSpec(name: "disasm", type: .tracepoint, assembled: try Programs.countCalls(pid: pid))
        let program = try Program(spec, maps: ["counts": counts], logLevel: 2)
        let log = try XCTUnwrap(program.verifierLog)
        let lines = spec.instructions.disassembled().split(separator: "\n").filter { !$0.contains("map[") }
        XCTAssertEqual(lines.count, 13)
        for line in lines {
            XCTAssertTrue(log.contains(line), "\(line) not in the kernel's log:\n\(log)")
        }
    }

    func testTestRunReturnsValue() throws {
        // Raw tracepoint context: an array of u64 arguments; return arg0 + 1.
        let spec = ProgramSpec(name: "plus_one", type: .rawTracepoint,
                               instructions: [.load(.u64, .r0, .r1, 0), .alu64(.add, .r0, 1), .exit])
        let program = try Program(spec)
        XCTAssertEqual(try program.testRun(context: rawBytes(of: UInt64(41))), 42)
        XCTAssertEqual(try program.testRun(context: rawBytes(of: UInt64(99))), 100)
    }

    func testProgramsReadArrayValuesDirectly() throws {
        // ld_imm64 of the value's address (BPF_PSEUDO_MAP_VALUE): no helper call.
        let values = try Map(MapSpec(name: "values", type: .array, keySize: 4, valueSize: 16, maxEntries: 1))
        var asm = Assembler()
        asm.loadMapValue(.r1, "values", offset: 8)
        asm.emit(.load(.u64, .r0, .r1, 0), .exit)
        let program = try Program(ProgramSpec(name: "read_value", type: .rawTracepoint, assembled: try asm.assemble()), maps: ["values": values])
        try values.update(UInt32(0), (UInt64(5), UInt64(7)))
        XCTAssertEqual(try program.testRun(context: rawBytes(of: UInt64(0))), 7)
        try values.update(UInt32(0), (UInt64(5), UInt64(9)))
        XCTAssertEqual(try program.testRun(context: rawBytes(of: UInt64(0))), 9, "reads the value as it is now")
    }

    func testLoadedProgramsAreListedUntilClosed() throws {
        var program: Program? = try Program(ProgramSpec(name: "listed", type: .socketFilter, instructions: [.mov(.r0, 0), .exit]))
        let info = try XCTUnwrap(program?.info())
        XCTAssertEqual(info.name, "listed")
        XCTAssertTrue(try LoadedObjects.programIDs().contains(info.id))
        program = nil
        // The kernel frees programs after an RCU grace period.
        var gone = false
        for _ in 0..<200 where !gone {
            gone = try !LoadedObjects.programIDs().contains(info.id)
            if !gone { usleep(5000) }
        }
        XCTAssertTrue(gone, "program \(info.id) still loaded after its only descriptor closed")
    }

    func testHardwareBreakpointCountsWrites() throws {
        let counts = try Programs.counter()
        let program = try Program(ProgramSpec(name: "watch", type: .perfEvent, assembled: try Programs.countEvents()), maps: ["counts": counts])
        let watched = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        defer { watched.deallocate() }
        watched.pointee = 0
        let event = try PerfEvent.breakpoint(address: UInt64(UInt(bitPattern: watched)), length: 8, access: .write, pid: currentThreadID())
        let link = try program.attach(to: event)
        for i in 0..<25 { Self.store(UInt64(i), watched) }
        _ = Self.load(watched)
        link.close()
        XCTAssertEqual(try counts.lookup(UInt32(0), as: UInt64.self), 25, "one hit per write, none for the read")
    }

    @inline(never) static func store(_ v: UInt64, _ p: UnsafeMutablePointer<UInt64>) { p.pointee = v }
    @inline(never) static func load(_ p: UnsafeMutablePointer<UInt64>) -> UInt64 { p.pointee }

    func testSoftwareClockEventFires() throws {
        let counts = try Programs.counter()
        let program = try Program(ProgramSpec(name: "tick", type: .perfEvent, assembled: try Programs.countEvents()), maps: ["counts": counts])
        // A 1 ms clock for this process only, so it ticks while we spin.
        let event = try PerfEvent.software(.taskClock, rate: .period(1_000_000), cpu: -1, pid: pid)
        let link = try program.attach(to: event)
        let start = DispatchTime.now().uptimeNanoseconds
        while DispatchTime.now().uptimeNanoseconds - start < 100_000_000 {}
        link.close()
        let ticks = try XCTUnwrap(counts.lookup(UInt32(0), as: UInt64.self))
        XCTAssertGreaterThan(ticks, 20, "a 1 ms task clock over 100 ms of spinning")
        XCTAssertLessThan(ticks, 200)
    }
}
