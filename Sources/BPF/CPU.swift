#if canImport(Glibc)
import Glibc
#endif

/// CPU numbering as the kernel sees it.
public enum CPU {
    /// Number of possible CPUs: the count of values in a per-CPU map entry.
    /// Read once from /sys/devices/system/cpu/possible (e.g. "0-1").
    public static let possibleCount: Int = {
        guard let text = try? readFile("/sys/devices/system/cpu/possible") else { return sysconf(Int32(_SC_NPROCESSORS_CONF)) }
        return parseCPUList(text).map { $0 + 1 }.max() ?? 1
    }()

    /// Online CPUs, for opening one perf event per CPU.
    public static let online: [Int] = {
        guard let text = try? readFile("/sys/devices/system/cpu/online") else { return Array(0..<sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
        return parseCPUList(text)
    }()

    /// Parses the kernel's CPU list format: "0-3,5,7-8".
    public static func parseCPUList(_ text: String) -> [Int] {
        text.trimmingWhitespace().split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            if ends.count == 2, ends[0] <= ends[1] { return Array(ends[0]...ends[1]) }
            return ends.count == 1 ? ends : []
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}

/// Reads a whole file as text; `-` reads standard input. Throws the errno
/// (EFBIG past `limit` bytes: a path may name /dev/zero).
public func readFile(_ path: String, limit: Int = defaultReadLimit) throws -> String {
    String(decoding: try readBytes(path, limit: limit), as: UTF8.self)
}

/// More than any file Auger reads whole (kallsyms, BTF) holds.
public let defaultReadLimit = 256 << 20

/// Reads a whole file's bytes (ELF files, BTF); `-` reads standard input.
public func readBytes(_ path: String, limit: Int = defaultReadLimit) throws -> [UInt8] {
    let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw Errno.current }
    defer { if fd != 0 { close(fd) } }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw Errno.current
        }
        if n == 0 { break }
        data += chunk[0..<n]
        if data.count > limit { throw Errno(rawValue: EFBIG) }
    }
    return data
}
