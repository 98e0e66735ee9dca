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
    var stackTop = 16 {
        didSet { stackHighWater = max(stackHighWater, stackTop) }
    }
    /// The deepest `stackTop` has been, for the bytes of stack the program may use.
    var stackHighWater = 16
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
    /// User functions called and not yet emitted; all called so far.
    var functionsToEmit: [String] = []
    var requestedFunctions: Set<String> = []
    /// The user function being emitted ("" for the probe), its calls, and
    /// each frame's deepest stack use, for the verifier's limits on a chain.
    var currentFrame = ""
    var functionCallSites: [(caller: String, callee: String, range: SourceRange)] = []
    var frameBytes: [String: Int] = [:]
    /// Inside a user function: where `return value` goes, the value's type,
    /// and the scratch word a loop body leaves it in.
    var functionReturnTarget: (label: String, type: SType, word: Int)?

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
    /// Map keys go on the stack only below this depth (else in scratch).
    static let stackKeyLimit = 256
    /// Bytes of stack the program may use: its deepest slot, or where stack keys may reach.
    var stackBytes: Int { max(stackHighWater, Self.stackKeyLimit) }

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
        if !target.kind.runsInAuger {
            // Once the run is over, user space sets this flag: the probe does
            // nothing while its (slow) detaching finishes. A load, no helper call.
            asm.loadMapValue(.r2, CompiledScript.globalsName, offset: UInt32(CompiledScript.stoppedOffset))
            asm.emit(.load(.u64, .r2, .r2, 0))
            asm.jump(.jne, .r2, 0, to: "exit")
        }
        if case .syscall(_, let name, _, _, _) = target.location, probe.uses(builtin: "args") {
            try buildSyscallRecord(exit: name.hasPrefix("sys_exit_"))
        }
        if case .iterator = target.location {
            // The kernel calls an iterator's program a last time with no object (NULL): nothing to do then.
            asm.emit(.load(.u64, .r2, .r6, 8))
            asm.jump(.jeq, .r2, 0, to: "exit")
        }
        if let pid = compiler.pidFilter, target.kind.filteredByPID {
            // -p PID: probes that fire for every process ignore the others, as
            // bpftrace's do (uprobes are attached to the process itself).
            try processID(thread: false, inCurrentNamespace: true, probe.range)
            asm.jump(.jne, .r0, pid, to: "exit")
        }
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
        frameBytes[""] = stackHighWater
        try emitRequestedFunctions()
        for counter in pendingCounters { emitCounter(counter) }
        var assembled: Assembled
        do { assembled = try asm.assemble() } catch {
            throw CompileError(message: "internal error: \(error)", range: probe.range)
        }
        if scratchTop == 0, assembled.functions.isEmpty, let lean = Self.withoutScratchLookup(assembled) {
            assembled = lean
            sourceMap = sourceMap.map { ($0.instruction - Self.scratchPrologue, $0.range) }
        }
        var spec = ProgramSpec(name: name, type: target.programType, assembled: assembled)
        if case .iterator(_, let id) = target.location {
            spec.expectedAttachType = .traceIter
            spec.attachBTFID = id
        }
        if case .tracedFunction(_, let module, let id, _) = target.location {
            spec.expectedAttachType = target.kind.attachType
            spec.attachBTFID = id
            spec.attachBTFModule = module
        }
        if target.isMultiFunction { spec.expectedAttachType = target.kind.tracesUserSpace ? .traceUprobeMulti : .traceKprobeMulti }
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

    /// Where the prologue built a system call's tracepoint record, when the
    /// program runs on raw sys_enter/sys_exit (whose context is the task's
    /// registers and the call's number or return value).
    var syscallRecord: Int?

    /// Lays out in scratch what the syscalls tracepoint's record would hold:
    /// 8 bytes of common fields (zero), the call's number, then its six
    /// arguments (sys_enter) or its return value (sys_exit), 8 bytes each.
    func buildSyscallRecord(exit: Bool) throws(CompileError) {
        let record = try scratch(64, probe.range), registers = try scratch(72, probe.range)
        syscallRecord = record
        zero(record, 64)
        // struct pt_regs from r10 (offset 56) through orig_ax (120), in one read.
        let first = Registers.offsets["r10"]!
        asm.emit(.mov(.r1, .r7), .alu64(.add, .r1, Int32(registers)), .mov(.r2, 72), .load(.u64, .r3, .r6, 0),
                 .alu64(.add, .r3, Int32(first)), .call(.probeReadKernel))
        func copy(register name: String, to offset: Int) {
            asm.emit(.load(.u64, .r1, .r7, Int16(registers + Registers.offsets[name]! - first)), .store(.u64, .r7, Int16(record + offset), .r1))
        }
        copy(register: "orig_ax", to: 8)
        if exit {
            asm.emit(.load(.u64, .r1, .r6, 8), .store(.u64, .r7, Int16(record + 16), .r1))
        } else {
            // The system call convention: di, si, dx, r10, r8, r9.
            for (i, name) in ["di", "si", "dx", "r10", "r8", "r9"].enumerated() { copy(register: name, to: 16 + 8 * i) }
        }
    }

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
        case .ifElse(let cond, let then, let otherwise) where foldedWithParameters(cond) != nil:
            // A condition known while compiling (`if ($1 < 2)`) keeps one branch:
            // the other, and any fail() in it, is never emitted.
            if foldedWithParameters(cond) != 0 { try block(then) } else if let otherwise { try statement(otherwise) }
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
        case .jump(let kind, let value):
            switch kind {
            case .return where functionReturnTarget != nil: try functionReturn(value, s.range)
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
        return PositionalParameter.integer(compiler.positional[n - 1])
    }

    /// A constant, folding in the command line's positional parameters (a
    /// missing one is 0, as bpftrace reads it in a numeric context).
    func foldedWithParameters(_ e: Expr) -> Int64? {
        if let v = e.foldedConstant { return v }
        func literal(_ v: Int64) -> Expr {
            let magnitude = Expr(.integer(v.magnitude), e.range)
            return v < 0 ? Expr(.unary(.negate, magnitude), e.range) : magnitude
        }
        switch e.kind {
        case .positional(let n): return n > compiler.positional.count ? 0 : positionalInteger(e)
        case .unary(let op, let x):
            guard let v = foldedWithParameters(x) else { return nil }
            return Expr(.unary(op, literal(v)), e.range).foldedConstant
        case .binary(let op, let l, let r):
            guard let a = foldedWithParameters(l), let b = foldedWithParameters(r) else { return nil }
            return Expr(.binary(op, literal(a), literal(b)), e.range).foldedConstant
        default: return nil
        }
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
        case .identifier, .integer, .string, .bool, .positional, .paramCount, .variable:
            // A value nobody uses, read from nowhere that changes: nothing to do
            // (`{ args }` over probes whose args differ is valid bpftrace).
            break
        default:
            if isMemory(e.type) { _ = try memory(e) } else { try scalar(e) }
        }
    }

    static let statementFunctions: Set<String> = ["printf", "print", "clear", "zero", "delete", "exit", "time", "system", "cat", "errorf", "warnf", "debugf", "join", "static_assert", "fail", "signal", "signal_thread", "unwatch"]

    // MARK: Variables and assignment

    func variableSlot(_ name: String, _ type: SType, _ range: SourceRange) throws(CompileError) -> Slot {
        let key = "\(name):\(isMemory(type) ? String(describing: type) : "scalar")"
        if let v = variables[key] { return v.slot }
        // A variable whose address is taken lives in scratch memory, which has an address.
        let inMemory = isMemory(type) || compiler.checked.addressTaken.contains(name)
        let slot: Slot = inMemory ? .scratch(try scratch(Layout.size(type), range)) : .stack(try pushTemp(range))
        variables[key] = (type, slot)
        variables[name] = (type, slot)
        return slot
    }

    func isMemory(_ t: SType?) -> Bool {
        switch t ?? .unknown {
        case .string, .buffer, .tuple, .record, .array, .inet, .timestamp, .usym, .macaddr: true
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
                try scalar(value)
                switch slot {
                case .stack(let off): asm.emit(.mov(.r1, .r0), .load(.u64, .r0, fp, off))
                case .scratch(let off): asm.emit(.mov(.r1, .r0), .load(.u64, .r0, .r7, Int16(off)))
                }
                scaleForPointer(type, op)
                try arithmetic(op, signed: type.isSigned, range, divisorNonZero: value.foldedConstant.map { $0 != 0 } ?? false)
                switch slot {
                case .stack(let off): asm.emit(.store(.u64, fp, off, .r0))
                case .scratch(let off): asm.emit(.store(.u64, .r7, Int16(off), .r0))
                }
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
