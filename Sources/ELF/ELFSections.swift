#if canImport(Glibc)
import Glibc
#endif

/// The section headers of an ELF64 little-endian file, with their names.
/// Every offset and size comes from the file, which anyone may have written:
/// each is checked against the file's length (a section that points past
/// it is kept, empty, so that indices other sections refer to still hold).
public struct ELFSections {
    public struct Section: Sendable {
        public var name: String
        public var type: UInt32
        public var flags: UInt64
        public var address: UInt64
        public var offset: Int
        public var size: Int
        public var link: Int
        public var entsize: Int
    }

    public let sections: [Section]
    /// Loadable segments: file offset, size in the file, virtual address.
    public let segments: [(offset: UInt64, size: UInt64, address: UInt64)]

    public init?(bytes: [UInt8]) {
        guard bytes.count > 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else { return nil }
        let r = ELFReader(bytes: bytes)
        var segments: [(offset: UInt64, size: UInt64, address: UInt64)] = []
        if let phoff = r.inFile(r.u64(32)) {
            let phentsize = r.u16(54), phnum = r.u16(56)
            for i in 0..<phnum {
                let p = phoff + i * phentsize  // both small: no overflow
                guard p <= bytes.count - 56 else { break }
                let (offset, address, size) = (r.u64(p + 8), r.u64(p + 16), r.u64(p + 32))
                // A segment that wraps around the address space is nonsense; skip it.
                guard r.u32(p) == 1, address.addingReportingOverflow(size).overflow == false,
                      offset.addingReportingOverflow(size).overflow == false else { continue } // PT_LOAD
                segments.append((offset, size, address))
            }
        }
        var sections: [Section] = []
        var nameOffsets: [Int] = []
        if let shoff = r.inFile(r.u64(40)) {
            let shentsize = r.u16(58), shnum = r.u16(60)
            for i in 0..<shnum {
                let s = shoff + i * shentsize
                guard s <= bytes.count - 64 else { break }
                nameOffsets.append(Int(r.u32(s)))
                guard let offset = r.inFile(r.u64(s + 24)), let size = r.inFile(r.u64(s + 32)), offset <= bytes.count - size else {
                    sections.append(Section(name: "", type: 0, flags: 0, address: 0, offset: 0, size: 0, link: 0, entsize: 0))
                    continue
                }
                sections.append(Section(name: "", type: UInt32(r.u32(s + 4)), flags: r.u64(s + 8), address: r.u64(s + 16), offset: offset, size: size,
                                        link: Int(r.u32(s + 40)), entsize: Int(clamping: r.u64(s + 56))))
            }
        }
        // Names from the section-name string table (e_shstrndx).
        let names = r.u16(62)
        if names < sections.count {
            for i in sections.indices { sections[i].name = r.string(in: sections[names], at: nameOffsets[i]) ?? "" }
        }
        self.sections = sections
        self.segments = segments
    }

    public func named(_ name: String) -> Section? { sections.first { $0.name == name } }

    /// A file's sections and segments; nil unless it is a regular ELF file of a sane size.
    public static func of(path: String) -> ELFSections? { regularFileBytes(path).flatMap(ELFSections.init(bytes:)) }

    /// A regular file's bytes, up to ELFSymbols.maxFileSize (a FIFO or a
    /// device is never read, and a file that grows is read only that far).
    public static func regularFileBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= ELFSymbols.maxFileSize else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return Array(bytes.prefix(filled))
    }

    /// The GNU build-id note (`.note.gnu.build-id`) of an ELF file's bytes, in hex.
    public static func buildID(_ bytes: [UInt8]) -> String? {
        guard let elf = ELFSections(bytes: bytes), let note = elf.named(".note.gnu.build-id"), note.size >= 16 else { return nil }
        let r = ELFReader(bytes: bytes)
        let nameSize = Int(r.u32(note.offset)), descSize = Int(r.u32(note.offset + 4))
        let desc = note.offset + 12 + (nameSize + 3) / 4 * 4
        guard r.u32(note.offset + 8) == 3, descSize > 0, descSize <= 64, desc + descSize <= note.offset + note.size else { return nil } // NT_GNU_BUILD_ID
        return bytes[desc..<desc + descSize].map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// The virtual address of a file offset in a loadable segment.
    public func address(ofFileOffset offset: UInt64) -> UInt64? {
        guard let segment = segments.first(where: { $0.offset <= offset && offset < $0.offset + $0.size }) else { return nil }
        return offset - segment.offset + segment.address
    }

    /// The file offset of a virtual address in a loadable segment.
    public func fileOffset(ofAddress address: UInt64) -> UInt64? {
        guard let segment = segments.first(where: { $0.address <= address && address < $0.address + $0.size }) else { return nil }
        return address - segment.address + segment.offset
    }
}

/// Bounds-checked little-endian reads from a file's bytes: out of range reads 0.
public struct ELFReader {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public func u16(_ at: Int) -> Int { at >= 0 && at <= bytes.count - 2 ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : 0 }
    public func u32(_ at: Int) -> UInt64 { at >= 0 && at <= bytes.count - 4 ? (0..<4).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } : 0 }
    public func u64(_ at: Int) -> UInt64 { at >= 0 && at <= bytes.count - 8 ? (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } : 0 }
    /// A file offset or size as an Int, or nil when it points past the file.
    public func inFile(_ v: UInt64) -> Int? { v <= UInt64(bytes.count) ? Int(v) : nil }

    /// The NUL-terminated string `at` bytes into a string table section.
    public func string(in table: ELFSections.Section, at: Int) -> String? {
        guard at >= 0, at < table.size else { return nil }
        let start = table.offset + at
        var end = start
        while end < table.offset + table.size && bytes[end] != 0 { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// A NUL-terminated string from `at`, not past `limit`; and where it ends.
    public func cString(_ at: Int, limit: Int) -> (String, next: Int)? {
        guard at >= 0, at < min(limit, bytes.count) else { return nil }
        var end = at
        while end < min(limit, bytes.count) && bytes[end] != 0 { end += 1 }
        guard end < min(limit, bytes.count) else { return nil }
        return (String(decoding: bytes[at..<end], as: UTF8.self), end + 1)
    }
}
