import AugerCompiler
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// uprobe and uretprobe: a function (or address) of an ELF file, through
/// the kernel's uprobe PMU.
struct UserFunctionProbes: ProbeFamily {
    /// `uprobe:PATH:FUNCTION` (or `:FUNCTION+OFFSET`, `:0xADDRESS`): the file
    /// offset comes from the ELF file's symbols.
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        guard point.parts.count >= 2 else {
            throw AttachError(.invalid("\(point.kind.name) needs a binary and a function, e.g. uprobe:/bin/bash:readline"), at: point.range)
        }
        let written = String(point.parts[point.parts.count - 2].filter { $0 != "\"" })
        let function = point.parts[point.parts.count - 1]
        guard let path = Self.binaryPath(written) else { throw AttachError(.invalid("cannot find binary '\(written)'"), at: point.range) }
        var symbol = function
        var offset: UInt64
        if function.hasPrefix("0x"), let address = UInt64(function.dropFirst(2), radix: 16) {
            offset = address
        } else {
            var extra: UInt64 = 0
            if let plus = function.firstIndex(of: "+") {
                extra = UInt64(function[function.index(after: plus)...]) ?? 0
                symbol = String(function[..<plus])
            }
            guard let elf = ELFSymbols(path: path) else { throw AttachError(.invalid("'\(path)' is not an ELF file with symbols"), at: point.range) }
            guard let start = elf.fileOffset(ofFunction: symbol) else {
                throw AttachError(.noMatches(point.kind, "\(path):\(symbol)"), at: point.range)
            }
            offset = start + extra
        }
        var st = stat()
        if stat(path, &st) == 0, offset >= UInt64(max(0, st.st_size)) {
            throw AttachError(.invalid("\(point.kind.name) offset 0x\(String(offset, radix: 16)) is beyond the end of '\(path)'"), at: point.range)
        }
        return [AttachTarget(kind: point.kind, location: .userFunction(path: path, symbol: symbol, offset: offset),
                             name: "\(point.kind.name):\(path):\(function)", range: point.range)]
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        guard case .userFunction(let path, _, let offset) = target.location else {
            throw AttachError(.notSupported(target.kind), at: target.range)
        }
        return [try AttachError.attaching(target) {
            let event = try PerfEvent.uprobe(path: path, offset: offset, returnProbe: target.kind == .uretprobe, pid: system.pid ?? -1)
            return try program.attach(to: event)
        }]
    }

    /// A path as given (made absolute), or a command name found in PATH.
    static func binaryPath(_ name: String) -> String? {
        if name.contains("/") {
            guard access(name, R_OK) == 0 else { return nil }
            if name.hasPrefix("/") { return name }
            var cwd = [CChar](repeating: 0, count: 4096)
            guard getcwd(&cwd, cwd.count) != nil else { return nil }
            return String(cString: cwd) + "/" + (name.hasPrefix("./") ? String(name.dropFirst(2)) : name)
        }
        let dirs = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}
