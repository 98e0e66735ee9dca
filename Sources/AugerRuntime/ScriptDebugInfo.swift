import AugerCompiler
import AugerScript
import BPF

/// The script's own lines as the kernel's line info for every program, so
/// `bpftool prog dump xlated id N linum` shows the script line (file, line,
/// column) above each run of instructions. One BTF object for the whole
/// script holds the file name, the lines' text and a FUNC per BPF function.
enum ScriptDebugInfo {
    /// Debug info for each of `programs`, in order; nil where the kernel
    /// refused the BTF (programs then load without it).
    static func build(for programs: [CompiledProgram], source: SourceFile) -> [ProgramDebugInfo?] {
        var btf = BTFBuilder()
        let fileName = btf.string(source.name)
        var described: [(functions: [UInt32], lines: [ProgramDebugInfo.SourceLine])] = []
        for program in programs {
            let functions = [btf.function(named: program.spec.name)] + program.spec.functions.map { btf.function(named: $0.name) }
            var map = program.sourceMap
            // The first instruction belongs to the probe: a dispatcher has no
            // statements of its own, and a prologue comes before the first one.
            if map.first?.instruction != 0, program.target.range != .none { map.insert((0, program.target.range), at: 0) }
            let lines = map.filter { $0.range != .none }.map { entry -> ProgramDebugInfo.SourceLine in
                let (line, column) = source.lineAndColumn(entry.range.start)
                return .init(instruction: entry.instruction, fileName: fileName, text: btf.string(source.line(line)), line: line, column: column)
            }
            described.append((functions, lines))
        }
        guard let fd = try? btf.load() else { return programs.map { _ in nil } }
        return described.map { ProgramDebugInfo(btf: fd, functionTypes: $0.functions, lines: $0.lines) }
    }
}
