import AugerCompiler
import ELF
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// `usdt:PATH:[PROVIDER:]NAME`: markers in executables and libraries,
/// through the uprobe PMU, with their semaphores raised while attached.
struct USDTProbes: ProbeFamily {
    func runsNewestFirst(_ kind: ProbeKind) -> Bool { true }

    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        let parts = point.parts.map(Self.unquoted)
        guard parts.count >= 1 else { throw AttachError(.invalid("usdt needs a marker, e.g. usdt:/usr/bin/app:provider:name"), at: point.range) }
        // PATH:NAME (any provider), PATH:PROVIDER:NAME; PATH may be empty or a wildcard with -p.
        let written = parts.count >= 2 ? parts[0] : ""
        let provider = parts.count >= 3 ? parts[1] : ""
        let name = parts.count >= 3 ? parts[2...].joined(separator: ":") : parts.last!
        let whole = point.parts.joined(separator: ":")
        var binaries: [UserBinary]
        if written.isEmpty || (written == "*" && system.pid != nil) {
            guard let pid = system.pid else {
                throw AttachError(.invalid("usdt probes without a file need a process: -p PID (or name the file: usdt:PATH:\(whole))"), at: point.range)
            }
            binaries = UserBinaries.mapped(pid)
        } else {
            binaries = UserBinaries.find(written, pid: system.pid)
        }
        guard !binaries.isEmpty else {
            if Glob.isPattern(written) { throw AttachError(.noMatches(point.kind, whole), at: point.range) }
            throw AttachError(.invalid("cannot find binary '\(written)'"), at: point.range)
        }
        var targets: [AttachTarget] = []
        for binary in binaries {
            guard let (markers, elf, symbols) = USDTNotes.markers(path: binary.path) else {
                if binaries.count == 1 { throw AttachError(.invalid("'\(binary.shown)' is not an ELF file"), at: point.range) }
                continue
            }
            for m in markers where (provider.isEmpty || Glob.matches(provider, m.provider)) && Glob.matches(name, m.name) {
                guard let offset = elf.fileOffset(ofAddress: m.address) else { continue }
                let semaphore = m.semaphore == 0 ? 0 : elf.fileOffset(ofAddress: m.semaphore) ?? 0
                var arguments: [USDTArgument] = []
                for spec in m.arguments.split(separator: " ") {
                    switch USDTArgument.parse(spec, symbol: { symbols?.address(ofObjectOrFunction: $0) }) {
                    case .success(let a): arguments.append(a)
                    case .failure(let e):
                        throw AttachError(.invalid("usdt \(m.provider):\(m.name) in \(binary.shown): cannot read argument '\(e.spec)' (\(e.reason))"), at: point.range)
                    }
                }
                targets.append(AttachTarget(kind: .usdt, location: .usdt(path: binary.path, address: m.address, offset: offset,
                                                                        semaphore: semaphore, arguments: arguments),
                                            name: "usdt:\(binary.shown):\(m.provider):\(m.name)", range: point.range))
            }
        }
        guard !targets.isEmpty else { throw AttachError(.noMatches(point.kind, whole), at: point.range) }
        return targets
    }

    /// `"a:b"` → `a:b`, `"\"probe1\""` → `"probe1"`: quotes let names hold colons and quotes.
    static func unquoted(_ part: String) -> String {
        guard part.count >= 2, part.hasPrefix("\""), part.hasSuffix("\"") else { return part }
        return String(part.dropFirst().dropLast()).replacingOccurrences("\\\"", "\"")
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        guard case .usdt(let path, _, let offset, let semaphore, _) = target.location else {
            throw AttachError(.notSupported(target.kind), at: target.range)
        }
        return [try AttachError.attaching(target) {
            try program.attach(to: PerfEvent.uprobe(path: path, offset: offset, pid: system.pid ?? -1, semaphore: semaphore))
        }]
    }
}
