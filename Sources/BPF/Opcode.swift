// The eBPF opcode byte, as the kernel's Documentation/bpf/standardization
// describes it. For ALU and jump classes:
//
//   7      4   3    2    0
//  +--------+------+------+
//  |   op   | src  | class|     src: 0 = immediate (K), 1 = register (X)
//  +--------+------+------+
//
// For load and store classes:
//
//   7    5   4    3   2    0
//  +------+-------+-------+
//  | mode | size  | class |
//  +------+-------+-------+

/// A BPF register. `r10` is the read-only frame pointer.
public enum Register: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10
    /// The frame pointer: the top of the program's 512-byte stack.
    public static let fp = Register.r10
    public var description: String { "r\(rawValue)" }
}

/// The low three bits of every opcode.
public enum OpClass: UInt8, Sendable {
    case ld = 0x00, ldx = 0x01, st = 0x02, stx = 0x03
    case alu = 0x04, jmp = 0x05, jmp32 = 0x06, alu64 = 0x07
}

/// Width of a memory access (bits 3–4 of load/store opcodes).
public enum Size: UInt8, Sendable, CaseIterable {
    case u32 = 0x00, u16 = 0x08, u8 = 0x10, u64 = 0x18

    public var bytes: Int {
        switch self { case .u8: 1; case .u16: 2; case .u32: 4; case .u64: 8 }
    }

    /// The size for an access of `bytes` bytes, if there is one.
    public init?(bytes: Int) {
        switch bytes { case 1: self = .u8; case 2: self = .u16; case 4: self = .u32; case 8: self = .u64; default: return nil }
    }
}

/// Addressing mode of load/store opcodes (bits 5–7).
public enum Mode: UInt8, Sendable {
    case imm = 0x00, abs = 0x20, ind = 0x40, mem = 0x60, memsx = 0x80, atomic = 0xc0
}

/// Operand source of ALU and jump opcodes (bit 3).
public enum Source: UInt8, Sendable {
    case immediate = 0x00, register = 0x08
}

/// Arithmetic operations (bits 4–7 of ALU opcodes).
public enum ALUOp: UInt8, Sendable, CaseIterable {
    case add = 0x00, sub = 0x10, mul = 0x20, div = 0x30, or = 0x40, and = 0x50
    case lsh = 0x60, rsh = 0x70, neg = 0x80, mod = 0x90, xor = 0xa0, mov = 0xb0
    case arsh = 0xc0, end = 0xd0
}

/// Jump operations (bits 4–7 of JMP/JMP32 opcodes).
public enum JumpOp: UInt8, Sendable, CaseIterable {
    case ja = 0x00, jeq = 0x10, jgt = 0x20, jge = 0x30, jset = 0x40, jne = 0x50
    case jsgt = 0x60, jsge = 0x70, call = 0x80, exit = 0x90
    case jlt = 0xa0, jle = 0xb0, jslt = 0xc0, jsle = 0xd0
}

/// Operations of atomic instructions (carried in the immediate).
public enum AtomicOp: Int32, Sendable {
    case add = 0x00, or = 0x40, and = 0x50, xor = 0xa0
    /// Exchange and compare-exchange always fetch.
    case xchg = 0xe1, cmpxchg = 0xf1
    static let fetch: Int32 = 0x01
}

/// Values of the source register field that give LD_IMM64 and calls another meaning.
public enum PseudoSource {
    /// LD_IMM64: the immediate is a map file descriptor.
    public static let mapFD: UInt8 = 1
    /// LD_IMM64: the immediate is a map fd, the second slot an offset into its value.
    public static let mapValue: UInt8 = 2
    /// LD_IMM64: the immediate is the BTF id of a kernel variable (a per-CPU
    /// one, for bpf_per_cpu_ptr); the second slot, a module's BTF fd or 0.
    public static let btfID: UInt8 = 3
    /// LD_IMM64: the immediate is a relative offset to a BPF function (a callback).
    public static let function: UInt8 = 4
    /// CALL: the immediate is a relative offset to a BPF function.
    public static let call: UInt8 = 1
    /// CALL: the immediate is a kernel function's BTF id.
    public static let kfuncCall: UInt8 = 2
}
