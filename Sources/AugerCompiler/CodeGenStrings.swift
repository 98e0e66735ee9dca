import AugerScript
import BPF

/// strncmp, strcontains, strstr and memcmp, unrolled over the strings' fixed sizes: string
/// buffers are zero past their NUL, so a byte beyond a string reads as 0.
extension ProbeCodeGen {
    /// The bytes a string or char array can hold, including its NUL.
    func stringCapacity(_ type: SType?) -> Int {
        switch type ?? .unknown {
        case .string(let n), .buffer(let n): n
        case .array(_, let n): n
        default: Layout.size(type ?? .u64)
        }
    }

    /// A literal's characters, up to its first NUL (what C would see).
    func literalCharacters(_ e: Expr) -> [UInt8]? {
        guard case .string(let bytes) = e.kind else { return nil }
        return Array(bytes.prefix { $0 != 0 })
    }

    /// r0 = 0 when the first `n` characters agree (up to a shared NUL), else 1.
    func strncmp(_ args: [Expr], _ e: Expr) throws(CompileError) {
        guard let n = args[2].foldedConstant ?? positionalInteger(args[2]), n >= 0 else {
            throw CompileError(message: "strncmp() needs a constant length", range: args[2].range)
        }
        let a = try memory(args[0]), b = try memory(args[1])
        let sa = stringCapacity(args[0].type), sb = stringCapacity(args[1].type)
        let differ = label("sdiff"), same = label("ssame")
        for i in 0..<min(Int(n), max(sa, sb)) {
            asm.emit(i < sa ? .load(.u8, .r1, .r7, Int16(a + i)) : .mov(.r1, 0))
            asm.emit(i < sb ? .load(.u8, .r2, .r7, Int16(b + i)) : .mov(.r2, 0))
            asm.jump(.jne, .r1, .r2, to: differ)
            asm.jump(.jeq, .r1, 0, to: same)
        }
        joinConstants(same, 0, differ, 1)
    }

    /// Two paths, from `first` and `second`, that set r0 to a constant each and meet.
    func joinConstants(_ first: String, _ a: Int32, _ second: String, _ b: Int32) {
        let end = label("join")
        asm.label(first)
        asm.emit(.mov(.r0, a))
        asm.goto(end)
        asm.label(second)
        asm.emit(.mov(.r0, b))
        asm.label(end)
    }

    /// r0 = the number of characters before the string's NUL.
    func strlen(_ s: Expr, _ e: Expr) throws(CompileError) {
        if let literal = literalCharacters(s) { constant(Int64(literal.count)); return }
        let off = try memory(s), capacity = stringCapacity(s.type)
        let done = label("slen")
        for i in 0..<capacity {
            asm.emit(.mov(.r0, Int32(i)), .load(.u8, .r1, .r7, Int16(off + i)))
            asm.jump(.jeq, .r1, 0, to: done)
        }
        asm.emit(.mov(.r0, Int32(capacity)))
        asm.label(done)
    }

    /// r0 = 1 when the needle occurs in the haystack (strcontains), or the
    /// index of its first occurrence, -1 when there is none (strstr).
    func search(_ args: [Expr], _ e: Expr, index: Bool) throws(CompileError) {
        let (hay, needle) = (args[0], args[1])
        if let h = literalCharacters(hay), let n = literalCharacters(needle) {
            let at = n.isEmpty ? 0 : h.indices.first { h[$0...].starts(with: n) }
            constant(index ? Int64(at ?? -1) : at == nil ? 0 : 1)
            return
        }
        let h = try memory(hay), sh = stringCapacity(hay.type)
        let found = label("scfound"), missing = label("scmiss")
        // strstr keeps the position it is trying in r3, the result if it matches.
        func position(_ i: Int) { if index { asm.emit(.mov(.r3, Int32(i))) } }
        if let n = literalCharacters(needle) {
            // The needle's bytes are immediates: one compare per character.
            guard !n.isEmpty else { asm.emit(.mov(.r0, index ? 0 : 1)); return }
            try checkUnrollSize(sh * n.count, e)
            for i in 0..<max(0, sh - n.count) {
                let next = label("scnext")
                position(i)
                for (j, c) in n.enumerated() {
                    asm.emit(.load(.u8, .r1, .r7, Int16(h + i + j)))
                    asm.jump(.jne, .r1, Int32(c), to: next)
                }
                asm.goto(found)
                asm.label(next)
                asm.emit(.load(.u8, .r1, .r7, Int16(h + i)))
                asm.jump(.jeq, .r1, 0, to: missing)
            }
        } else {
            let n = try memory(needle), sn = stringCapacity(needle.type)
            try checkUnrollSize(sh * sn, e)
            for i in 0..<sh {
                let next = label("scnext")
                position(i)
                var exhausted = false
                for j in 0..<sn {
                    asm.emit(.load(.u8, .r2, .r7, Int16(n + j)))
                    asm.jump(.jeq, .r2, 0, to: found)
                    if i + j >= sh { exhausted = true; break }
                    asm.emit(.load(.u8, .r1, .r7, Int16(h + i + j)))
                    asm.jump(.jne, .r1, .r2, to: next)
                }
                // A needle longer than the rest of the haystack cannot match.
                asm.goto(exhausted ? missing : found)
                asm.label(next)
                asm.emit(.load(.u8, .r1, .r7, Int16(h + i)))
                asm.jump(.jeq, .r1, 0, to: missing)
            }
        }
        let end = label("scend")
        asm.label(missing)
        asm.emit(.mov(.r0, index ? -1 : 0))
        asm.goto(end)
        asm.label(found)
        asm.emit(index ? .mov(.r0, .r3) : .mov(.r0, 1))
        asm.label(end)
    }

    /// memcmp(a, b, n): r0 = the difference of the first bytes that differ, else 0.
    func memcmp(_ args: [Expr], _ e: Expr) throws(CompileError) {
        guard let n = args[2].foldedConstant ?? positionalInteger(args[2]), n >= 0 else {
            throw CompileError(message: "memcmp() needs a constant count", range: args[2].range)
        }
        let a = try memory(args[0]), b = try memory(args[1])
        let limit = min(Layout.size(args[0].type ?? .u64), Layout.size(args[1].type ?? .u64))
        guard n <= limit else {
            throw CompileError(message: "memcmp() would read \(n) bytes of a value that holds \(limit)", range: args[2].range)
        }
        let differ = label("mdiff"), end = label("mend")
        for i in 0..<Int(n) {
            asm.emit(.load(.u8, .r1, .r7, Int16(a + i)), .load(.u8, .r2, .r7, Int16(b + i)))
            asm.jump(.jne, .r1, .r2, to: differ)
        }
        asm.emit(.mov(.r0, 0))
        asm.goto(end)
        asm.label(differ)
        asm.emit(.mov(.r0, .r1), .alu64(.sub, .r0, .r2))
        asm.label(end)
    }

    /// Unrolled comparisons grow with both lengths; beyond this the program
    /// would approach the verifier's limits.
    func checkUnrollSize(_ pairs: Int, _ e: Expr) throws(CompileError) {
        guard pairs <= 65_536 else {
            throw CompileError(message: "searching strings this long is not supported yet: bound them, e.g. str(x, 64)", range: e.range)
        }
    }
}
