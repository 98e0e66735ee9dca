import AugerScript
import BPF

/// Values made of raw bytes: buf(), ntop() and pton().
extension ProbeCodeGen {
    /// buf(data, length): a length word, then the bytes (zero-padded, so
    /// equal buffers compare and hash equal as map keys).
    func readBuffer(_ args: [Expr], into off: Int, capacity: Int, _ e: Expr) throws(CompileError) {
        let source = args[0]
        let fixed = args.count > 1 ? (args[1].foldedConstant ?? positionalInteger(args[1])) : nil
        zero(off, Layout.size(.buffer(capacity)))
        if isMemory(source.type) || source.type?.isString == true {
            // Without a length, the value's own size: a char[4] is 4 bytes (its slot may be 8).
            var natural = Layout.size(source.type ?? .u64)
            if case .string(let bytes)? = source.type { natural = bytes }
            if case .array? = source.type, let bytes = Self.cSize(source.type!) { natural = bytes }
            let n = min(capacity, fixed.map { Int(max(0, $0)) } ?? natural)
            if case .string(let bytes) = source.kind {
                // The literal's bytes as they are (a NUL counts when the length takes it).
                writeRawBytes(Array(bytes.prefix(n)), at: off + 8)
            } else {
                let src = try memory(source)
                copyWords(from: .r7, src, to: off + 8, min(Layout.roundUp(n), Layout.size(source.type ?? .u64)))
            }
            asm.emit(.store(.u64, .r7, Int16(off), imm: Int32(n)))
            return
        }
        // From memory: the length is clamped to the buffer, for the verifier too.
        let length = try pushTemp(e.range)
        if let fixed {
            asm.emit(.mov(.r0, Int32(min(Int64(capacity), max(0, fixed)))))
        } else {
            guard args.count > 1 else { throw CompileError(message: "buf() of a pointer needs a length", range: e.range) }
            try scalar(args[1])
            asm.emit(.jump(.jsge, .r0, 0, 1), .mov(.r0, 0))
            asm.emit(.jump(.jle, .r0, Int32(capacity), 1), .mov(.r0, Int32(capacity)))
        }
        asm.emit(.store(.u64, fp, length, .r0), .store(.u64, .r7, Int16(off), .r0))
        try scalar(source)
        asm.emit(.mov(.r3, .r0), .load(.u64, .r2, fp, length))
        popTemp()
        scratchPointer(.r1, off + 8)
        asm.emit(.call(pointsIntoUser(source, unknown: seesUserPointers) ? .probeReadUser : .probeReadKernel))
    }

    /// Stores bytes exactly (no NUL kept back), in whole words.
    func writeRawBytes(_ bytes: [UInt8], at off: Int) {
        for w in stride(from: 0, to: bytes.count, by: 8) {
            var word: UInt64 = 0
            for i in 0..<8 where w + i < bytes.count { word |= UInt64(bytes[w + i]) << (8 * UInt64(i)) }
            asm.emit(Instruction.loadImm64(.r1, word))
            asm.emit(.store(.u64, .r7, Int16(off + w), .r1))
        }
    }

    /// ntop([family,] address): the family word, then 16 address bytes.
    func placeInet(_ args: [Expr], at off: Int, _ e: Expr) throws(CompileError) {
        let address = args[args.count - 1]
        zero(off, 24)
        let bytes = address.type.flatMap { t -> Int? in if case .array(_, let n) = t { return Layout.size(t) >= n ? n : nil } else { return nil } }
        if args.count == 2 {
            try scalar(args[0])
        } else {
            asm.emit(.mov(.r0, bytes == 16 ? 10 : 2)) // AF_INET6, AF_INET
        }
        asm.emit(.store(.u64, .r7, Int16(off), .r0))
        if bytes != nil {
            let src = try memory(address)
            copyWords(from: .r7, src, to: off + 8, min(16, Layout.size(address.type!)))
        } else {
            try scalar(address)
            asm.emit(.store(.u32, .r7, Int16(off + 8), .r0))
        }
    }

    /// macaddr(mac): the six bytes of a char[6] (a struct's char[6] member
    /// is typed as a string) or those a pointer points at, in a word that
    /// prints as 05:04:03:02:01:02.
    func placeMACAddress(_ mac: Expr, at off: Int, _ e: Expr) throws(CompileError) {
        zero(off, 8)
        switch mac.type {
        case .array?, .string?:
            guard Layout.size(mac.type!) >= 6 else { throw CompileError(message: "macaddr() needs 6 bytes, e.g. a char[6]", range: mac.range) }
            let src = try memory(mac)
            for i in 0..<6 { asm.emit(.load(.u8, .r1, .r7, Int16(src + i)), .store(.u8, .r7, Int16(off + i), .r1)) }
        case let t? where t.isPointer || t.isInteger:
            try scalar(mac)
            asm.emit(.mov(.r3, .r0), .mov(.r2, 6))
            scratchPointer(.r1, off)
            asm.emit(.call(readsUserMemory ? .probeReadUser : .probeReadKernel))
        default:
            throw CompileError(message: "macaddr() needs a char[6] or a pointer to one", range: mac.range)
        }
    }

    /// pton("literal"): the address's bytes in network order, parsed here.
    static func addressBytes(_ text: String) -> [UInt8]? {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
            return parts.count == 4 && parts.allSatisfy({ $0 != nil }) ? parts.map { $0! } : nil
        }
        // Split at "::", the run of zero groups, if there is one.
        let chars = Array(text)
        var halves = [text]
        if let i = chars.indices.dropLast().first(where: { chars[$0] == ":" && chars[$0 + 1] == ":" }) {
            halves = [String(chars[..<i]), String(chars[(i + 2)...])]
            if halves[1].contains("::") { return nil }
        }
        func groups(_ s: String) -> [UInt16]? {
            s.isEmpty ? [] : s.split(separator: ":", omittingEmptySubsequences: false).map { UInt16($0, radix: 16) }.reduce(into: Optional([UInt16]())) { acc, g in
                if let g, acc != nil { acc!.append(g) } else { acc = nil }
            }
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
        let fill = halves.count == 2 ? 8 - head.count - tail.count : 0
        guard fill >= 0, head.count + fill + tail.count == 8 else { return nil }
        return (head + [UInt16](repeating: 0, count: fill) + tail).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}
