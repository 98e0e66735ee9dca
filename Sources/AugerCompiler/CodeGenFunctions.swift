import AugerScript
import BPF

/// User functions (`fn name($a: T): R { … }`) as BPF functions of every
/// program that calls them: r1 = the probe's context (helpers such as
/// bpf_get_stackid need it), r2–r5 = the arguments, r0 = the result. Each
/// has its own 512-byte frame, and its own scratch region after the
/// caller's, so nothing the caller built is overwritten.
extension ProbeCodeGen {
    static func functionLabel(_ name: String) -> String { "fn_\(name)" }

    /// The kernel's limits on a chain of BPF calls (MAX_CALL_FRAMES, and the
    /// stack all frames of a chain share, each rounded up to 32 bytes).
    static let maxCallFrames = 8

    func callUserFunction(_ f: UserFunction, _ args: [Expr], _ e: Expr) throws(CompileError) {
        var temps: [Int16] = []
        for (a, p) in zip(args, f.parameters) {
            try scalar(a)
            truncate(to: p.type)
            let t = try pushTemp(e.range)
            asm.emit(.store(.u64, fp, t, .r0))
            temps.append(t)
        }
        for (i, t) in temps.enumerated() { asm.emit(.load(.u64, Register(rawValue: UInt8(2 + i))!, fp, t)) }
        for _ in temps { popTemp() }
        asm.emit(.mov(.r1, .r6))
        asm.callLocal(Self.functionLabel(f.name))
        functionCallSites.append((caller: currentFrame, callee: f.name, range: e.range))
        if !requestedFunctions.contains(f.name) {
            requestedFunctions.insert(f.name)
            functionsToEmit.append(f.name)
        }
    }

    /// `return value;` inside a function. From a loop body (a callback) the
    /// value waits in the function's return word while the loop unwinds.
    func functionReturn(_ value: Expr?, _ range: SourceRange) throws(CompileError) {
        guard let target = functionReturnTarget else { return }
        if let value {
            try scalar(value)
            truncate(to: target.type)
        } else {
            asm.emit(.mov(.r0, 0))
        }
        if fp != .r10 {
            asm.emit(.store(.u64, .r7, Int16(target.word), .r0))
            jump(to: returnLabel)
        } else {
            jump(to: target.label)
        }
    }

    /// Emits every function the program calls (and the functions they call).
    func emitRequestedFunctions() throws(CompileError) {
        while !functionsToEmit.isEmpty {
            let name = functionsToEmit.removeFirst()
            guard let f = compiler.checked.functions[name] else { continue }
            try emitUserFunction(f)
        }
        try checkCallChains()
    }

    func emitUserFunction(_ f: UserFunction) throws(CompileError) {
        let saved = (variables, stackTop, stackHighWater, fp, returnLabel, loops, terminated, currentFrame, functionReturnTarget)
        defer {
            (variables, stackTop, stackHighWater, fp, returnLabel, loops, terminated, currentFrame, functionReturnTarget) = saved
        }
        variables = [:]; stackTop = 16; stackHighWater = 16; fp = .r10; loops = []; terminated = false
        currentFrame = f.name
        asm.function(Self.functionLabel(f.name))
        mark(f.range)
        // The arguments go to the stack first: the scratch lookup's call clobbers r1–r5.
        asm.emit(.mov(.r6, .r1))
        var incoming: [Int16] = []
        for i in f.parameters.indices {
            let t = try pushTemp(f.range)
            asm.emit(.store(.u64, .r10, t, Register(rawValue: UInt8(2 + i))!))
            incoming.append(t)
        }
        let noScratch = label("fnnone"), unwound = label("fnabort"), done = label("fnret")
        asm.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
        asm.loadMap(.r1, CompiledScript.scratchName)
        asm.emit(.call(.mapLookupElem))
        asm.jump(.jeq, .r0, 0, to: noScratch)
        asm.emit(.mov(.r7, .r0), .store(.u64, .r10, Self.savedContext, .r6))
        let word = try scratch(8, f.range)
        asm.emit(.store(.u64, .r7, Int16(word), imm: 0))
        for (p, t) in zip(f.parameters, incoming) {
            switch try variableSlot(p.name, p.type, f.range) {
            case .stack(let off): asm.emit(.load(.u64, .r0, .r10, t), .store(.u64, .r10, off, .r0))
            case .scratch(let off): asm.emit(.load(.u64, .r0, .r10, t), .store(.u64, .r7, Int16(off), .r0))
            }
        }
        // exit(), a failed map update, or a loop body's return: the return word.
        returnLabel = unwound
        functionReturnTarget = (done, f.returnType, word)
        try block(f.body)
        if !terminated { asm.emit(.mov(.r0, 0), .exit) }
        if usedLabels.contains(unwound) {
            asm.label(unwound)
            asm.emit(.load(.u64, .r0, .r7, Int16(word)), .exit)
        }
        asm.label(noScratch)
        asm.emit(.mov(.r0, 0))
        asm.label(done)
        asm.emit(.exit)
        // The function's loop bodies use its variables: emit them now.
        while !pendingCallbacks.isEmpty { try emitCallback(pendingCallbacks.removeFirst()) }
        frameBytes[f.name] = stackHighWater
    }

    /// The verifier adds up the frames of a call chain; say which call
    /// overflows, where it is written, instead of a verifier log.
    func checkCallChains() throws(CompileError) {
        frameBytes[""] = max(frameBytes[""] ?? 0, stackHighWater)
        func rounded(_ frame: String) -> Int { ((frameBytes[frame] ?? 0) + 31) / 32 * 32 }
        func chain(_ frame: String) -> (bytes: Int, frames: Int) {
            var deepest = (bytes: 0, frames: 0)
            for site in functionCallSites where site.caller == frame {
                let c = chain(site.callee)
                deepest = (max(deepest.bytes, c.bytes), max(deepest.frames, c.frames))
            }
            return (rounded(frame) + deepest.bytes, 1 + deepest.frames)
        }
        // Innermost first: the call that tips the chain over is reported.
        func walk(_ frame: String, above: Int, depth: Int) throws(CompileError) {
            let here = above + rounded(frame)
            for site in functionCallSites where site.caller == frame {
                try walk(site.callee, above: here, depth: depth + 1)
                let callee = chain(site.callee)
                if here + callee.bytes > Self.maxStack {
                    throw CompileError(message: "calling \(site.callee)() here needs \(here + callee.bytes) bytes of BPF stack (\(here) for the callers, \(callee.bytes) for \(site.callee)() and what it calls); the kernel allows \(Self.maxStack) for a chain of calls", range: site.range)
                }
                if depth + callee.frames > Self.maxCallFrames {
                    throw CompileError(message: "calling \(site.callee)() here nests calls \(depth + callee.frames) frames deep; the kernel allows \(Self.maxCallFrames)", range: site.range)
                }
            }
        }
        try walk("", above: 0, depth: 1)
    }
}
