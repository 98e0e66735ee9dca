import AugerScript
import BPF

/// Generates one BPF program for one attach target of a probe.
///
/// Register use: r6 holds the context, r7 the per-CPU scratch buffer where
/// strings, tuples, keys and event records are built (the 512-byte stack is
/// too small for them), r0 carries each scalar result, r1–r5 are helper
/// arguments, and intermediate scalars are spilled to stack slots.
final class ProbeCodeGen {
    unowned let compiler: Compiler
    let probe: Probe
    let target: AttachTarget
    var asm = Assembler()
    /// Bytes of the scratch buffer this program uses.
    var scratchTop = 0
    /// Bytes of stack in use below the frame pointer: the scratch lookup key
    /// at -8, the saved context at -16, then variables and temporaries.
    var stackTop = 16
    static let savedContext: Int16 = -16
    /// The frame the probe's variables live in: r10 in the main function;
    /// in a for-loop callback, r9, which holds the main function's r10.
    var fp = Register.r10
    /// Where `return` and exit() go: the end of the probe, or in a loop
    /// callback, a path that tells the caller to return too.
    var returnLabel = "exit"
    /// Labels some jump targets, so code behind an unused one is not emitted.
    var usedLabels: Set<String> = []
    /// Loop callbacks, emitted after the main function.
    var pendingCallbacks: [LoopCallback] = []
    /// len(@m) callbacks: each adds one to the scratch word at this offset.
    var pendingCounters: [(label: String, offset: Int)] = []

    struct LoopCallback {
        var label: String
        /// A range loop's first value, in a caller stack slot; nil for map loops.
        var rangeStart: Int16? = nil
        /// The loop variable: bodies compile after the probe, when a later
        /// loop may have bound the same name to another slot.
        var variable: String
        /// The caller's stack depth at the call: the body's temporaries, which
        /// live in the caller's frame, must start below everything live then.
        var callerDepth: Int = 0
        /// The map a for-map loop walks; nil for range loops.
        var map: ScriptMap?
        var keyType: SType
        var valueType: SType
        var slot: Int
        var body: Block
        var range: SourceRange
        /// A caller-frame word set to 1 when the body returns.
        var returnFlag: Int16
    }
    var variables: [String: (type: SType, slot: Slot)] = [:]
    var labels = 0
    var sourceMap: [(instruction: Int, range: SourceRange)] = []
    var loops: [(next: String, done: String)] = []
    /// Set after an unconditional jump (exit, return, break, continue): code
    /// that follows in the same block is unreachable, and the verifier
    /// rejects unreachable instructions, so none is emitted.
    var terminated = false
    static let maxStack = 512

    /// Where a value lives: a stack slot (scalars) or a scratch offset.
    enum Slot { case stack(Int16), scratch(Int) }

    init(compiler: Compiler, probe: Probe, target: AttachTarget) {
        self.compiler = compiler
        self.probe = probe
        self.target = target
    }

    func generate(name: String) throws(CompileError) -> (ProgramSpec, [(instruction: Int, range: SourceRange)]) {
        // Prologue: keep the context, find this CPU's scratch buffer.
        asm.emit(.mov(.r6, .r1), .store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
        asm.loadMap(.r1, CompiledScript.scratchName)
        asm.emit(.call(.mapLookupElem))
        asm.jump(.jeq, .r0, 0, to: "exit")
        asm.emit(.mov(.r7, .r0), .store(.u64, .r10, Self.savedContext, .r6))
        if let predicate = probe.predicate {
            mark(predicate.range)
            try scalar(predicate)
            asm.jump(.jeq, .r0, 0, to: "exit")
        }
        try block(probe.body)
        asm.label("exit")
        asm.emit(.mov(.r0, 0), .exit)
        while !pendingCallbacks.isEmpty {
            try emitCallback(pendingCallbacks.removeFirst())
        }
        for counter in pendingCounters {
            // The count lives in the scratch map, not the caller's stack: the
            // verifier tracks stack values across callback calls and would
            // never see a counter there settle.
            asm.function(counter.label)
            asm.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
            asm.loadMap(.r1, CompiledScript.scratchName)
            asm.emit(.call(.mapLookupElem), .jump(.jeq, .r0, 0, 3))
            asm.emit(.load(.u64, .r1, .r0, Int16(counter.offset)), .alu64(.add, .r1, 1), .store(.u64, .r0, Int16(counter.offset), .r1))
            asm.emit(.mov(.r0, 0), .exit)
        }
        var assembled: Assembled
        do { assembled = try asm.assemble() } catch {
            throw CompileError(message: "internal error: \(error)", range: probe.range)
        }
        if scratchTop == 0, assembled.functions.isEmpty, let lean = Self.withoutScratchLookup(assembled) {
            assembled = lean
            sourceMap = sourceMap.map { ($0.instruction - Self.scratchPrologue, $0.range) }
        }
        let spec = ProgramSpec(name: name, type: target.programType, assembled: assembled)
        return (spec, sourceMap)
    }

    /// Instructions after `mov r6, r1` that find the scratch buffer and save the context.
    static let scratchPrologue = 9

    /// Most per-event programs (count(), sum(), a printf of integers) never
    /// touch scratch memory: dropping its lookup saves a helper call per event.
    static func withoutScratchLookup(_ a: Assembled) -> Assembled? {
        let body = a.instructions.dropFirst(1 + scratchPrologue)
        guard !body.contains(where: { $0.dst == 7 || $0.src == 7 }) else { return nil }
        var lean = a
        lean.instructions = [a.instructions[0]] + body
        lean.mapReferences = Dictionary(uniqueKeysWithValues: a.mapReferences.compactMap { at, name in
            at > scratchPrologue ? (at - scratchPrologue, name) : nil
        })
        return lean
    }

    // MARK: Helpers

    func jump(to target: String) {
        usedLabels.insert(target)
        asm.goto(target)
    }

    func label(_ hint: String) -> String {
        labels += 1
        return "\(hint)\(labels)"
    }

    func mark(_ range: SourceRange) { sourceMap.append((asm.slotCount, range)) }

    /// Reserves an 8-byte stack slot; `release` frees it (slots are used LIFO).
    func pushTemp(_ range: SourceRange) throws(CompileError) -> Int16 {
        stackTop += 8
        if stackTop > Self.maxStack {
            throw CompileError(message: "this expression needs more than the 512 bytes of BPF stack; simplify it", range: range)
        }
        return Int16(-stackTop)
    }
    func popTemp() { stackTop -= 8 }

    /// Reserves `size` bytes of scratch; returns the offset.
    func scratch(_ size: Int, _ range: SourceRange) throws(CompileError) -> Int {
        let at = scratchTop
        scratchTop += Layout.roundUp(max(size, 8))
        if scratchTop > 30_000 {
            throw CompileError(message: "this probe needs more than 30 KB of scratch space for strings, tuples and records", range: range)
        }
        return at
    }

    /// r0 = constant.
    func constant(_ v: Int64, into r: Register = .r0) {
        if let small = Int32(exactly: v) { asm.emit(.mov(r, small)) } else { asm.emit(Instruction.loadImm64(r, UInt64(bitPattern: v))) }
    }

    /// `reg = r7 + offset`: a pointer into scratch.
    func scratchPointer(_ r: Register, _ offset: Int) {
        asm.emit(.mov(r, .r7))
        if offset != 0 { asm.emit(.alu64(.add, r, Int32(offset))) }
    }

    /// Writes zeros over `size` bytes of scratch at `offset`.
    func zero(_ offset: Int, _ size: Int) {
        var at = 0
        while at < size {
            asm.emit(.store(.u64, .r7, Int16(offset + at), imm: 0))
            at += 8
        }
    }

    /// Copies `size` bytes from `src + srcOffset` to scratch at `dst`, a word at a time.
    func copyWords(from src: Register, _ srcOffset: Int, to dst: Int, _ size: Int) {
        var at = 0
        while at < size {
            asm.emit(.load(.u64, .r1, src, Int16(srcOffset + at)), .store(.u64, .r7, Int16(dst + at), .r1))
            at += 8
        }
    }

    // MARK: Statements

    func block(_ b: Block) throws(CompileError) {
        for s in b.statements {
            if terminated { break }
            try statement(s)
        }
    }

    func statement(_ s: Stmt) throws(CompileError) {
        mark(s.range)
        switch s.kind {
        case .expr(let e):
            try effect(e)
        case .assign(let target, let op, let value):
            try assign(target, op, value, s.range)
        case .declare(let name, _, let value):
            let type = declaredType(name, value)
            let slot = try variableSlot(name, type, s.range)
            if let value {
                try store(value, type, into: slot)
            } else if case .scratch(let off) = slot {
                zero(off, Layout.size(type))
            } else if case .stack(let off) = slot {
                asm.emit(.store(.u64, fp, off, imm: 0))
            }
        case .ifElse(let cond, let then, let otherwise):
            let elseLabel = label("else"), end = label("endif")
            try scalar(cond)
            asm.jump(.jeq, .r0, 0, to: elseLabel)
            try block(then)
            let thenEnds = terminated
            if !thenEnds { asm.goto(end) }
            terminated = false
            asm.label(elseLabel)
            if let otherwise { try statement(otherwise) }
            terminated = thenEnds && otherwise != nil && terminated
            asm.label(end)
        case .whileLoop(let cond, let body):
            let top = label("while"), done = label("wend")
            asm.label(top)
            try scalar(cond)
            asm.jump(.jeq, .r0, 0, to: done)
            loops.append((top, done))
            try block(body)
            loops.removeLast()
            if !terminated { asm.goto(top) }
            terminated = false
            asm.label(done)
        case .unroll(let count, let body):
            let n = count.foldedConstant ?? positionalInteger(count) ?? 1
            for _ in 0..<max(0, min(n, 100)) where !terminated { try block(body) }
        case .forRange(let name, let start, let end, let body):
            // The verifier walks every iteration of a plain loop, which it can
            // only do when it knows the bounds; otherwise bpf_loop runs the body.
            if [start, end].contains(where: { $0.foldedConstant == nil && positionalInteger($0) == nil && !isLoopInvariantScalar($0) }) {
                try forRangeWithBPFLoop(name, start, end, body, s.range)
                return
            }
            let type = SType.i64
            let slot = try variableSlot(name, type, s.range)
            guard case .stack(let off) = slot else { return }
            let limit = try pushTemp(s.range)
            try scalar(end)
            asm.emit(.store(.u64, fp, limit, .r0))
            try scalar(start)
            asm.emit(.store(.u64, fp, off, .r0))
            let top = label("for"), next = label("fnext"), done = label("fend")
            asm.label(top)
            asm.emit(.load(.u64, .r0, fp, off), .load(.u64, .r1, fp, limit))
            asm.jump(.jsge, .r0, .r1, to: done)
            loops.append((next, done))
            try block(body)
            loops.removeLast()
            if !terminated || usedLabels.contains(next) {
                asm.label(next)
                asm.emit(.load(.u64, .r0, fp, off), .alu64(.add, .r0, 1), .store(.u64, fp, off, .r0))
                asm.goto(top)
            }
            terminated = false
            asm.label(done)
            popTemp()
        case .forMap(let name, let mapExpr, let body):
            try forMap(name, mapExpr, body, s.range)
        case .jump(let kind, _):
            switch kind {
            case .return: jump(to: returnLabel)
            case .break:
                guard let loop = loops.last else { return }
                jump(to: loop.done)
            case .continue:
                guard let loop = loops.last else { return }
                jump(to: loop.next)
            }
            terminated = true
        case .block(let b):
            try block(b)
        }
    }

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

    /// Builtins whose value the verifier can bound, such as ncpus.
    func isLoopInvariantScalar(_ e: Expr) -> Bool {
        if case .identifier(let n) = e.kind { return n == "ncpus" }
        return false
    }

    func declaredType(_ name: String, _ value: Expr?) -> SType {
        if let t = value?.type, t != .unknown { return t }
        return .i64
    }

    func positionalInteger(_ e: Expr) -> Int64? {
        guard case .positional(let n) = e.kind, n >= 1, n <= compiler.positional.count else { return nil }
        return Int64(compiler.positional[n - 1])
    }

    /// Expressions evaluated for their effect: calls, increments, blocks.
    func effect(_ e: Expr) throws(CompileError) {
        switch e.kind {
        case .call(let name, let args) where Self.statementFunctions.contains(name):
            try callStatement(name, args, e)
        case .block(let b):
            try block(b)
        case .ternary(let c, let a, let b):
            let elseLabel = label("telse"), end = label("tend")
            try scalar(c)
            asm.jump(.jeq, .r0, 0, to: elseLabel)
            if let a { try effect(a) }
            asm.goto(end)
            asm.label(elseLabel)
            try effect(b)
            asm.label(end)
        case .ifExpr(let s):
            try statement(s)
        default:
            if isMemory(e.type) { _ = try memory(e) } else { try scalar(e) }
        }
    }

    static let statementFunctions: Set<String> = ["printf", "print", "clear", "zero", "delete", "exit", "time", "system", "cat", "errorf", "warnf", "join"]

    // MARK: Variables and assignment

    func variableSlot(_ name: String, _ type: SType, _ range: SourceRange) throws(CompileError) -> Slot {
        let key = "\(name):\(isMemory(type) ? String(describing: type) : "scalar")"
        if let v = variables[key] { return v.slot }
        let slot: Slot = isMemory(type) ? .scratch(try scratch(Layout.size(type), range)) : .stack(try pushTemp(range))
        variables[key] = (type, slot)
        variables[name] = (type, slot)
        return slot
    }

    func isMemory(_ t: SType?) -> Bool {
        switch t ?? .unknown {
        case .string, .buffer, .tuple, .record, .array, .inet, .timestamp: true
        default: false
        }
    }

    /// Evaluates `value` into `slot` as a value of `type`.
    func store(_ value: Expr, _ type: SType, into slot: Slot) throws(CompileError) {
        switch slot {
        case .stack(let off):
            try scalar(value)
            asm.emit(.store(.u64, fp, off, .r0))
        case .scratch(let off):
            try place(value, type, at: off)
        }
    }

    func assign(_ target: Expr, _ op: BinaryOp?, _ value: Expr, _ range: SourceRange) throws(CompileError) {
        switch target.kind {
        case .identifier("_"):
            try effect(value)
        case .variable(let name):
            let type = target.type ?? value.type ?? .i64
            let slot = try variableSlot(name, type, range)
            if let op {
                guard case .stack(let off) = slot else { return }
                try scalar(value)
                asm.emit(.mov(.r1, .r0), .load(.u64, .r0, fp, off))
                scaleForPointer(type, op)
                try arithmetic(op, signed: type.isSigned, range)
                asm.emit(.store(.u64, fp, off, .r0))
            } else {
                try store(value, type, into: slot)
            }
        case .map(let name, let keys):
            try assignMap(name, keys, op, value, range)
        default:
            throw CompileError(message: "cannot assign to this expression", range: target.range)
        }
    }
}

extension SType {
    var isSigned: Bool { if case .integer(_, let s) = self { s } else { false } }
}
