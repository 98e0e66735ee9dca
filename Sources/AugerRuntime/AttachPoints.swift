import AugerCompiler
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// Why an attach point cannot be used here.
public struct AttachError: Error, Sendable {
    public var message: String
    public var range: SourceRange
}

/// Expands attach points against the running system: wildcards become the
/// tracepoints that match, and each target carries what its program needs.
public struct AttachPointResolver {
    let tracefs: Tracefs?
    let types: TracepointTypes?

    /// The kernel's BTF (the type checker's, read once), for the names of its functions.
    let kernel: KernelTypes

    public init(tracefs: Tracefs?, types: TracepointTypes?, kernel: KernelTypes? = nil) {
        self.tracefs = tracefs
        self.types = types
        self.kernel = kernel ?? KernelTypes(tracepoints: types)
    }

    public func resolve(_ point: AttachPoint) throws(AttachError) -> [AttachTarget] {
        switch point.provider {
        case "begin", "end":
            return [AttachTarget(provider: point.provider, name: point.provider)]
        case "bench":
            return [AttachTarget(provider: "bench", name: "bench:\(point.parts[0])")]
        case "self":
            guard SignalWatcher.userSignals[point.parts[1]] != nil else {
                throw AttachError(message: "self:signal probes take SIGUSR1 or SIGUSR2, not '\(point.parts[1])'", range: point.range)
            }
            return [AttachTarget(provider: "self", name: "self:signal:\(point.parts[1])")]
        case "tracepoint":
            guard let tracefs, let types else { throw AttachError(message: "tracefs is not available", range: point.range) }
            let (category, name) = (point.parts[0], point.parts[1])
            var names: [(String, String)] = []
            if category.contains("*") || name.contains("*") || category.contains("?") || name.contains("?") {
                let all: [(category: String, name: String)]
                do { all = try tracefs.tracepoints() } catch {
                    throw AttachError(message: "cannot list tracepoints: \(error)", range: point.range)
                }
                names = all.filter { Glob.matches(category, $0.category) && Glob.matches(name, $0.name) }.map { ($0.category, $0.name) }
                if names.isEmpty { throw AttachError(message: "No matches for tracepoint \(category):\(name).", range: point.range) }
            } else {
                names = [(category, name)]
            }
            return try names.map { (c, n) throws(AttachError) in
                guard let format = types.format(category: c, name: n) else {
                    throw AttachError(message: "No matches for tracepoint \(c):\(n).", range: point.range)
                }
                return AttachTarget(provider: "tracepoint", name: "tracepoint:\(c):\(n)", format: format)
            }
        case "rawtracepoint":
            return try rawTracepoints(point)
        case "interval", "profile":
            return [AttachTarget(provider: point.provider, name: "\(point.provider):\(point.parts.joined(separator: ":"))")]
        case "software", "hardware":
            return [AttachTarget(provider: point.provider, name: "\(point.provider):\(point.parts.joined(separator: ":"))")]
        case "uprobe", "uretprobe":
            return [try userProbe(point)]
        case "kprobe", "kretprobe", "fentry", "fexit":
            // A function the kernel does not have is named as bpftrace names it, before what Auger lacks.
            let function = point.parts.last ?? ""
            if !function.contains("*"), let btf = kernel.btf, btf.function(named: function) == nil {
                throw AttachError(message: "No matches for \(point.provider) \(point.parts.joined(separator: ":")).", range: point.range)
            }
            if point.provider.hasPrefix("k"), access("/sys/bus/event_source/devices/kprobe", F_OK) != 0 {
                throw AttachError(message: "\(point.provider) probes need kprobes, which this kernel does not have (CONFIG_KPROBES is off); Auger cannot serve them with fentry yet", range: point.range)
            }
            throw AttachError(message: "\(point.provider) probes are not supported yet", range: point.range)
        default:
            throw AttachError(message: "\(point.provider) probes are not supported yet", range: point.range)
        }
    }
}

extension AttachPointResolver {
    /// `rawtracepoint:[MODULE:]NAME`, NAME perhaps a wildcard: every
    /// tracepoint has a raw one of its name (vmlinux's, or a module's with BTF).
    func rawTracepoints(_ point: AttachPoint) throws(AttachError) -> [AttachTarget] {
        let name = point.parts.last!
        let module = point.parts.count == 2 ? point.parts[0] : nil
        let written = point.parts.joined(separator: ":")
        if let module, module != "vmlinux", !module.contains("*"), access("/sys/kernel/btf/\(module)", F_OK) != 0 {
            throw AttachError(message: "No matches for rawtracepoint \(written).", range: point.range)
        }
        guard let tracefs, let all = try? tracefs.tracepoints() else {
            return [AttachTarget(provider: "rawtracepoint", name: "rawtracepoint:\(name)")]
        }
        var seen: Set<String> = []
        // Per-syscall tracepoints have no raw tracepoints of their own (they ride on sys_enter/sys_exit).
        let names = all.filter { $0.category != "syscalls" }.map(\.name).filter { Glob.matches(name, $0) && seen.insert($0).inserted }
        if names.isEmpty {
            throw AttachError(message: module == nil ? "Probe has no valid attach points." : "No matches for rawtracepoint \(written).", range: point.range)
        }
        return names.map { AttachTarget(provider: "rawtracepoint", name: "rawtracepoint:\($0)") }
    }

    /// `uprobe:PATH:FUNCTION` (or `:FUNCTION+OFFSET`, `:0xADDRESS`): the file
    /// offset comes from the ELF file's symbols; the target's name carries it.
    func userProbe(_ point: AttachPoint) throws(AttachError) -> AttachTarget {
        guard point.parts.count >= 2 else { throw AttachError(message: "\(point.provider) needs a binary and a function, e.g. uprobe:/bin/bash:readline", range: point.range) }
        let written = String(point.parts[point.parts.count - 2].filter { $0 != "\"" })
        var symbol = point.parts[point.parts.count - 1]
        guard let path = Self.binaryPath(written) else { throw AttachError(message: "cannot find binary '\(written)'", range: point.range) }
        var offset: UInt64
        if symbol.hasPrefix("0x"), let address = UInt64(symbol.dropFirst(2), radix: 16) {
            offset = address
        } else {
            var extra: UInt64 = 0
            if let plus = symbol.firstIndex(of: "+") {
                extra = UInt64(symbol[symbol.index(after: plus)...]) ?? 0
                symbol = String(symbol[..<plus])
            }
            guard let elf = ELFSymbols(path: path) else { throw AttachError(message: "'\(path)' is not an ELF file with symbols", range: point.range) }
            guard let start = elf.fileOffset(ofFunction: symbol) else {
                throw AttachError(message: "No matches for \(point.provider) \(path):\(symbol).", range: point.range)
            }
            offset = start + extra
        }
        return AttachTarget(provider: point.provider, name: "\(point.provider):\(path):\(symbol):\(offset)")
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

/// Shell-style wildcard matching with `*` and `?`.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
