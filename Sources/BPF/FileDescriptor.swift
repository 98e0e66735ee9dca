#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A file descriptor with exactly one owner, closed exactly once: explicitly
/// by `close()`, or when the owner goes away.
public final class FileDescriptor: Sendable, CustomStringConvertible {
    private let fd: Mutex<Int32>

    /// Takes ownership of `raw`.
    public init(owning raw: Int32) {
        precondition(raw >= 0, "FileDescriptor needs a valid descriptor")
        fd = Mutex(raw)
    }

    /// The descriptor number, or -1 once closed.
    public var rawValue: Int32 { fd.withLock { $0 } }

    public var isClosed: Bool { rawValue < 0 }

    /// Closes the descriptor now; later calls do nothing.
    public func close() {
        fd.withLock { raw in
            if raw >= 0 { _ = Glibc.close(raw) }
            raw = -1
        }
    }

    deinit { close() }

    public var description: String { "fd \(rawValue)" }
}
