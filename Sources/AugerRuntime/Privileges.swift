#if canImport(Glibc)
import Glibc
#endif

/// Whether this process may trace at all, checked before any work so that
/// an unprivileged user learns what is missing instead of a failing syscall.
public enum Privileges {
    static let capSysAdmin = 21, capPerfmon = 38, capBPF = 39

    /// The effective capability set, from /proc/self/status (no libcap).
    static func effectiveCapabilities() -> UInt64 {
        guard let status = try? readText("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }) else { return 0 }
        return UInt64(line.dropFirst("CapEff:".count).filter { !$0.isWhitespace }, radix: 16) ?? 0
    }

    /// Nil when root, or holding CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON;
    /// otherwise what `action` needs, as the message to print.
    public static func problem(for action: String) -> String? {
        if geteuid() == 0 { return nil }
        let caps = effectiveCapabilities()
        func has(_ cap: Int) -> Bool { caps & (1 << UInt64(cap)) != 0 }
        if has(capSysAdmin) || (has(capBPF) && has(capPerfmon)) { return nil }
        return "\(action) needs root privileges (or the CAP_BPF and CAP_PERFMON capabilities); run it with sudo"
    }
}
