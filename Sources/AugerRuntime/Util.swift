#if canImport(Glibc)
import Glibc
#endif

import AugerScript
import BPF

/// Reads a whole small file (procfs, sysfs) as text.
func readText(_ path: String) throws -> String {
    do { return try readFile(path) } catch let e as Errno {
        throw RuntimeError.system("cannot open \(path): \(e)")
    }
}

/// The names in a directory, without `.` and `..`; nil if it cannot be read.
func directoryEntries(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Where a symbolic link points; nil if it is not one or cannot be read.
func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Failures of the runtime, each a sentence for the user.
public enum RuntimeError: Error, CustomStringConvertible {
    case system(String)
    /// A message printed as it is, without "ERROR: " (as bpftrace prints some).
    case plain(String)
    /// Errors (or warnings) at places in the script.
    case diagnostics(Diagnostics, SourceFile)

    public var description: String {
        switch self {
        case .system(let m), .plain(let m): m
        case .diagnostics(let d, let source): d.rendered(in: source)
        }
    }
}

/// Where output goes: standard output, or the file given with -o.
public final class OutputSink: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// -B: flush after every write (none) or every line (line); else in blocks.
    public var buffering: RunOptions.Buffering = .full

    public init(fd: Int32 = 1) { self.fd = fd }

    /// The first write that failed (a full disk, a closed pipe): output was lost.
    public private(set) var writeError: Errno?

    /// What is written but not yet flushed.
    var pendingText: String { String(decoding: buffer, as: UTF8.self) }

    /// Whether the output so far ends a line (or is empty).
    public private(set) var atLineStart = true

    public func write(_ s: String) {
        guard !s.isEmpty else { return }
        buffer += s.utf8
        atLineStart = s.utf8.last == 10
        flushIfDue()
    }

    /// Appends bytes without making a String first (the printf fast path).
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        buffer.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        atLineStart = bytes[bytes.count - 1] == 10
        flushIfDue()
    }

    @inline(__always) private func flushIfDue() {
        switch buffering {
        case .full: if buffer.count > 1 << 16 { flush() }
        case .line: if atLineStart || buffer.count > 1 << 16 { flush() }
        case .none: flush()
        }
    }

    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends an integer in decimal.
    func appendDecimal(_ value: Int64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch
        withUnsafeMutableBytes(of: &digits) { raw in
            var n = value.magnitude
            var i = raw.count
            repeat {
                i -= 1
                raw[i] = UInt8(48 + n % 10)
                n /= 10
            } while n > 0
            if value < 0 { i -= 1; raw[i] = 45 }
            append(UnsafeRawBufferPointer(rebasing: raw[i...]))
        }
    }

    public func flush() {
        var at = 0
        while at < buffer.count {
            let n = buffer[at...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if writeError == nil { writeError = Errno(rawValue: errno) }
                break
            }
            at += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// uname(2)'s fields as strings: the kernel's name, release, version and
/// architecture, read once.
struct KernelIdentity {
    let system: String, release: String, version: String, architecture: String

    static let current: KernelIdentity = {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String { withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        return KernelIdentity(system: field(u.sysname), release: field(u.release), version: field(u.version), architecture: field(u.machine))
    }()

    /// The release's major and minor numbers (6.1.0-57-amd64 → (6, 1)).
    var majorMinor: (Int, Int)? {
        let parts = release.split(separator: ".").prefix(2).compactMap { Int($0.prefix { $0.isNumber }) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
}
