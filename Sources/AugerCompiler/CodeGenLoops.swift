import AugerScript
import BPF

/// Loops run by the kernel for us: bpf_for_each_map_elem (for over a map,
/// len) and bpf_loop (for over a range with run-time bounds). Their bodies
/// become callbacks, emitted after the probe's main function.
extension ProbeCodeGen {
    /// `for ($kv : @m) { … }` with bpf_for_each_map_elem: the body becomes a
    /// callback that reaches the probe's variables through the frame pointer
    /// it is given, and returns 1 to stop (break) or 0 to go on.
    func forMap(_ name: String, _ mapExpr: Expr, _ body: Block, _ range: SourceRange) throws(CompileError) {
        guard case .map(let mapName, _) = mapExpr.kind, let map = compiler.maps[mapName] else {
            throw CompileError(message: "for loops iterate over a map", range: mapExpr.range)
        }
        if case .hist = map.kind { throw CompileError(message: "cannot iterate over a histogram", range: mapExpr.range) }
        if case .lhist = map.kind { throw CompileError(message: "cannot iterate over a histogram", range: mapExpr.range) }
        let keyType = map.key ?? .u64
        let valueType: SType = map.kind == .plain ? map.value : .i64
        let type = SType.tuple([keyType, valueType])
        let slot = try variableSlot(name, type, range)
        guard case .scratch(let off) = slot else { return }
        let callback = label("each")
        let flag = try pushTemp(range) // kept for the probe's life: the callback writes it
        asm.emit(.store(.u64, fp, flag, imm: 0))
        asm.loadMap(.r1, map.spec.name)
        asm.loadFunction(.r2, callback)
        asm.emit(.mov(.r3, fp), .mov(.r4, 0), .call(.forEachMapElem))
        asm.emit(.load(.u64, .r1, fp, flag))
        usedLabels.insert(returnLabel)
        asm.jump(.jne, .r1, 0, to: returnLabel)
        pendingCallbacks.append(LoopCallback(label: callback, variable: name, callerDepth: stackTop, map: map, keyType: keyType, valueType: valueType,
                                             slot: off, body: body, range: range, returnFlag: flag))
    }

    /// `for ($i : a..b)` with bounds known only at run time: bpf_loop calls
    /// the body (a callback, as for maps) b - a times.
    func forRangeWithBPFLoop(_ name: String, _ start: Expr, _ end: Expr, _ body: Block, _ range: SourceRange) throws(CompileError) {
        guard fp == .r10 else { throw CompileError(message: "a loop with run-time bounds cannot be nested in another loop's body yet", range: range) }
        guard case .stack(let variable) = try variableSlot(name, .i64, range) else { return }
        let first = try pushTemp(range), flag = try pushTemp(range) // kept for the probe's life
        try scalar(end)
        let limit = try pushTemp(range)
        asm.emit(.store(.u64, fp, limit, .r0))
        try scalar(start)
        asm.emit(.store(.u64, fp, first, .r0), .store(.u64, fp, variable, .r0), .store(.u64, fp, flag, imm: 0))
        let callback = label("range"), skip = label("rskip")
        asm.emit(.load(.u64, .r1, fp, limit), .alu64(.sub, .r1, .r0))
        popTemp()
        asm.jump(.jsle, .r1, 0, to: skip)
        // bpf_loop runs at most 2^23 iterations.
        asm.jump(.jsle, .r1, 1 << 23, to: callback + "go")
        asm.emit(.mov(.r1, 1 << 23))
        asm.label(callback + "go")
        asm.loadFunction(.r2, callback)
        asm.emit(.mov(.r3, fp), .mov(.r4, 0), .call(.loop))
        asm.emit(.load(.u64, .r1, fp, flag))
        usedLabels.insert(returnLabel)
        asm.jump(.jne, .r1, 0, to: returnLabel)
        asm.label(skip)
        pendingCallbacks.append(LoopCallback(label: callback, rangeStart: first, variable: name, callerDepth: stackTop, map: nil,
                                             keyType: .i64, valueType: .i64, slot: Int(variable), body: body, range: range, returnFlag: flag))
    }

    /// len(@m): the number of keys, counted by bpf_for_each_map_elem.
    func mapLength(_ mapExpr: Expr, _ range: SourceRange) throws(CompileError) {
        guard case .map(let name, _) = mapExpr.kind, let map = compiler.maps[name] else {
            throw CompileError(message: "len() needs a map", range: mapExpr.range)
        }
        guard map.key != nil else {
            throw CompileError(message: "call to len() expects a map with explicit keys (non-scalar map)", range: mapExpr.range)
        }
        switch map.kind {
        case .hist, .lhist: throw CompileError(message: "len() of a histogram is not supported", range: mapExpr.range)
        default: break
        }
        let callback = label("count")
        let offset = try scratch(8, range)
        asm.emit(.store(.u64, .r7, Int16(offset), imm: 0))
        asm.loadMap(.r1, map.spec.name)
        asm.loadFunction(.r2, callback)
        asm.emit(.mov(.r3, 0), .mov(.r4, 0), .call(.forEachMapElem))
        asm.emit(.load(.u64, .r0, .r7, Int16(offset)))
        pendingCounters.append((callback, offset))
    }

    /// The body of a for-map loop as a function: r2 = key, r3 = value,
    /// r4 = the probe's frame pointer.
    func emitCallback(_ cb: LoopCallback) throws(CompileError) {
        let savedFp = fp, savedLoops = loops, savedTerminated = terminated, savedReturn = returnLabel
        defer { fp = savedFp; loops = savedLoops; terminated = savedTerminated; returnLabel = savedReturn }
        asm.function(cb.label)
        mark(cb.range)
        stackTop = max(stackTop, cb.callerDepth)
        if let start = cb.rangeStart {
            // bpf_loop: r1 = the iteration, r2 = the probe's frame pointer.
            asm.emit(.mov(.r9, .r2), .load(.u64, .r3, .r9, start), .alu64(.add, .r3, .r1), .store(.u64, .r9, Int16(cb.slot), .r3))
        } else {
            asm.emit(.mov(.r9, .r4), .store(.u64, .r10, -16, .r2), .store(.u64, .r10, -24, .r3))
        }
        asm.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
        asm.loadMap(.r1, CompiledScript.scratchName)
        asm.emit(.call(.mapLookupElem))
        let stop = label("cbstop"), next = label("cbnext"), returned = label("cbret")
        asm.jump(.jeq, .r0, 0, to: stop)
        asm.emit(.mov(.r7, .r0), .load(.u64, .r6, .r9, Self.savedContext))
        if let map = cb.map {
            let keySize = Layout.size(cb.keyType), valueSize = Layout.size(cb.valueType)
            asm.emit(.load(.u64, .r8, .r10, -16))
            copyWords(from: .r8, 0, to: cb.slot, min(keySize, Int(map.spec.keySize)))
            asm.emit(.load(.u64, .r8, .r10, -24))
            copyWords(from: .r8, 0, to: cb.slot + keySize, min(valueSize, Int(map.spec.valueSize) & ~7))
            variables[cb.variable] = (.tuple([cb.keyType, cb.valueType]), .scratch(cb.slot))
        } else {
            variables[cb.variable] = (.i64, .stack(Int16(cb.slot)))
        }
        fp = .r9
        loops = [(next, stop)]
        returnLabel = returned
        terminated = false
        try block(cb.body)
        if !terminated || usedLabels.contains(next) {
            asm.label(next)
            asm.emit(.mov(.r0, 0), .exit)
        }
        if usedLabels.contains(returned) {
            asm.label(returned)
            asm.emit(.store(.u64, .r9, cb.returnFlag, imm: 1))
        }
        asm.label(stop)
        asm.emit(.mov(.r0, 1), .exit)
    }

    /// A len() callback. The count lives in the scratch map, not the caller's
    /// stack: the verifier tracks stack values across callback calls and would
    /// never see a counter there settle.
    func emitCounter(_ counter: (label: String, offset: Int)) {
        asm.function(counter.label)
        asm.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
        asm.loadMap(.r1, CompiledScript.scratchName)
        asm.emit(.call(.mapLookupElem), .jump(.jeq, .r0, 0, 3))
        asm.emit(.load(.u64, .r1, .r0, Int16(counter.offset)), .alu64(.add, .r1, 1), .store(.u64, .r0, Int16(counter.offset), .r1))
        asm.emit(.mov(.r0, 0), .exit)
    }
}
