import XCTest
@testable import BPF

/// Encodings checked by hand against the kernel's instruction-set document.
final class InstructionTests: XCTestCase {
    func hex(_ insns: [Instruction]) -> String {
        insns.bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    func testEveryClassEncodes() {
        let table: [([Instruction], String)] = [
            // ALU64 immediate and register
            ([.mov(.r1, 22)], "b7 01 00 00 16 00 00 00"),
            ([.mov(.r6, .r1)], "bf 16 00 00 00 00 00 00"),
            ([.alu64(.add, .r1, -8)], "07 01 00 00 f8 ff ff ff"),
            ([.alu64(.add, .r1, .r2)], "0f 21 00 00 00 00 00 00"),
            ([.alu64(.rsh, .r0, 32)], "77 00 00 00 20 00 00 00"),
            ([.alu64(.arsh, .r3, 1)], "c7 03 00 00 01 00 00 00"),
            ([.neg(.r2)], "87 02 00 00 00 00 00 00"),
            ([.signed(.div, .r1, .r2)], "3f 21 01 00 00 00 00 00"),
            ([.movsx(.r1, .r2, bits: 8)], "bf 21 08 00 00 00 00 00"),
            // ALU (32-bit)
            ([.alu32(.add, .r1, 5)], "04 01 00 00 05 00 00 00"),
            ([.mov32(.r0, .r9)], "bc 90 00 00 00 00 00 00"),
            ([.alu32(.xor, .r4, .r5)], "ac 54 00 00 00 00 00 00"),
            ([.endian(bigEndian: true, .r1, bits: 16)], "dc 01 00 00 10 00 00 00"),
            ([.endian(bigEndian: false, .r1, bits: 64)], "d4 01 00 00 40 00 00 00"),
            // LDX / STX / ST
            ([.load(.u32, .r1, .r2, 8)], "61 21 08 00 00 00 00 00"),
            ([.load(.u64, .r0, .r10, -16)], "79 a0 f0 ff 00 00 00 00"),
            ([.load(.u8, .r3, .r1, 1)], "71 13 01 00 00 00 00 00"),
            ([.loadSigned(.u8, .r3, .r1, 1)], "91 13 01 00 00 00 00 00"),
            ([.store(.u64, .r10, -8, .r1)], "7b 1a f8 ff 00 00 00 00"),
            ([.store(.u16, .r1, 2, .r2)], "6b 21 02 00 00 00 00 00"),
            ([.store(.u32, .r10, -4, imm: 0)], "62 0a fc ff 00 00 00 00"),
            // atomics
            ([.atomic(.add, .u64, .r0, 0, .r1)], "db 10 00 00 00 00 00 00"),
            ([.atomic(.add, .u32, .r0, 4, .r1, fetch: true)], "c3 10 04 00 01 00 00 00"),
            ([.atomic(.xchg, .u64, .r2, 0, .r3)], "db 32 00 00 e1 00 00 00"),
            // JMP / JMP32
            ([.jump(.jeq, .r1, 0, 3)], "15 01 03 00 00 00 00 00"),
            ([.jump(.jne, .r1, .r2, -2)], "5d 21 fe ff 00 00 00 00"),
            ([.jump(.jsgt, .r0, 4, 1)], "65 00 01 00 04 00 00 00"),
            ([.jump32(.jgt, .r1, 5, 1)], "26 01 01 00 05 00 00 00"),
            ([.jump32(.jle, .r1, .r2, 7)], "be 21 07 00 00 00 00 00"),
            ([.goto(2)], "05 00 02 00 00 00 00 00"),
            ([.call(.getCurrentPidTgid)], "85 00 00 00 0e 00 00 00"),
            ([.callLocal(5)], "85 10 00 00 05 00 00 00"),
            ([.exit], "95 00 00 00 00 00 00 00"),
            // LD_IMM64, plain and pseudo
            (Instruction.loadImm64(.r1, 0x1122_3344_5566_7788), "18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11"),
            (Instruction.loadMapFD(.r1, fd: 7), "18 11 00 00 07 00 00 00 00 00 00 00 00 00 00 00"),
            (Instruction.loadMapValue(.r2, fd: 3, offset: 16), "18 22 00 00 03 00 00 00 00 00 00 00 10 00 00 00"),
        ]
        for (insns, expected) in table {
            XCTAssertEqual(hex(insns), expected, insns.disassembled())
        }
    }

    func testDecodeRoundTrip() {
        let insns: [Instruction] = [.mov(.r1, -1), .jump(.jslt, .r3, .r9, -300), .store(.u8, .r10, -1, imm: 255)]
            + Instruction.loadImm64(.r5, .max)
        for insn in insns {
            XCTAssertEqual(Instruction(bytes: insn.bytes), insn)
        }
    }

    func testHelperNames() {
        XCTAssertEqual(Helper.mapLookupElem.rawValue, 1)
        XCTAssertEqual(Helper.mapLookupElem.name, "bpf_map_lookup_elem")
        XCTAssertEqual(Helper.getCurrentPidTgid.rawValue, 14)
        XCTAssertEqual(Helper(rawValue: 130), .ringbufOutput)
        XCTAssertEqual(Helper.ringbufOutput.name, "bpf_ringbuf_output")
    }
}

final class AssemblerTests: XCTestCase {
    func testLabelsResolveForwardAndBackward() throws {
        var a = Assembler()
        a.emit(.mov(.r0, 0))
        a.label("top")
        a.emit(.alu64(.add, .r0, 1))
        a.jump(.jge, .r0, 10, to: "out")   // slot 2 → 5: offset 2
        a.loadMap(.r1, "counts")            // slots 3, 4
        a.goto("top")                        // slot 5 → 1: offset -5
        a.label("out")
        a.emit(.exit)
        XCTAssertEqual(a.slotCount, 7, "slots counted as they are emitted")
        let p = try a.assemble()
        XCTAssertEqual(p.instructions.count, 7)
        XCTAssertEqual(p.instructions[2].offset, 3)
        XCTAssertEqual(p.instructions[5].offset, -5)
        XCTAssertEqual(p.mapReferences, [3: "counts"])
        XCTAssertTrue(p.instructions[3].isLoadImm64)
    }

    func testLocalCallUsesImmediate() throws {
        var a = Assembler()
        a.callLocal("f")
        a.emit(.exit)
        a.label("f")
        a.emit(.mov(.r0, 1), .exit)
        let p = try a.assemble()
        XCTAssertEqual(p.instructions[0].imm, 1)
        XCTAssertEqual(p.instructions[0].offset, 0)
    }

    func testFunctionReferencesAndStarts() throws {
        var a = Assembler()
        a.loadFunction(.r2, "cb")     // slots 0, 1
        a.emit(.mov(.r0, 0), .exit)    // 2, 3
        a.function("cb")
        a.emit(.mov(.r0, 1), .exit)    // 4, 5
        let p = try a.assemble()
        XCTAssertEqual(p.instructions[0].src, PseudoSource.function)
        XCTAssertEqual(p.instructions[0].imm, 3, "relative to the next instruction")
        XCTAssertEqual(p.functions.map(\.offset), [4])
        XCTAssertEqual(p.functions.map(\.name), ["cb"])
    }

    func testLabelErrors() {
        var a = Assembler()
        a.goto("nowhere")
        XCTAssertThrowsError(try a.assemble()) { XCTAssertEqual($0 as? AssemblerError, .undefinedLabel("nowhere")) }
        var b = Assembler()
        b.label("x")
        b.label("x")
        XCTAssertThrowsError(try b.assemble()) { XCTAssertEqual($0 as? AssemblerError, .duplicateLabel("x")) }
        var c = Assembler()
        c.goto("far")
        c.emit([Instruction](repeating: .mov(.r0, 0), count: 40_000))
        c.label("far")
        XCTAssertThrowsError(try c.assemble()) { XCTAssertEqual($0 as? AssemblerError, .jumpTooFar("far", 40_000)) }
    }
}

final class DisassemblerTests: XCTestCase {
    func testKernelTextForm() {
        let program: [Instruction] = [
            .call(.getCurrentPidTgid),
            .alu64(.rsh, .r0, 32),
            .jump(.jne, .r0, 1234, 9),
            .store(.u32, .r10, -4, imm: 0),
            .mov(.r2, .r10),
            .alu64(.add, .r2, -4),
        ] + Instruction.loadMapFD(.r1, fd: 5) + [
            .call(.mapLookupElem),
            .jump(.jeq, .r0, 0, 3),
            .mov(.r1, 1),
            .atomic(.add, .u64, .r0, 0, .r1),
            .load(.u64, .r3, .r0, 8),
            .alu32(.sub, .r3, .r4),
            .jump32(.jsgt, .r3, .r4, -2),
            .neg(.r3),
            .mov(.r0, 0),
            .exit,
        ]
        XCTAssertEqual(program.disassembled(), """
            0: (85) call bpf_get_current_pid_tgid#14
            1: (77) r0 >>= 32
            2: (55) if r0 != 0x4d2 goto pc+9
            3: (62) *(u32 *)(r10 -4) = 0
            4: (bf) r2 = r10
            5: (07) r2 += -4
            6: (18) r1 = map[fd:5]
            8: (85) call bpf_map_lookup_elem#1
            9: (15) if r0 == 0x0 goto pc+3
            10: (b7) r1 = 1
            11: (db) lock *(u64 *)(r0 +0) += r1
            12: (79) r3 = *(u64 *)(r0 +8)
            13: (1c) w3 -= w4
            14: (6e) if w3 s> w4 goto pc-2
            15: (87) r3 = -r3
            16: (b7) r0 = 0
            17: (95) exit
            """)
    }

    func testImmediateLoadAndFetch() {
        XCTAssertEqual(Instruction.loadImm64(.r1, 0xdead_beef_0000_0001).disassembled(), "0: (18) r1 = 0xdeadbeef00000001")
        XCTAssertEqual([Instruction.atomic(.add, .u64, .r1, 8, .r2, fetch: true)].disassembled(),
                       "0: (db) r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)")
        XCTAssertEqual([Instruction.endian(bigEndian: true, .r1, bits: 32)].disassembled(), "0: (dc) r1 = be32 r1")
    }
}
