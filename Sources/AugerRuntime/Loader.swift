import AugerCompiler
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// The kernel objects of a running script. Dropping it closes every map,
/// program, perf event and link, which detaches everything.
final class LoadedScript {
    let compiled: CompiledScript
    var maps: [String: Map] = [:]
    var scriptMaps: [(ScriptMap, Map)] = []
    /// The script's maps by the id records name them by.
    var scriptMapsByID: [Int: (ScriptMap, Map)] = [:]
    var programs: [(CompiledProgram, BPF.Program)] = []
    var links: [Link] = []
    let ringBuffer: Map
    let globals: Map
    var stacks: Map?
    /// The script as `auger ps` and `auger source` read it, and its map.
    var record: (SessionRecord, Map)?

    init(_ compiled: CompiledScript) throws {
        self.compiled = compiled
        ringBuffer = try Map(.ringBuffer(name: CompiledScript.ringBufferName, size: compiled.ringBufferSize))
        globals = try Map(MapSpec(name: CompiledScript.globalsName, type: .array, keySize: 4,
                                  valueSize: UInt32(CompiledScript.globalsSize), maxEntries: 1))
        let scratch = try Map(MapSpec(name: CompiledScript.scratchName, type: .percpuArray, keySize: 4,
                                      valueSize: UInt32(Layout.roundUp(compiled.scratchSize)), maxEntries: 1))
        maps = [CompiledScript.ringBufferName: ringBuffer, CompiledScript.globalsName: globals, CompiledScript.scratchName: scratch]
        if compiled.usesStacks {
            stacks = try Map(MapSpec(name: CompiledScript.stacksName, type: .stackTrace, keySize: 4,
                                     valueSize: UInt32(8 * CompiledScript.stackDepth), maxEntries: 16384))
            maps[CompiledScript.stacksName] = stacks
        }
        // The program arrays syscall dispatchers tail-call through, filled once their programs load.
        for program in compiled.programs {
            guard case .syscallDispatch(_, let table, let numbers, _) = program.target.location else { continue }
            maps[table] = try Map(MapSpec(name: table, type: .programArray, keySize: 4, valueSize: 4,
                                          maxEntries: UInt32((numbers.max() ?? 0) + 1)))
        }
        for m in compiled.maps {
            let kernel = try Map(m.spec)
            maps[m.spec.name] = kernel
            scriptMaps.append((m, kernel))
            scriptMapsByID[m.id] = (m, kernel)
        }
    }

    /// Loads every program; a verifier rejection is reported at the script
    /// line that produced the rejected instruction.
    func load(verbose: Bool, source: SourceFile) throws {
        let debugInfo = ScriptDebugInfo.build(for: compiled.programs, source: source)
        for (compiledProgram, lines) in zip(compiled.programs, debugInfo) {
            do {
                programs.append((compiledProgram, try BPF.Program(compiledProgram.spec, maps: maps, debugInfo: lines)))
            } catch let v as VerifierError {
                let range = Self.failingInstruction(v.log).flatMap { compiledProgram.sourceRange(of: $0) } ?? SourceRange(0, 0)
                var message = Diagnostic(.error, "the kernel's BPF verifier rejected the program for \(compiledProgram.target.name): \(v.reason)", at: range).rendered(in: source)
                if verbose { message += "\n\nVerifier log:\n" + v.log }
                else { message += "\nRun with -v to see the verifier's full log." }
                throw RuntimeError.system(message)
            }
        }
        for (compiledProgram, program) in programs {
            guard case .syscall(_, _, _, let number, let table) = compiledProgram.target.location, let array = maps[table] else { continue }
            try array.update(UInt32(number), UInt32(program.fd.rawValue))
        }
    }

    /// Keeps the script's text in the kernel with its programs (before they
    /// load, so each is bound to it). Tracing goes on without it if the
    /// kernel refuses (an old kernel without BPF_PROG_BIND_MAP only loses
    /// the binding).
    func publish(fileName: String, text: String, arguments: [String]) {
        let maps = scriptMaps.compactMap { m, kernel in (try? kernel.info()).map { SessionRecord.MapName(id: $0.id, name: "@" + m.name) } }
        let pid = getpid()
        let record = SessionRecord(pid: pid, processStart: SessionRecord.processStart(of: pid) ?? 0, startTime: UInt64(time(nil)),
                                   probes: nil, fileName: fileName, arguments: arguments, text: text, maps: maps)
        if let map = try? record.create() { self.record = (record, map) }
    }

    /// Binds every program to the record's map.
    func bindRecord() {
        guard let (_, map) = record else { return }
        for (_, program) in programs { try? program.bind(map) }
    }

    /// Writes the number of probes attached and freezes the record.
    func recordAttached(_ probes: Int) {
        guard case (var record, let map)? = self.record else { return }
        record.probes = probes
        try? record.write(to: map)
        try? map.freeze()
        self.record = (record, map)
    }

    /// The index of the last instruction the verifier's log mentions.
    static func failingInstruction(_ log: String) -> Int? {
        for line in log.split(separator: "\n").reversed() {
            let digits = line.prefix { $0.isNumber }
            if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(":"), let n = Int(digits) { return n }
        }
        return nil
    }
}
