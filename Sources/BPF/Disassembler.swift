// Prints instructions in the text the kernel's verifier log uses
// (kernel/bpf/disasm.c), so a program can be compared with the log line by line.

extension Instruction {
    private static let aluSymbols: [UInt8: String] = [
        0x00: "+=", 0x10: "-=", 0x20: "*=", 0x30: "/=", 0x40: "|=", 0x50: "&=", 0x60: "<<=",
        0x70: ">>=", 0x90: "%=", 0xa0: "^=", 0xb0: "=", 0xc0: "s>>=",
    ]
    private static let jumpSymbols: [UInt8: String] = [
        0x10: "==", 0x20: ">", 0x30: ">=", 0x40: "&", 0x50: "!=", 0x60: "s>", 0x70: "s>=",
        0xa0: "<", 0xb0: "<=", 0xc0: "s<", 0xd0: "s<=",
    ]
    private static let sizeNames: [UInt8: String] = [0x00: "u32", 0x08: "u16", 0x10: "u8", 0x18: "u64"]

    /// The instruction's text without index or opcode, e.g. `r1 += -8`.
    /// `next` is the following slot, needed for `LD_IMM64`.
    public func text(next: Instruction? = nil) -> String {
        let op = opcode & 0xf0
        let usesReg = opcode & Source.register.rawValue != 0
        switch opClass {
        case .alu, .alu64:
            let r = opClass == .alu64 ? "r" : "w"
            if op == ALUOp.neg.rawValue { return "\(r)\(dst) = -\(r)\(dst)" }
            if op == ALUOp.end.rawValue {
                return "r\(dst) = \(usesReg ? "be" : "le")\(imm) r\(dst)"
            }
            if op == ALUOp.mov.rawValue && usesReg && offset != 0 {
                return "\(r)\(dst) = (s\(offset))\(r)\(src)"
            }
            var sym = Self.aluSymbols[op] ?? "?"
            if offset == 1 && (op == ALUOp.div.rawValue || op == ALUOp.mod.rawValue) { sym = "s" + sym }
            return usesReg ? "\(r)\(dst) \(sym) \(r)\(src)" : "\(r)\(dst) \(sym) \(imm)"
        case .ldx:
            let size = Self.sizeNames[opcode & 0x18]!
            let sx = opcode & 0xe0 == Mode.memsx.rawValue ? "s" : "u"
            return "r\(dst) = *(\(sx)\(size.dropFirst()) *)(r\(src) \(signed(offset)))"
        case .stx:
            let size = Self.sizeNames[opcode & 0x18]!
            if opcode & 0xe0 == Mode.atomic.rawValue { return atomicText(size) }
            return "*(\(size) *)(r\(dst) \(signed(offset))) = r\(src)"
        case .st:
            let size = Self.sizeNames[opcode & 0x18]!
            return "*(\(size) *)(r\(dst) \(signed(offset))) = \(imm)"
        case .ld:
            if isLoadImm64 {
                let value = UInt64(UInt32(bitPattern: imm)) | UInt64(UInt32(bitPattern: next?.imm ?? 0)) << 32
                switch src {
                case PseudoSource.mapFD: return "r\(dst) = map[fd:\(imm)]"
                case PseudoSource.mapValue: return "r\(dst) = map[fd:\(imm)][\(next?.imm ?? 0)]"
                default: return "r\(dst) = 0x\(String(value, radix: 16))"
                }
            }
            return "BUG_ld_\(String(opcode, radix: 16))"
        case .jmp, .jmp32:
            let r = opClass == .jmp ? "r" : "w"
            switch op {
            case JumpOp.exit.rawValue: return "exit"
            case JumpOp.call.rawValue:
                if src == PseudoSource.call { return "call pc\(signed(Int(imm)))" }
                if src == 0, let h = Helper(rawValue: imm) { return "call \(h.name)#\(imm)" }
                if src == PseudoSource.kfuncCall { return "call kernel function btf#\(UInt32(bitPattern: imm))" }
                return "call unknown#\(imm)"
            case JumpOp.ja.rawValue:
                return opClass == .jmp ? "goto pc\(signed(offset))" : "gotol pc\(signed(Int(imm)))"
            default:
                let sym = Self.jumpSymbols[op] ?? "?"
                let rhs = usesReg ? "\(r)\(src)" : "0x\(String(UInt32(bitPattern: imm), radix: 16))"
                return "if \(r)\(dst) \(sym) \(rhs) goto pc\(signed(offset))"
            }
        }
    }

    private func atomicText(_ size: String) -> String {
        let target = "*(\(size) *)(r\(dst) \(signed(offset)))"
        let r = "r"
        switch imm {
        case AtomicOp.xchg.rawValue: return "\(r)\(src) = atomic\(size == "u64" ? "64" : "")_xchg((\(size) *)(r\(dst) \(signed(offset))), \(r)\(src))"
        case AtomicOp.cmpxchg.rawValue: return "r0 = atomic\(size == "u64" ? "64" : "")_cmpxchg((\(size) *)(r\(dst) \(signed(offset))), r0, \(r)\(src))"
        default:
            let base = imm & ~AtomicOp.fetch
            let sym = Self.aluSymbols[UInt8(truncatingIfNeeded: base)] ?? "?"
            if imm & AtomicOp.fetch != 0 {
                let name = ["0": "add", "64": "or", "80": "and", "160": "xor"]["\(base)"] ?? "?"
                return "\(r)\(src) = atomic\(size == "u64" ? "64" : "")_fetch_\(name)((\(size) *)(r\(dst) \(signed(offset))), \(r)\(src))"
            }
            return "lock \(target) \(sym) \(r)\(src)"
        }
    }

    private func signed<T: BinaryInteger>(_ v: T) -> String { v < 0 ? "\(v)" : "+\(v)" }
}

extension Array where Element == Instruction {
    /// One line per instruction in the verifier log's form: `3: (07) r2 += -4`.
    /// The second slot of a 64-bit load gets no line of its own.
    public func disassembled() -> String {
        var lines: [String] = []
        var i = 0
        while i < count {
            let insn = self[i]
            let next = i + 1 < count ? self[i + 1] : nil
            let hex = String(insn.opcode, radix: 16)
            lines.append("\(i): (\(hex.count == 1 ? "0" + hex : hex)) \(insn.text(next: next))")
            i += insn.isLoadImm64 ? 2 : 1
        }
        return lines.joined(separator: "\n")
    }
}
