import AugerScript
import BPF

/// Turns a checked program into BPF programs (one per attach target),
/// map specs and the tables user space needs to decode what they emit.
public final class Compiler {
    let checked: CheckedProgram
    let positional: [String]
    /// `--name=value` after the script's `--`: getopt() values.
    let named: [String: String]
    /// The getopt() names the script asks for, with their descriptions.
    var options: [String: String] = [:]
    var maps: [String: ScriptMap] = [:]
    var formattedCalls: [FormattedCall] = []
    var printedValues: [SType] = []
    var timeFormats: [String] = []
    var joinSeparators: [String] = []
    var scratchSize = 64
    /// Whether a probe that fires on events prints (sizes the ring buffer).
    var printsPerEvent = false
    /// The pid namespace auger runs in, when it is not the init namespace:
    /// `pid` and `tid` are then its ids (device and inode of /proc/self/ns/pid).
    public var pidNamespace: (device: UInt64, inode: UInt64)?
    /// -p PID: tracepoint (and kprobe, fentry) programs ignore other processes.
    public var pidFilter: Int32?
    /// -k: programs report failed helper calls (for now: reads of missing map elements).
    public var reportHelperErrors = false
    /// A kernel symbol's address, for kaddr() (from /proc/kallsyms).
    public var kernelSymbolAddress: @Sendable (String) -> UInt64? = { _ in nil }
    /// A kfunc's id in vmlinux's BTF (bpf_task_from_pid for comm(pid)).
    public var kernelFunctionID: @Sendable (String) -> UInt32? = { _ in nil }
    /// A variable's (or function's) address in an ELF file, and whether the
    /// file is position-independent (its load address chosen at run time), for uaddr().
    public var userSymbol: @Sendable (_ path: String, _ name: String) -> (address: UInt64, positionIndependent: Bool)? = { _, _ in nil }
    /// The address a file offset of an ELF file is at, as the file gives it.
    public var userAddress: @Sendable (_ path: String, _ fileOffset: UInt64) -> UInt64? = { _, _ in nil }
    /// Calls that need --unsafe, other than system(): name and place.
    var unsafeCalls: [(String, SourceRange)] = []
    var usesStacks = false
    var usesUserAddresses = false
    /// Entries a map may hold unless declared otherwise (bpftrace's max_map_keys).
    let maxMapKeys: UInt32
    /// A map whose value tseries() reads as the time instead of the clock
    /// (bpftrace's BPFTRACE_DUMMY_TS_MAP, which its tests use for exact output).
    public var tseriesClockMap: String?
    /// kprobe and kretprobe probes to serve with one kprobe_session program
    /// each pair; their targets are `.kernelFunctionSession`.
    public var sessions: [SessionPair] = []
    /// The BTF id of the bpf_session_is_return kfunc, for `sessions`.
    public var sessionIsReturnID: UInt32 = 0

    public init(_ checked: CheckedProgram, positional: [String] = [], named: [String: String] = [:], maxMapKeys: UInt32 = 4096) {
        self.checked = checked
        self.positional = positional
        self.named = named
        self.maxMapKeys = maxMapKeys
    }

    /// Compiles every probe for its targets; `targets[i]` are the expanded
    /// attach points of probe `i`.
    public func compile(targets: [[AttachTarget]]) throws(CompileError) -> CompiledScript {
        for (id, (name, info)) in checked.maps.sorted(by: { $0.key < $1.key }).enumerated() { maps[name] = layout(info, id: id) }
        var programs: [CompiledProgram] = []
        let probes = checked.program.probes
        func generate(_ index: Int, _ target: AttachTarget) throws(CompileError) -> CompiledProgram {
            if case .syscallDispatch(let exit, let table, _, let statusOffset) = target.location {
                let spec = try SyscallDispatch.program(name: exit ? "sys_exit" : "sys_enter", exit: exit, table: table, statusOffset: statusOffset)
                return CompiledProgram(probeIndex: index, target: target, spec: spec, sourceMap: [])
            }
            let gen = ProbeCodeGen(compiler: self, probe: probes[index], target: target)
            let outputBefore = outputCalls
            let (spec, sourceMap) = try gen.generate(name: programName(target, index))
            if outputCalls > outputBefore, !target.kind.runsOnce { printsPerEvent = true }
            scratchSize = max(scratchSize, gen.scratchTop)
            var program = CompiledProgram(probeIndex: index, target: target, spec: spec, sourceMap: sourceMap)
            program.stackBytes = gen.stackBytes
            return program
        }
        let returnHalves = Set(sessions.map(\.exit))
        for index in probes.indices where !returnHalves.contains(index) {
            if let pair = sessions.first(where: { $0.entry == index }), let entry = targets[pair.entry].first, let exit = targets[pair.exit].first {
                let (first, second) = (try generate(pair.entry, entry), try generate(pair.exit, exit))
                if let (spec, sourceMap) = KprobeSession.merge(entry: (first.spec, first.sourceMap), exit: (second.spec, second.sourceMap), isReturn: sessionIsReturnID) {
                    programs.append(CompiledProgram(probeIndex: index, target: entry, spec: spec, sourceMap: sourceMap))
                } else {
                    // Two kprobe_multi programs instead (as compiled, each is one).
                    for var program in [first, second] {
                        if case .kernelFunctionSession(let names) = program.target.location { program.target.location = .kernelFunctions(names: names) }
                        programs.append(program)
                    }
                }
                continue
            }
            for target in targets[index] { programs.append(try generate(index, target)) }
        }
        programs = try SharedEvent.combine(programs) { (program: CompiledProgram) throws(CompileError) -> CompiledProgram in
            var target = program.target
            if case .syscall(let category, let name, let format, _, _) = target.location {
                target.location = .tracepoint(category: category, name: name, format: format)
            }
            return try generate(program.probeIndex, target)
        }
        var script = CompiledScript(programs: programs, maps: maps.values.sorted { $0.id < $1.id }, formattedCalls: formattedCalls,
                                    printedValues: printedValues, timeFormats: timeFormats,
                                    scratchSize: scratchSize, ringBufferSize: ringBufferSize)
        script.usesStacks = usesStacks
        script.usesUserAddresses = usesUserAddresses
        script.unsafeCalls = unsafeCalls
        script.joinSeparators = joinSeparators
        script.options = options
        return script
    }

    /// Scripts that print per event get a large ring buffer, so bursts are
    /// not lost; those that print only in begin/end a middling one (a loop
    /// there may print many lines, each drained after the probe has run);
    /// as do those that may warn at run time (warnings are counted at
    /// exit, and a flood of them may lose some); the rest only send exit
    /// and map actions, and a small one keeps their
    /// memory small (every page of the buffer counts as resident).
    var ringBufferSize: UInt32 {
        printsPerEvent ? 1 << 23 : outputCalls > 0 || runtimeWarnings > 0 ? 1 << 20 : 1 << 16
    }

    /// Output calls compiled so far (printf, print, join, strftime, …).
    var outputCalls: Int { formattedCalls.count - runtimeWarnings + printedValues.count + joinSeparators.count + timeFormats.count }
    var runtimeWarnings = 0

    func programName(_ target: AttachTarget, _ index: Int) -> String {
        let base = target.name.split(separator: ":").last.map(String.init) ?? target.kind.name
        return String("\(target.kind.name.prefix(2))_\(base)".prefix(15))
    }

    /// Chooses a map's kernel type and byte layout from what the checker learned.
    func layout(_ info: MapUsage, id: Int) -> ScriptMap {
        let userKeySize = info.key.map { Layout.size($0) } ?? 8
        var kind = ScriptMap.Kind.plain
        var keySize = userKeySize
        var valueSize = Layout.size(info.value == .unknown ? .u64 : info.value)
        var type = MapType.hash
        if let agg = info.aggregate {
            type = .percpuHash
            switch agg {
            case .hist:
                kind = .hist(bits: Int(info.aggregateArguments.first ?? 0))
                keySize += 8
            case .lhist:
                let a = info.aggregateArguments
                kind = .lhist(min: a.count > 0 ? a[0] : 0, max: a.count > 1 ? a[1] : 1, step: a.count > 2 ? max(1, a[2]) : 1)
                keySize += 8
            case .tseries:
                let a = info.aggregateArguments
                kind = .tseries(interval: max(1, a.count > 0 ? a[0] : 1), intervals: max(1, a.count > 1 ? a[1] : 1),
                                aggregation: TSeriesAggregation(rawValue: Int(a.count > 2 ? a[2] : 0)) ?? .none)
                keySize += 8
            default:
                kind = .aggregate(agg)
            }
            valueSize = Layout.aggregateSize(agg)
        }
        var entries = maxMapKeys
        if let d = info.declaration {
            if case .integer(let n) = d.arguments.first?.kind { entries = UInt32(clamping: n) }
            switch d.kind {
            case "lruhash": type = info.aggregate != nil ? .lruPercpuHash : .lruHash
            case "percpuhash": type = .percpuHash
            case "percpulruhash": type = .lruPercpuHash
            default: break
            }
        }
        // As bpftrace: a map without keys holds one entry; histograms share
        // max_map_keys between keys and buckets. Entries are preallocated,
        // so these sizes are also what a script costs to start.
        if info.key == nil, info.declaration == nil {
            switch kind {
            case .plain, .aggregate: entries = 1
            default: break
            }
        }
        // `@ = count()`: a one-element per-CPU array, whose lookup the verifier
        // inlines (no helper call, no hashing) and whose element always
        // exists. A count of zero is a count never made, so nothing is lost.
        if info.key == nil, info.declaration == nil, kind == .aggregate(.count) {
            type = .percpuArray
            keySize = 4
        }
        // A bucket per interval and key, preallocated below: a ceiling keeps long series affordable.
        if case .tseries(_, let n, _) = kind { entries = UInt32(clamping: min(max(Int64(entries), Int64(entries) * n), 1 << 16)) }
        // Preallocated (no BPF_F_NO_PREALLOC), as bpftrace's: without it the
        // kernel hands a program new entries from a small per-CPU cache
        // refilled later, so a probe that creates many keys at once (or from
        // a timer interrupt) silently loses all but the first few.
        let spec = MapSpec(name: ScriptMap.kernelName(info.name.isEmpty ? "_" : info.name), type: type,
                           keySize: UInt32(keySize), valueSize: UInt32(valueSize), maxEntries: entries)
        var map = ScriptMap(id: id, name: info.name, key: info.key, value: info.value, kind: kind, spec: spec, userKeySize: userKeySize)
        map.signedValues = info.aggregatedType?.isSigned ?? info.value.isSigned
        return map
    }

    /// `runtimeWarning`: Auger's own warning (a full map, a division by zero),
    /// sent only when something goes wrong; it does not make a probe one that prints.
    func registerFormat(_ function: String, _ format: FormatString, _ types: [SType], range: SourceRange,
                        runtimeWarning: Bool = false) -> (id: Int, offsets: [Int]) {
        if runtimeWarning { runtimeWarnings += 1 }
        let offsets = Layout.offsets(types).map { $0 + 8 }
        formattedCalls.append(FormattedCall(function: function, range: range, format: format, argumentTypes: types, offsets: offsets))
        return (formattedCalls.count - 1, offsets)
    }
}
