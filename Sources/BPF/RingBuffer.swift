import CBPF
#if canImport(Glibc)
import Glibc
#endif

/// Reads records that programs write to a BPF ring buffer map.
///
/// The map is shared memory: one read-write page holding the consumer
/// position (ours to advance), then a read-only page with the producer
/// position, then the data area mapped twice in a row, so that a record
/// which wraps past the end is still contiguous in our address space.
public final class RingBufferReader {
    public let map: Map
    private let consumerPage: UnsafeMutableRawPointer
    private let producerPage: UnsafeMutableRawPointer
    private let producerLength: Int
    private let data: UnsafeRawPointer
    private let mask: UInt64
    private let epoll: FileDescriptor

    // Bits of a record header's length word.
    private static let busyBit: UInt32 = 1 << 31
    private static let discardBit: UInt32 = 1 << 30
    private static let headerSize = 8

    public init(_ map: Map) throws {
        guard map.spec.type == .ringBuffer else {
            throw BPFError(call: "mmap", context: "read map \"\(map.spec.name)\" as a ring buffer", errno: .invalidArgument,
                           hint: "The map is a \(map.spec.type) map, not a ring buffer")
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = Int(map.spec.maxEntries)
        let context = "map ring buffer \"\(map.spec.name)\""
        guard let consumer = mmap(nil, page, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd.rawValue, 0),
              consumer != MAP_FAILED else { throw BPFError(call: "mmap", context: context, errno: .current) }
        let producerLength = page + 2 * size
        guard let producer = mmap(nil, producerLength, PROT_READ, MAP_SHARED, map.fd.rawValue, off_t(page)),
              producer != MAP_FAILED else {
            let e = Errno.current
            munmap(consumer, page)
            throw BPFError(call: "mmap", context: context, errno: e)
        }
        let ep = epoll_create1(Int32(EPOLL_CLOEXEC))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        if ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, map.fd.rawValue, &event) != 0 {
            let e = Errno.current
            if ep >= 0 { close(ep) }
            munmap(consumer, page)
            munmap(producer, producerLength)
            throw BPFError(call: "epoll", context: "wait on ring buffer \"\(map.spec.name)\"", errno: e)
        }
        self.map = map
        self.consumerPage = consumer
        self.producerPage = producer
        self.producerLength = producerLength
        self.data = UnsafeRawPointer(producer + page)
        self.mask = UInt64(size - 1)
        self.epoll = FileDescriptor(owning: ep)
    }

    deinit {
        munmap(consumerPage, Int(sysconf(Int32(_SC_PAGESIZE))))
        munmap(producerPage, producerLength)
    }

    /// Also wakes `wait` when `fd` becomes readable (a signalfd, a pipe), so
    /// one wait covers records and other events.
    public func watch(_ fd: Int32) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        if epoll_ctl(epoll.rawValue, EPOLL_CTL_ADD, fd, &event) != 0 {
            throw BPFError(call: "epoll_ctl", context: "watch fd \(fd) with ring buffer \"\(map.spec.name)\"", errno: .current)
        }
    }

    /// Waits up to `timeout` milliseconds (-1: forever) until the kernel
    /// signals data. Returns false on timeout or interruption by a signal.
    public func wait(timeout: Int32) throws -> Bool {
        var event = epoll_event()
        let n = epoll_wait(epoll.rawValue, &event, 1, timeout)
        if n < 0 {
            if errno == EINTR { return false }
            throw BPFError(call: "epoll_wait", context: "wait on ring buffer \"\(map.spec.name)\"", errno: .current)
        }
        return n > 0
    }

    /// Hands the records available now (at most `limit` of them) to `body`,
    /// in order, without copying; the bytes are valid only during the call.
    /// Returns the number of records. A limit keeps a caller responsive while
    /// the kernel writes records as fast as they are read.
    @discardableResult
    public func consume(limit: Int = .max, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Int {
        var consumer = cbpf_load_acquire_u64(consumerPage)
        var count = 0
        while count < limit {
            let producer = cbpf_load_acquire_u64(producerPage)
            if consumer >= producer { break }
            let header = data + Int(consumer & mask)
            let word = cbpf_load_acquire_u32(header)
            if word & Self.busyBit != 0 { break } // reserved but not yet committed
            let length = Int(word & ~(Self.busyBit | Self.discardBit))
            if word & Self.discardBit == 0 {
                try body(UnsafeRawBufferPointer(start: header + Self.headerSize, count: length))
                count += 1
            }
            consumer += UInt64((length + Self.headerSize + 7) & ~7)
            // Release after reading: the kernel may reuse the space at once.
            // Every 64 records, not each one: the producer reads this line,
            // and bouncing it between CPUs per record costs more than the record.
            if count & 63 == 0 { cbpf_store_release_u64(consumerPage, consumer) }
        }
        cbpf_store_release_u64(consumerPage, consumer)
        return count
    }

    /// Copies out every record available now.
    public func readAvailable() -> [[UInt8]] {
        var out: [[UInt8]] = []
        consume { out.append(Array($0)) }
        return out
    }
}
