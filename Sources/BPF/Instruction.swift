/// One eBPF instruction slot: 8 bytes. A 64-bit immediate load (`LD_IMM64`)
/// occupies two consecutive slots; the second has opcode 0 and carries the
/// high 32 bits in its immediate.
public struct Instruction: Hashable, Sendable {
    public var opcode: UInt8
    /// Destination register number (4 bits).
    public var dst: UInt8
    /// Source register number, or a pseudo source (4 bits).
    public var src: UInt8
    public var offset: Int16
    public var imm: Int32

    public init(opcode: UInt8, dst: UInt8 = 0, src: UInt8 = 0, offset: Int16 = 0, imm: Int32 = 0) {
        self.opcode = opcode
        self.dst = dst & 0x0f
        self.src = src & 0x0f
        self.offset = offset
        self.imm = imm
    }

    public var opClass: OpClass { OpClass(rawValue: opcode & 0x07)! }

    /// True for the first slot of a two-slot 64-bit immediate load.
    public var isLoadImm64: Bool { opcode == 0x18 }

    /// The 8 bytes the kernel reads, little-endian.
    public var bytes: [UInt8] {
        let off = UInt16(bitPattern: offset), im = UInt32(bitPattern: imm)
        return [opcode, (src << 4) | dst,
                UInt8(off & 0xff), UInt8(off >> 8),
                UInt8(im & 0xff), UInt8((im >> 8) & 0xff), UInt8((im >> 16) & 0xff), UInt8(im >> 24)]
    }

    /// Decodes one slot from 8 little-endian bytes.
    public init(bytes b: some Collection<UInt8>) {
        let a = Array(b)
        precondition(a.count == 8, "an instruction is 8 bytes")
        self.init(opcode: a[0], dst: a[1] & 0x0f, src: a[1] >> 4,
                  offset: Int16(bitPattern: UInt16(a[2]) | UInt16(a[3]) << 8),
                  imm: Int32(bitPattern: UInt32(a[4]) | UInt32(a[5]) << 8 | UInt32(a[6]) << 16 | UInt32(a[7]) << 24))
    }
}

// MARK: - Builders

extension Instruction {
    static func alu(_ cls: OpClass, _ op: ALUOp, _ dst: Register, imm: Int32) -> Instruction {
        Instruction(opcode: cls.rawValue | Source.immediate.rawValue | op.rawValue, dst: dst.rawValue, imm: imm)
    }
    static func alu(_ cls: OpClass, _ op: ALUOp, _ dst: Register, _ src: Register) -> Instruction {
        Instruction(opcode: cls.rawValue | Source.register.rawValue | op.rawValue, dst: dst.rawValue, src: src.rawValue)
    }

    /// 64-bit `dst op= imm`.
    public static func alu64(_ op: ALUOp, _ dst: Register, _ imm: Int32) -> Instruction { alu(.alu64, op, dst, imm: imm) }
    /// 64-bit `dst op= src`.
    public static func alu64(_ op: ALUOp, _ dst: Register, _ src: Register) -> Instruction { alu(.alu64, op, dst, src) }
    /// 32-bit `dst op= imm`; the upper half of `dst` becomes zero.
    public static func alu32(_ op: ALUOp, _ dst: Register, _ imm: Int32) -> Instruction { alu(.alu, op, dst, imm: imm) }
    /// 32-bit `dst op= src`; the upper half of `dst` becomes zero.
    public static func alu32(_ op: ALUOp, _ dst: Register, _ src: Register) -> Instruction { alu(.alu, op, dst, src) }

    /// Signed division or modulo (`offset` 1 selects the signed form).
    public static func signed(_ op: ALUOp, _ dst: Register, _ src: Register) -> Instruction {
        var i = alu(.alu64, op, dst, src); i.offset = 1; return i
    }

    public static func mov(_ dst: Register, _ imm: Int32) -> Instruction { alu64(.mov, dst, imm) }
    public static func mov(_ dst: Register, _ src: Register) -> Instruction { alu64(.mov, dst, src) }
    public static func mov32(_ dst: Register, _ imm: Int32) -> Instruction { alu32(.mov, dst, imm) }
    public static func mov32(_ dst: Register, _ src: Register) -> Instruction { alu32(.mov, dst, src) }
    /// Sign-extending move from the low `bits` (8, 16 or 32) of `src`.
    public static func movsx(_ dst: Register, _ src: Register, bits: Int16) -> Instruction {
        var i = alu64(.mov, dst, src); i.offset = bits; return i
    }
    public static func neg(_ dst: Register) -> Instruction { alu64(.neg, dst, 0) }

    /// Byte swap of the low `bits` (16, 32, 64) into big- or little-endian order.
    public static func endian(bigEndian: Bool, _ dst: Register, bits: Int32) -> Instruction {
        Instruction(opcode: OpClass.alu.rawValue | ALUOp.end.rawValue | (bigEndian ? Source.register.rawValue : 0),
                    dst: dst.rawValue, imm: bits)
    }

    /// `dst = *(size *)(src + offset)`.
    public static func load(_ size: Size, _ dst: Register, _ src: Register, _ offset: Int16) -> Instruction {
        Instruction(opcode: OpClass.ldx.rawValue | Mode.mem.rawValue | size.rawValue, dst: dst.rawValue, src: src.rawValue, offset: offset)
    }
    /// `dst = *(signed size *)(src + offset)`, sign-extended.
    public static func loadSigned(_ size: Size, _ dst: Register, _ src: Register, _ offset: Int16) -> Instruction {
        Instruction(opcode: OpClass.ldx.rawValue | Mode.memsx.rawValue | size.rawValue, dst: dst.rawValue, src: src.rawValue, offset: offset)
    }
    /// `*(size *)(dst + offset) = src`.
    public static func store(_ size: Size, _ dst: Register, _ offset: Int16, _ src: Register) -> Instruction {
        Instruction(opcode: OpClass.stx.rawValue | Mode.mem.rawValue | size.rawValue, dst: dst.rawValue, src: src.rawValue, offset: offset)
    }
    /// `*(size *)(dst + offset) = imm`.
    public static func store(_ size: Size, _ dst: Register, _ offset: Int16, imm: Int32) -> Instruction {
        Instruction(opcode: OpClass.st.rawValue | Mode.mem.rawValue | size.rawValue, dst: dst.rawValue, offset: offset, imm: imm)
    }
    /// Atomic `*(size *)(dst + offset) op= src` (size u32 or u64); with
    /// `fetch`, `src` receives the old value.
    public static func atomic(_ op: AtomicOp, _ size: Size, _ dst: Register, _ offset: Int16, _ src: Register, fetch: Bool = false) -> Instruction {
        Instruction(opcode: OpClass.stx.rawValue | Mode.atomic.rawValue | size.rawValue, dst: dst.rawValue, src: src.rawValue,
                    offset: offset, imm: op.rawValue | (fetch ? AtomicOp.fetch : 0))
    }

    /// `if dst op imm goto +offset` (64-bit compare).
    public static func jump(_ op: JumpOp, _ dst: Register, _ imm: Int32, _ offset: Int16) -> Instruction {
        Instruction(opcode: OpClass.jmp.rawValue | op.rawValue, dst: dst.rawValue, offset: offset, imm: imm)
    }
    /// `if dst op src goto +offset` (64-bit compare).
    public static func jump(_ op: JumpOp, _ dst: Register, _ src: Register, _ offset: Int16) -> Instruction {
        Instruction(opcode: OpClass.jmp.rawValue | Source.register.rawValue | op.rawValue, dst: dst.rawValue, src: src.rawValue, offset: offset)
    }
    /// `if wdst op imm goto +offset` (32-bit compare).
    public static func jump32(_ op: JumpOp, _ dst: Register, _ imm: Int32, _ offset: Int16) -> Instruction {
        Instruction(opcode: OpClass.jmp32.rawValue | op.rawValue, dst: dst.rawValue, offset: offset, imm: imm)
    }
    /// `if wdst op wsrc goto +offset` (32-bit compare).
    public static func jump32(_ op: JumpOp, _ dst: Register, _ src: Register, _ offset: Int16) -> Instruction {
        Instruction(opcode: OpClass.jmp32.rawValue | Source.register.rawValue | op.rawValue, dst: dst.rawValue, src: src.rawValue, offset: offset)
    }
    /// Unconditional `goto +offset`.
    public static func goto(_ offset: Int16) -> Instruction { Instruction(opcode: OpClass.jmp.rawValue | JumpOp.ja.rawValue, offset: offset) }

    /// Calls a kernel helper; arguments in r1–r5, result in r0.
    public static func call(_ helper: Helper) -> Instruction { call(helperID: helper.rawValue) }
    public static func call(helperID: Int32) -> Instruction { Instruction(opcode: OpClass.jmp.rawValue | JumpOp.call.rawValue, imm: helperID) }
    /// Calls a BPF function `offset` slots after the next instruction.
    public static func callLocal(_ offset: Int32) -> Instruction {
        Instruction(opcode: OpClass.jmp.rawValue | JumpOp.call.rawValue, src: PseudoSource.call, imm: offset)
    }
    /// Calls a kernel function (a kfunc) by its BTF id in vmlinux's BTF.
    public static func callKernelFunction(btfID: UInt32) -> Instruction {
        Instruction(opcode: OpClass.jmp.rawValue | JumpOp.call.rawValue, src: PseudoSource.kfuncCall, imm: Int32(bitPattern: btfID))
    }
    public static let exit = Instruction(opcode: OpClass.jmp.rawValue | JumpOp.exit.rawValue)

    /// `dst = value` as a two-slot 64-bit immediate load.
    public static func loadImm64(_ dst: Register, _ value: UInt64, pseudo: UInt8 = 0) -> [Instruction] {
        [Instruction(opcode: 0x18, dst: dst.rawValue, src: pseudo, imm: Int32(truncatingIfNeeded: value)),
         Instruction(opcode: 0, imm: Int32(truncatingIfNeeded: value >> 32))]
    }
    /// `dst = &map` for helpers that take a map; `fd` is the map's descriptor.
    public static func loadMapFD(_ dst: Register, fd: Int32) -> [Instruction] {
        loadImm64(dst, UInt64(UInt32(bitPattern: fd)), pseudo: PseudoSource.mapFD)
    }
    /// `dst = &map.value[offset]` for an array map of one entry (global data).
    public static func loadMapValue(_ dst: Register, fd: Int32, offset: UInt32) -> [Instruction] {
        loadImm64(dst, UInt64(UInt32(bitPattern: fd)) | UInt64(offset) << 32, pseudo: PseudoSource.mapValue)
    }
}

extension Array where Element == Instruction {
    /// The program as the kernel reads it.
    public var bytes: [UInt8] { flatMap(\.bytes) }
}
