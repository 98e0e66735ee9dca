import AugerScript
import BPF

extension ProbeCodeGen {
    /// Builds `map`'s key for `keys` in scratch; returns its offset. Maps
    /// without keys use the key 0; histograms leave a word for the bucket.
    func buildKey(_ map: ScriptMap, _ keys: [Expr], _ range: SourceRange) throws(CompileError) -> Int {
        let total = Int(map.spec.keySize)
        let off = try scratch(total, range)
        guard let keyType = map.key else {
            asm.emit(.store(.u64, .r7, Int16(off), imm: 0))
            return off
        }
        if keys.count == 1 {
            try place(keys[0], keyType, at: off)
        } else if case .tuple(let ts) = keyType, ts.count == keys.count {
            for (k, (t, at)) in zip(keys, zip(ts, Layout.offsets(ts))) { try place(k, t, at: off + at) }
        } else {
            throw CompileError(message: "this key does not match the map's key type \(keyType)", range: range)
        }
        return off
    }

    /// r0 = pointer to the value under the key at scratch `key`, or 0.
    func lookup(_ map: ScriptMap, key: Int) {
        asm.loadMap(.r1, map.spec.name)
        scratchPointer(.r2, key)
        asm.emit(.call(.mapLookupElem))
    }

    /// A map read as a scalar: the value, or 0 when the key is absent.
    func readMap(_ name: String, _ keys: [Expr], _ e: Expr) throws(CompileError) {
        guard let map = compiler.maps[name] else { throw CompileError(message: "unknown map @\(name)", range: e.range) }
        let key = try buildKey(map, keys, e.range)
        lookup(map, key: key)
        let end = label("rend")
        if compiler.reportHelperErrors {
            // -k: reading a missing element is worth a warning.
            let found = label("found")
            asm.jump(.jne, .r0, 0, to: found)
            try warn("Can't lookup map element because it does not exist.\nAdditional Info - helper: map_lookup_elem, retcode: 0", e.range)
            asm.emit(.mov(.r0, 0))
            asm.goto(end)
            asm.label(found)
        }
        asm.jump(.jeq, .r0, 0, to: end)
        switch map.kind {
        case .aggregate(.avg):
            // sum / count on this CPU (signed when the values are)
            asm.emit(.load(.u64, .r1, .r0, 8), .load(.u64, .r0, .r0, 0))
            if map.signedValues {
                asm.jump(.jeq, .r1, 0, to: end)
                try signedDivide(mod: false, e.range)
            } else {
                asm.emit(.jump(.jeq, .r1, 0, 1), .alu64(.div, .r0, .r1))
            }
        default:
            asm.emit(.load(.u64, .r0, .r0, 0))
        }
        asm.label(end)
    }

    func assignMap(_ name: String, _ keys: [Expr], _ op: BinaryOp?, _ value: Expr, _ range: SourceRange) throws(CompileError) {
        guard let map = compiler.maps[name] else { throw CompileError(message: "unknown map @\(name)", range: range) }
        var value = value
        if case .block(let b) = value.kind, let v = b.value, case .call(let fn, _) = v.kind, Aggregate(rawValue: fn) != nil {
            for s in b.statements.dropLast() { try statement(s) }
            value = v
        }
        if case .call(let fn, let args) = value.kind, let agg = Aggregate(rawValue: fn) {
            try aggregate(map, agg, keys, args, range)
            return
        }
        if let op {
            // @m op= v: read, combine, write back.
            try scalar(value)
            let tmp = try pushTemp(range)
            asm.emit(.store(.u64, fp, tmp, .r0))
            let key = try buildKey(map, keys, range)
            try lookupOrInit(map, .scratch(key), range, missing: returnLabel)
            usedLabels.insert(returnLabel)
            asm.emit(.mov(.r8, .r0), .load(.u64, .r0, .r8, 0), .load(.u64, .r1, fp, tmp))
            popTemp()
            scaleForPointer(map.value, op)
            try arithmetic(op, signed: map.value.isSigned, range, divisorNonZero: value.foldedConstant.map { $0 != 0 } ?? false)
            asm.emit(.store(.u64, .r8, 0, .r0))
            return
        }
        let valueOffset = try scratch(Int(map.spec.valueSize), range)
        try place(value, map.value, at: valueOffset)
        let key = try buildKey(map, keys, range)
        asm.loadMap(.r1, map.spec.name)
        scratchPointer(.r2, key)
        scratchPointer(.r3, valueOffset)
        asm.emit(.mov(.r4, 0), .call(.mapUpdateElem))
        try warnIfMapFull(range)
    }

    /// After a map update (r0 its result): bpftrace's warning when the map
    /// had no room (E2BIG), sent from the stack so no scratch is needed.
    func warnIfMapFull(_ range: SourceRange) throws(CompileError) {
        let fits = label("fits")
        asm.jump(.jne, .r0, -7, to: fits)
        try warn("Map full; can't update element.\nAdditional Info - helper: map_update_elem, retcode: -7", range)
        asm.label(fits)
    }

    /// Sends a fixed warning for `range` (printed where the script's
    /// warnings go), from the stack; clobbers r0-r5.
    func warn(_ message: String, _ range: SourceRange) throws(CompileError) {
        let (id, _) = compiler.registerFormat("warnf", FormatString(literal: message), [], range: range, runtimeWarning: true)
        let header = try pushTemp(range)
        asm.emit(Instruction.loadImm64(.r1, EventKind.message.rawValue << 32 | UInt64(id)))
        asm.emit(.store(.u64, fp, header, .r1))
        asm.loadMap(.r1, CompiledScript.ringBufferName)
        asm.emit(.mov(.r2, fp), .alu64(.add, .r2, Int32(header)), .mov(.r3, 8), .mov(.r4, 0), .call(.ringbufOutput))
        popTemp()
    }

    /// Where a key is built: scratch memory, or (small integer keys) the stack,
    /// which spares programs like `@[tid] = count()` the scratch lookup.
    enum KeyPlace {
        case scratch(Int)
        case stack(Int16)
    }

    func keyPointer(_ r: Register, _ place: KeyPlace, plus extra: Int = 0) {
        switch place {
        case .scratch(let off): scratchPointer(r, off + extra)
        case .stack(let off): asm.emit(.mov(r, fp), .alu64(.add, r, Int32(Int(off) + extra)))
        }
    }

    func storeKeyWord(_ place: KeyPlace, at offset: Int, _ r: Register) {
        switch place {
        case .scratch(let off): asm.emit(.store(.u64, .r7, Int16(off + offset), r))
        case .stack(let off): asm.emit(.store(.u64, fp, off + Int16(offset), r))
        }
    }

    /// Integer keys (and histogram buckets) of up to 64 bytes go on the stack.
    func stackKey(_ map: ScriptMap, _ keys: [Expr], _ range: SourceRange) throws(CompileError) -> KeyPlace? {
        if map.spec.type.isArray && keys.isEmpty {
            let index = try pushTemp(range)
            asm.emit(.store(.u64, fp, index, imm: 0))
            return .stack(index)
        }
        let size = Int(map.spec.keySize), valueSize = Int(map.spec.valueSize)
        guard fp == .r10, size % 8 == 0, size <= 64, valueSize <= 32, stackTop + size + valueSize <= Self.stackKeyLimit else { return nil }
        let types: [SType]
        switch map.key {
        case nil: types = []
        case .tuple(let ts)?: types = ts
        case let t?: types = [t]
        }
        guard types.count == keys.count || (map.key == nil && keys.isEmpty),
              types.allSatisfy({ $0.isInteger || $0.isPointer || $0 == .bool }) else { return nil }
        var base: Int16 = 0
        for _ in 0..<(size / 8) { base = try pushTemp(range) }
        for (i, k) in keys.enumerated() {
            try scalar(k)
            asm.emit(.store(.u64, fp, base + Int16(8 * i), .r0))
        }
        if keys.isEmpty && map.userKeySize > 0 { asm.emit(.store(.u64, fp, base, imm: 0)) }
        return .stack(base)
    }

    /// r0 = pointer to the value under `key`, creating a zeroed entry first
    /// if there is none; jumps to `missing` if the map is full.
    func lookupOrInit(_ map: ScriptMap, _ key: KeyPlace, _ range: SourceRange, missing: String) throws(CompileError) {
        let have = label("have")
        asm.loadMap(.r1, map.spec.name)
        keyPointer(.r2, key)
        asm.emit(.call(.mapLookupElem))
        // An array's elements always exist (the verifier still wants the check).
        if map.spec.type.isArray {
            asm.jump(.jeq, .r0, 0, to: missing)
            return
        }
        asm.jump(.jne, .r0, 0, to: have)
        // The zeroed value to insert: on the stack when small, else in scratch.
        let size = Int(map.spec.valueSize), words = (size + 7) / 8
        var stackZeros: Int16? = nil
        if size <= 32 {
            for _ in 0..<words { stackZeros = try pushTemp(range) }
            for w in 0..<words { asm.emit(.store(.u64, fp, stackZeros! + Int16(8 * w), imm: 0)) }
            asm.emit(.mov(.r3, fp), .alu64(.add, .r3, Int32(stackZeros!)))
        } else {
            let zeros = try scratch(size, range)
            zero(zeros, size)
            scratchPointer(.r3, zeros)
        }
        asm.loadMap(.r1, map.spec.name)
        keyPointer(.r2, key)
        asm.emit(.mov(.r4, Int32(BPF_NOEXIST_FLAG)), .call(.mapUpdateElem))
        if stackZeros != nil { for _ in 0..<words { popTemp() } }
        try warnIfMapFull(range)
        asm.loadMap(.r1, map.spec.name)
        keyPointer(.r2, key)
        asm.emit(.call(.mapLookupElem))
        asm.jump(.jeq, .r0, 0, to: missing)
        asm.label(have)
    }

    /// Updates this CPU's aggregation value.
    func aggregate(_ map: ScriptMap, _ agg: Aggregate, _ keys: [Expr], _ args: [Expr], _ range: SourceRange) throws(CompileError) {
        let v = try pushTemp(range)
        if let first = args.first {
            try scalar(first)
            asm.emit(.store(.u64, fp, v, .r0))
        }
        let stackDepth = stackTop
        let key: KeyPlace
        if let onStack = try stackKey(map, keys, range) { key = onStack } else { key = .scratch(try buildKey(map, keys, range)) }
        defer { while stackTop > stackDepth { popTemp() } }
        let done = label("aggdone")
        switch map.kind {
        case .hist(let bits):
            asm.emit(.load(.u64, .r0, fp, v))
            log2Bucket(bits: bits)
            storeKeyWord(key, at: map.userKeySize, .r0)
        case .lhist(let lo, let hi, let step):
            asm.emit(.load(.u64, .r0, fp, v))
            linearBucket(min: lo, max: hi, step: step)
            storeKeyWord(key, at: map.userKeySize, .r0)
        case .tseries(let interval, let intervals, let aggregation):
            try timeSeries(map, key, value: v, interval: interval, intervals: intervals, aggregation, range)
            popTemp()
            return
        default: break
        }
        try lookupOrInit(map, key, range, missing: done)
        if !args.isEmpty { asm.emit(.load(.u64, .r1, fp, v)) }
        let signed = map.signedValues
        switch agg {
        case .count, .hist, .lhist, .tseries:
            // (tseries is handled above)
            asm.emit(.load(.u64, .r2, .r0, 0), .alu64(.add, .r2, 1), .store(.u64, .r0, 0, .r2))
        case .sum:
            addValue()
        case .avg, .stats:
            addValue(counting: true)
        case .min, .max:
            keepExtreme(minimum: agg == .min, signed: signed, done: done)
        }
        asm.label(done)
        popTemp()
    }

    /// [r0] += r1, and with `counting`, [r0 + 8] += 1 (sum, avg and stats).
    func addValue(counting: Bool = false) {
        asm.emit(.load(.u64, .r2, .r0, 0), .alu64(.add, .r2, .r1), .store(.u64, .r0, 0, .r2))
        if counting { asm.emit(.load(.u64, .r2, .r0, 8), .alu64(.add, .r2, 1), .store(.u64, .r0, 8, .r2)) }
    }

    /// min or max: [r0] = r1 when [r0 + 8] says no value is held yet, or r1
    /// is smaller (larger); otherwise on to `done`.
    func keepExtreme(minimum: Bool, signed: Bool, done: String) {
        let set = label("set")
        asm.emit(.load(.u64, .r2, .r0, 8))
        asm.jump(.jeq, .r2, 0, to: set)
        asm.emit(.load(.u64, .r2, .r0, 0))
        let better: JumpOp = minimum ? (signed ? .jslt : .jlt) : (signed ? .jsgt : .jgt)
        asm.jump(better, .r1, .r2, to: set)
        asm.goto(done)
        asm.label(set)
        asm.emit(.store(.u64, .r0, 0, .r1), .store(.u64, .r0, 8, imm: 1))
    }

    /// r0 = bpftrace's log2 bucket of r0: 0 for negative values, 1 for 0,
    /// then 2^bits buckets for each power of two.
    func log2Bucket(bits: Int) {
        let negative = label("neg"), zeroLabel = label("zero"), end = label("bend")
        asm.jump(.jslt, .r0, 0, to: negative)
        asm.jump(.jeq, .r0, 0, to: zeroLabel)
        // r1 = floor(log2(r0)) by binary search, without branches: the
        // verifier would otherwise follow each of the 64 ways through, for
        // every hist() in the probe. r0 is positive here, below 2^63, so
        // (2^k - 1 - r2) is negative, its top bit set, exactly when r2 ≥ 2^k.
        asm.emit(.mov(.r2, .r0), .mov(.r1, 0))
        for shift in [32, 16, 8, 4, 2, 1] {
            asm.emit(Instruction.loadImm64(.r3, (UInt64(1) << UInt64(shift)) - 1))
            asm.emit(.alu64(.sub, .r3, .r2), .alu64(.rsh, .r3, 63))                   // 1 when r2 ≥ 2^shift
            asm.emit(.alu64(.mul, .r3, Int32(shift)), .alu64(.rsh, .r2, .r3), .alu64(.add, .r1, .r3))
        }
        if bits == 0 {
            asm.emit(.mov(.r0, .r1), .alu64(.add, .r0, 2))
        } else {
            // Within [2^n, 2^(n+1)): which of 2^bits equal parts, from the bits below the top one.
            let k = Int32(bits)
            let small = label("small")
            asm.jump(.jlt, .r1, k, to: small)
            asm.emit(.mov(.r2, .r0), .mov(.r3, .r1), .alu64(.sub, .r3, k), .alu64(.rsh, .r2, .r3))
            asm.emit(.alu64(.and, .r2, (1 << k) - 1))
            asm.emit(.mov(.r0, .r1), .alu64(.sub, .r0, k), .alu64(.add, .r0, 1), .alu64(.lsh, .r0, k), .alu64(.add, .r0, .r2), .alu64(.add, .r0, 1))
            asm.goto(end)
            asm.label(small)
            // Values below 2^bits get a bucket each.
            asm.emit(.alu64(.add, .r0, 1))
        }
        asm.goto(end)
        asm.label(negative)
        asm.emit(.mov(.r0, 0))
        asm.goto(end)
        asm.label(zeroLabel)
        asm.emit(.mov(.r0, 1))
        asm.label(end)
    }

    /// r0 = lhist bucket: 0 below min, 1 + (v - min) / step, last at or above max.
    func linearBucket(min lo: Int64, max hi: Int64, step: Int64) {
        let buckets = HistogramBuckets.linear(min: lo, max: hi, step: step).linearSteps
        let below = label("below"), above = label("above"), end = label("lend")
        constant(lo, into: .r1)
        asm.jump(.jslt, .r0, .r1, to: below)
        constant(hi, into: .r1)
        asm.jump(.jsge, .r0, .r1, to: above)
        constant(lo, into: .r1)
        asm.emit(.alu64(.sub, .r0, .r1))
        constant(step, into: .r1)
        asm.emit(.alu64(.div, .r0, .r1), .alu64(.add, .r0, 1))
        asm.goto(end)
        asm.label(below)
        asm.emit(.mov(.r0, 0))
        asm.goto(end)
        asm.label(above)
        constant(buckets + 1)
        asm.label(end)
    }
}

/// BPF_NOEXIST: create only.
let BPF_NOEXIST_FLAG: Int = 1
