import AugerCompiler
import Demangle
import ELF
import AugerScript
import BPF
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// uprobe and uretprobe: functions (or addresses) of ELF files, through the
/// kernel's uprobe PMU, or one uprobe_multi link for many functions of one file.
struct UserFunctionProbes: ProbeFamily {
    func runsNewestFirst(_ kind: ProbeKind) -> Bool { true }

    /// `uprobe:BINARY:FUNCTION` (`:FUNCTION+OFFSET`, `:0xADDRESS`); BINARY a
    /// path, a command on PATH, a library's short name or, with `-p`, a
    /// pattern over the process's files; FUNCTION may be a wildcard. File
    /// offsets come from the ELF file's symbols and segments.
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        guard point.parts.count >= 2 else {
            throw AttachError(.invalid("\(point.kind.name) needs a binary and a function, e.g. uprobe:/bin/bash:readline"), at: point.range)
        }
        // `BIN:cpp:NAME`: NAME is a C++ function as its source spells it.
        let cpp = point.parts.count == 3 && point.parts[1] == "cpp"
        var written = String(point.parts[cpp ? 0 : point.parts.count - 2].filter { $0 != "\"" })
        let function = point.parts[point.parts.count - 1]
        // `BIN@file.c:LINE`: a source line, found in the binary's DWARF line table.
        var sourceLine: (file: String, line: Int)?
        if let at = written.lastIndex(of: "@"), let line = Int(function), !written[written.index(after: at)...].contains("/") {
            sourceLine = (String(written[written.index(after: at)...]), line)
            written = String(written[..<at])
        }
        let binaries = UserBinaries.find(written, pid: system.pid)
        let whole = "\(written):\(cpp ? "cpp:" : "")\(function)"
        guard !binaries.isEmpty else {
            if Glob.isPattern(written) { throw AttachError(.noMatches(point.kind, whole), at: point.range) }
            throw AttachError(.invalid("cannot find binary '\(written)'"), at: point.range)
        }
        var targets: [AttachTarget] = []
        for binary in binaries {
            func target(_ symbol: String, _ offset: UInt64, shown: String) -> AttachTarget {
                AttachTarget(kind: point.kind, location: .userFunction(path: binary.path, symbol: symbol, offset: offset),
                             name: "\(point.kind.name):\(binary.shown):\(shown)", range: point.range)
            }
            let elf = DebugFiles.symbols(binary.path)
            if let (file, line) = sourceLine {
                guard let lines = UserDebugInfo.lines(binary.path) else {
                    throw AttachError(.invalid("'\(binary.shown)' has no DWARF line table: cannot find \(file):\(line) (build it with -g)"), at: point.range)
                }
                guard let address = lines.addresses(file: file, line: line).first,
                      let offset = elf?.fileOffset(ofAddress: address) ?? ELFSections.of(path: binary.path)?.fileOffset(ofAddress: address) else {
                    throw AttachError(.invalid("No code in \(binary.shown) comes from \(file):\(line)"), at: point.range)
                }
                let symbol = elf.flatMap { $0.symbol(atFileOffset: offset)?.0 } ?? "\(file):\(line)"
                targets.append(AttachTarget(kind: point.kind, location: .userFunction(path: binary.path, symbol: symbol, offset: offset),
                                            name: "\(point.kind.name):\(binary.shown)@\(file):\(line)", range: point.range))
                continue
            }
            if function.first?.isNumber == true {
                // An address as nm prints it (`0x401126`, or decimal), which a loadable segment must hold.
                guard let address = KernelFunctionProbes.number(function[...]) else {
                    throw AttachError(.invalid("invalid address '\(function)'"), at: point.range)
                }
                // A file that is not ELF (bare code someone maps and runs): with --unsafe, the address is its offset.
                if system.unsafe, elf == nil, ELFSections.of(path: binary.path) == nil {
                    targets.append(target(function, address, shown: function))
                    continue
                }
                // Inside a function where the file has symbols (bpftrace's rule); else a segment.
                let inFunction = elf.map { e in e.fileOffset(ofAddress: address).flatMap { e.symbol(atFileOffset: $0) } != nil } ?? true
                guard inFunction, let offset = elf?.fileOffset(ofAddress: address) ?? ELFSections.of(path: binary.path)?.fileOffset(ofAddress: address) else {
                    throw AttachError(.invalid("Could not resolve address: \(binary.shown):0x\(String(address, radix: 16))"), at: point.range)
                }
                targets.append(target(function, offset, shown: function))
                continue
            }
            guard let elf else {
                if binaries.count == 1 { throw AttachError(.invalid("'\(binary.shown)' is not an ELF file with symbols"), at: point.range) }
                continue
            }
            let unquoted = function.count >= 2 && function.hasPrefix("\"") && function.hasSuffix("\"") ? String(function.dropFirst().dropLast()) : function
            // Mangled names never hold `::`: such a name is C++ even without `cpp:`.
            if cpp || (unquoted.contains("::") && elf.function(named: unquoted) == nil) {
                targets += Self.demangledMatches(unquoted, in: elf).map { target($0.symbol, $0.offset, shown: "cpp:" + $0.shown) }
                continue
            }
            if Glob.isPattern(function) {
                // Functions the linker gave no size are left out, as bpftrace leaves them.
                for f in elf.uniqueFunctions where f.size > 0 && Glob.matches(function, f.name) {
                    if let offset = elf.fileOffset(ofAddress: f.address) { targets.append(target(f.name, offset, shown: f.name)) }
                }
                continue
            }
            var symbol = function
            var extra: UInt64 = 0
            if let plus = function.lastIndex(of: "+") {
                guard let n = KernelFunctionProbes.number(function[function.index(after: plus)...]) else {
                    throw AttachError(.invalid("invalid offset in '\(function)'"), at: point.range)
                }
                extra = n
                symbol = String(function[..<plus])
            }
            // `"echo_builtin"+0`: a quoted name (C++ names need the quotes).
            if symbol.count >= 2, symbol.hasPrefix("\""), symbol.hasSuffix("\"") { symbol = String(symbol.dropFirst().dropLast()) }
            guard let f = elf.function(named: symbol), let start = elf.fileOffset(ofAddress: f.address) else { continue }
            if !system.unsafe {
                // Without a size there is no telling where the function ends, nor whether an offset is inside it.
                if f.size == 0 {
                    throw AttachError(.invalid("Could not determine boundary for \(symbol) (symbol has size 0). Use --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process."), at: point.range)
                }
                if extra >= f.size {
                    throw AttachError(.invalid("Offset outside the function bounds ('\(symbol)' size is \(f.size))"), at: point.range)
                }
            }
            targets.append(target(symbol, start + extra, shown: function))
        }
        guard !targets.isEmpty else { throw AttachError(.noMatches(point.kind, whole), at: point.range) }
        for case .userFunction(let path, _, let offset) in targets.map(\.location) {
            var st = stat()
            if stat(path, &st) == 0, offset >= UInt64(max(0, st.st_size)) {
                throw AttachError(.invalid("\(point.kind.name) offset 0x\(String(offset, radix: 16)) is beyond the end of '\(path)'"), at: point.range)
            }
        }
        return targets
    }

    /// Functions whose demangled name matches `pattern`: the name alone
    /// (`ns::f` is every overload of f), or with parameters when the
    /// pattern has them (`ns::f(int)`); wildcards allowed.
    static func demangledMatches(_ pattern: String, in elf: ELFSymbols) -> [(symbol: String, offset: UInt64, shown: String)] {
        let withParameters = pattern.contains("(")
        var out: [(symbol: String, offset: UInt64, shown: String)] = []
        for f in elf.uniqueFunctions where f.size > 0 {
            guard let name = Demangler.demangle(f.name) else { continue }
            let candidate = withParameters ? name.full : name.function
            guard Glob.matches(pattern, candidate), let offset = elf.fileOffset(ofAddress: f.address) else { continue }
            out.append((f.name, offset, candidate))
        }
        return out
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        let isReturn = target.kind == .uretprobe
        if case .userFunctions(let path, _, let offsets) = target.location {
            return [try AttachError.attaching(target) { try program.attachUprobeMulti(path: path, offsets: offsets, returnProbe: isReturn, pid: system.pid) }]
        }
        guard case .userFunction(let path, _, let offset) = target.location else {
            throw AttachError(.notSupported(target.kind), at: target.range)
        }
        return [try AttachError.attaching(target) {
            let event = try PerfEvent.uprobe(path: path, offset: offset, returnProbe: isReturn, pid: system.pid ?? -1)
            return try program.attach(to: event)
        }]
    }

    /// A probe's uprobes (or uretprobes) of one file as one target that one
    /// uprobe_multi link serves: one program for a wildcard's functions. Not
    /// when the probe reads `probe`, which then names each function.
    static func combine(_ targets: [AttachTarget], of probe: Probe, in system: ProbeSystem) -> [AttachTarget] {
        var probeFile: (String, UInt64)?
        var files: [String: Int] = [:]
        for t in targets where t.kind == .uprobe || t.kind == .uretprobe {
            if case .userFunction(let path, _, let offset) = t.location { files["\(t.kind.name):\(path)", default: 0] += 1; probeFile = (path, offset) }
        }
        guard files.values.contains(where: { $0 > 1 }), !probe.uses(builtin: "probe"), let (path, offset) = probeFile,
              system.hasUprobeMulti(trying: path, offset) else { return targets }
        var out: [AttachTarget] = []
        var groups: [String: Int] = [:]  // kind and path → index in out
        for t in targets {
            guard t.kind == .uprobe || t.kind == .uretprobe, case .userFunction(let path, let symbol, let offset) = t.location else { out.append(t); continue }
            let key = "\(t.kind.name):\(path)"
            guard let i = groups[key] else { groups[key] = out.count; out.append(t); continue }
            switch out[i].location {
            case .userFunction(_, let first, let firstOffset) where firstOffset != offset:
                out[i].location = .userFunctions(path: path, symbols: [first, symbol], offsets: [firstOffset, offset])
            case .userFunctions(_, var symbols, var offsets) where !offsets.contains(offset):
                symbols.append(symbol)
                offsets.append(offset)
                out[i].location = .userFunctions(path: path, symbols: symbols, offsets: offsets)
            default:
                break  // the same offset twice is attached once
            }
        }
        // Named as written: `uprobe:./bin:f*`.
        for i in out.indices where out[i].isMultiFunction && (out[i].kind == .uprobe || out[i].kind == .uretprobe) {
            let written = probe.attachPoints.filter { $0.kind == out[i].kind }.map { "\($0.kind.name):\($0.parts.joined(separator: ":"))" }
            out[i].name = written.joined(separator: ",")
        }
        return out
    }
}

/// Whether uprobe_multi links attach here (Linux 6.6+): asked once per
/// process, by attaching an empty program for a moment to a function of
/// the first file a script would use them for.
enum UprobeMultiSupport {
    private static let answer = Mutex<Bool?>(nil)

    static func works(trying path: String, _ offset: UInt64) -> Bool {
        if let known = answer.withLock({ $0 }) { return known }
        let spec = ProgramSpec(name: "probe", type: .kprobe, instructions: [.mov(.r0, 0), .exit], expectedAttachType: .traceUprobeMulti)
        var works = false
        if let program = try? BPF.Program(spec),
           let link = try? program.attachUprobeMulti(path: path, offsets: [offset], returnProbe: false, pid: getpid()) {
            link.close()
            works = true
        }
        answer.withLock { $0 = works }
        return works
    }
}
