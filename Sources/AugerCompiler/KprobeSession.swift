import AugerScript
import BPF

/// A kprobe probe and a kretprobe probe on the same functions, to be
/// compiled into one program behind one kprobe_session link (Linux 6.10+):
/// one program to verify and one ftrace update instead of two.
public struct SessionPair: Sendable, Equatable {
    /// Probe indexes in the script.
    public var entry: Int
    public var exit: Int

    public init(entry: Int, exit: Int) {
        self.entry = entry
        self.exit = exit
    }
}

enum KprobeSession {
    typealias SourceMap = [(instruction: Int, range: SourceRange)]

    /// The entry program, then the return program, behind a call that asks
    /// the kernel which of the two runs this is. The entry part returns 0,
    /// which is what makes the kernel run the return part too.
    ///
    /// nil when either has BPF functions (callbacks): the verifier takes
    /// everything from a function's start to the next as that function, so
    /// the second program's code would become part of the first's last one.
    static func merge(entry: (ProgramSpec, SourceMap), exit: (ProgramSpec, SourceMap), isReturn btfID: UInt32) -> (ProgramSpec, SourceMap)? {
        guard entry.0.functions.isEmpty, exit.0.functions.isEmpty,
              let skip = Int16(exactly: entry.0.instructions.count) else { return nil }
        let prologue: [Instruction] = [.mov(.r6, .r1), .callKernelFunction(btfID: btfID), .mov(.r1, .r6), .jump(.jne, .r0, 0, skip)]
        let exitStart = prologue.count + entry.0.instructions.count
        var spec = entry.0
        spec.instructions = prologue + entry.0.instructions + exit.0.instructions
        spec.mapReferences = [:]
        for (slot, map) in entry.0.mapReferences { spec.mapReferences[slot + prologue.count] = map }
        for (slot, map) in exit.0.mapReferences { spec.mapReferences[slot + exitStart] = map }
        spec.expectedAttachType = .traceKprobeSession
        let sourceMap = entry.1.map { ($0.instruction + prologue.count, $0.range) } + exit.1.map { ($0.instruction + exitStart, $0.range) }
        return (spec, sourceMap)
    }
}
