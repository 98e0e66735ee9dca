import CBPF
#if canImport(Glibc)
import Glibc
#endif

/// A process's executable mappings as the kernel reports them, while it
/// makes them: a dummy software event with `mmap` records (what `perf
/// record` names frames from after a process is gone). Opened on a process
/// before it execs, it sees the program, the dynamic linker and every
/// library the process maps from its main thread.
public final class MmapRecords {
    public struct Mapping: Equatable, Sendable {
        public var pid: Int32
        public var start: UInt64
        public var length: UInt64
        /// Offset of `start` in the file.
        public var offset: UInt64
        public var path: String
    }

    let event: PerfEvent
    let memory: UnsafeMutableRawPointer
    let mappedSize: Int
    let dataOffset: Int
    let dataSize: Int

    /// Follows `pid` (its main thread) with a ring of `pages` pages (a power of two).
    public init(pid: Int32, pages: Int = 16) throws {
        var attr = perf_event_attr()
        attr.type = PERF_TYPE_SOFTWARE.rawValue
        attr.config = UInt64(PERF_COUNT_SW_DUMMY.rawValue)
        attr.mmap = 1                 // executable mappings (mmap_data would add data ones)
        attr.sample_period = 1
        attr.wakeup_events = 1
        attr.exclude_kernel = 1
        event = try PerfEvent(attr: attr, pid: pid, cpu: -1, what: "mmap records of process \(pid)")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        mappedSize = page * (1 + pages)
        guard let m = mmap(nil, mappedSize, PROT_READ | PROT_WRITE, MAP_SHARED, event.fd.rawValue, 0), m != MAP_FAILED else {
            throw BPFError(call: "mmap", context: "map the ring of \(event.what)", errno: .current)
        }
        memory = m
        // perf_event_mmap_page: data_offset and data_size (Linux 4.1+), else the page after the header.
        let offset = Int(m.load(fromByteOffset: 1040, as: UInt64.self)), size = Int(m.load(fromByteOffset: 1048, as: UInt64.self))
        dataOffset = size == 0 ? page : offset
        dataSize = size == 0 ? page * pages : size
    }

    deinit { munmap(memory, mappedSize) }

    /// The mappings reported since the last call.
    public func drain() -> [Mapping] {
        let head = cbpf_load_acquire_u64(memory + 1024)
        var tail = memory.load(fromByteOffset: 1032, as: UInt64.self)
        var out: [Mapping] = []
        let data = memory + dataOffset
        func byte(_ at: UInt64) -> UInt8 { data.load(fromByteOffset: Int(at % UInt64(dataSize)), as: UInt8.self) }
        func u64(_ at: UInt64) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(byte(at + UInt64($1))) << (8 * UInt64($1)) } }
        func u32(_ at: UInt64) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(byte(at + UInt64($1))) << (8 * UInt32($1)) } }
        while tail < head {
            let type = u32(tail), size = UInt64(byte(tail + 6)) | UInt64(byte(tail + 7)) << 8
            guard size >= 8 else { break }
            if type == 1, size > 40 { // PERF_RECORD_MMAP: pid, tid, addr, len, pgoff, filename
                var name: [UInt8] = []
                var at = tail + 40
                while at < tail + size, byte(at) != 0 { name.append(byte(at)); at += 1 }
                out.append(Mapping(pid: Int32(bitPattern: u32(tail + 8)), start: u64(tail + 16), length: u64(tail + 24),
                                   offset: u64(tail + 32), path: String(decoding: name, as: UTF8.self)))
            }
            tail += size
        }
        cbpf_store_release_u64(memory + 1032, tail)
        return out
    }
}
