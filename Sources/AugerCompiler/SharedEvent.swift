import AugerScript
import BPF

/// Probes on one event served by one program. The kernel runs at most 64
/// programs on a tracepoint (BPF_TRACE_MAX_PROGS: the 65th attach fails with
/// E2BIG), and a syscall dispatcher's table holds one program per call; a
/// script with 142 probes on sys_enter_read needs neither limit, and one
/// attachment is also one perf event to open instead of 142.
///
/// The shared program is a stub that calls each probe's program in script
/// order as a BPF function (each keeps its own stack frame, maps and exits);
/// the probes' own callbacks follow their function.
enum SharedEvent: Hashable {
    case tracepoint(category: String, name: String)
    case syscall(table: String, number: Int)

    init?(_ target: AttachTarget) {
        switch target.location {
        case .tracepoint(let category, let name, _) where target.kind == .tracepoint: self = .tracepoint(category: category, name: name)
        case .syscall(_, _, _, let number, let table): self = .syscall(table: table, number: number)
        default: return nil
        }
    }

    /// The stub's frame counts against the 512 bytes a call chain may use
    /// (the verifier rounds every frame up to 32 bytes). Programs with
    /// callbacks are left alone: their chains are a frame deeper already.
    static let stubFrame = 32
    static func canShare(_ program: CompiledProgram) -> Bool {
        program.spec.functions.isEmpty && program.stackBytes + stubFrame <= ProbeCodeGen.maxStack
    }

    /// What one program may hold: the kernel's 64 maps (MAX_USED_MAPS) and
    /// 256 functions (BPF_MAX_SUBPROGS), and instructions kept well below
    /// the verifier's million so that verifying it stays quick.
    static let maxMaps = 64, maxFunctions = 255, maxInstructions = 200_000

    /// Consecutive runs of `programs` that fit in one program each.
    static func chunks(_ programs: [CompiledProgram]) -> [[CompiledProgram]] {
        var out: [[CompiledProgram]] = []
        var current: [CompiledProgram] = [], maps: Set<String> = [], instructions = 0
        for p in programs {
            let more = maps.union(p.spec.mapReferences.values)
            if !current.isEmpty && (more.count > maxMaps || current.count + 1 > maxFunctions
                                    || instructions + p.spec.instructions.count > maxInstructions) {
                out.append(current)
                current = []; maps = []; instructions = 0
            }
            current.append(p)
            maps.formUnion(p.spec.mapReferences.values)
            instructions += p.spec.instructions.count
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Merges the programs of each shared event, in chunks that fit, in
    /// place of each chunk's first. A system call's table slot holds one
    /// program: its first chunk; `separate(p)` recompiles the rest for
    /// attachments of their own (the call's tracepoint, as perf events).
    static func combine(_ programs: [CompiledProgram], separate: (CompiledProgram) throws(CompileError) -> CompiledProgram)
        throws(CompileError) -> [CompiledProgram] {
        var programs = programs
        for group in groups(programs) {
            guard case .syscall? = SharedEvent(programs[group[0]].target) else { continue }
            let sharing = group.filter { canShare(programs[$0]) }
            let slot = sharing.isEmpty ? [group[0]] : Array(sharing.prefix(chunks(sharing.map { programs[$0] })[0].count))
            for index in group where !slot.contains(index) { programs[index] = try separate(programs[index]) }
        }
        var merged: [Int: CompiledProgram] = [:]   // a chunk's first member → the chunk
        var absorbed: Set<Int> = []
        for group in groups(programs) where group.count > 1 {
            let sharing = group.filter { canShare(programs[$0]) }
            var rest = sharing[...]
            for chunk in chunks(sharing.map { programs[$0] }) {
                let members = rest.prefix(chunk.count)
                rest = rest.dropFirst(chunk.count)
                guard chunk.count > 1, let first = members.first else { continue }
                merged[first] = merge(chunk)
                absorbed.formUnion(members.dropFirst())
            }
        }
        return programs.indices.compactMap { i in absorbed.contains(i) ? nil : merged[i] ?? programs[i] }
    }

    /// Indexes of the programs of each shared event, in script order.
    static func groups(_ programs: [CompiledProgram]) -> [[Int]] {
        var order: [SharedEvent] = [], members: [SharedEvent: [Int]] = [:]
        for (i, p) in programs.enumerated() {
            guard let event = SharedEvent(p.target) else { continue }
            if members[event] == nil { order.append(event) }
            members[event, default: []].append(i)
        }
        return order.map { members[$0]! }
    }

    /// `r6 = ctx; r1 = r6; call p0; r1 = r6; call p1; …; return 0`, then each
    /// program as a BPF function.
    static func merge(_ programs: [CompiledProgram]) -> CompiledProgram {
        let stubLength = 1 + 2 * programs.count + 2
        var starts: [Int] = []
        var next = stubLength
        for p in programs {
            starts.append(next)
            next += p.spec.instructions.count
        }
        var code: [Instruction] = [.mov(.r6, .r1)]
        for start in starts {
            code.append(.mov(.r1, .r6))
            code.append(.callLocal(Int32(start - (code.count + 1))))
        }
        code += [.mov(.r0, 0), .exit]
        var spec = programs[0].spec
        spec.mapReferences = [:]
        spec.functions = []
        var sourceMap: [(instruction: Int, range: SourceRange)] = programs[0].sourceMap.first.map { [(0, $0.range)] } ?? []
        for (p, start) in zip(programs, starts) {
            code += p.spec.instructions
            for (slot, map) in p.spec.mapReferences { spec.mapReferences[slot + start] = map }
            spec.functions.append(.init(offset: start, name: p.spec.name))
            sourceMap += p.sourceMap.map { ($0.instruction + start, $0.range) }
        }
        spec.instructions = code
        var shared = CompiledProgram(probeIndex: programs[0].probeIndex, target: programs[0].target, spec: spec, sourceMap: sourceMap)
        shared.probeCount = programs.reduce(0) { $0 + $1.probeCount }
        shared.stackBytes = programs.map(\.stackBytes).max()! + stubFrame
        return shared
    }
}
