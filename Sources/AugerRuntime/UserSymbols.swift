import BPF
#if canImport(Glibc)
import Glibc
#endif

/// Names for user-space addresses: a process's mappings from /proc/PID/maps,
/// then the function symbols of the mapped ELF file (.symtab, else .dynsym).
/// Files and processes are read once and cached.
final class UserSymbols: @unchecked Sendable {
    struct Mapping {
        var start: UInt64, end: UInt64, offset: UInt64
        var path: String
    }
    private var processes: [Int32: [Mapping]] = [:]
    private var files: [String: ELFSymbols?] = [:]

    /// `name+offset`, or nil when the process, file or symbol is unknown.
    func symbolize(pid: Int32, _ address: UInt64) -> String? {
        function(pid: pid, address).map { "\($0.name)+\($0.offset)" }
    }

    /// The function an address of a process is in, and how far into it.
    func function(pid: Int32, _ address: UInt64) -> (name: String, offset: UInt64)? {
        guard let mapping = mappings(pid).first(where: { $0.start <= address && address < $0.end }) else { return nil }
        let fileOffset = address - mapping.start + mapping.offset
        // The file as we see it, else through /proc/PID/root (another mount
        // namespace), which lasts only as long as the process.
        let path = mapping.path
        if files[path] == nil { files[path] = ELFSymbols(path: path) ?? ELFSymbols(path: "/proc/\(pid)/root" + path) }
        guard let elf = files[path] ?? nil, let (name, start) = elf.symbol(atFileOffset: fileOffset) else { return nil }
        return (name, start)
    }

    /// The mapping (file) an address of a process is in.
    func mapping(pid: Int32, _ address: UInt64) -> Mapping? {
        mappings(pid).first { $0.start <= address && address < $0.end }
    }

    private var buildIDs: [String: String?] = [:]

    /// The GNU build-id of the file an address is in, and the address's offset in that file.
    func buildIDLocation(pid: Int32, _ address: UInt64) -> (String, UInt64)? {
        guard let m = mapping(pid: pid, address) else { return nil }
        if buildIDs[m.path] == nil {
            buildIDs[m.path] = (ELFSections.regularFileBytes(m.path) ?? ELFSections.regularFileBytes("/proc/\(pid)/root" + m.path)).flatMap(ELFSections.buildID)
        }
        guard let id = buildIDs[m.path] ?? nil else { return nil }
        return (id, address - m.start + m.offset)
    }

    /// Mappings the kernel reported as the process made them (MmapRecords):
    /// they name its addresses even after it has exited.
    func record(_ reported: [MmapRecords.Mapping]) {
        for m in reported where m.path.hasPrefix("/") {
            var list = processes[m.pid] ?? readMappings(m.pid)
            let mapping = Mapping(start: m.start, end: m.start + m.length, offset: m.offset, path: m.path)
            list.removeAll { $0.start < mapping.end && mapping.start < $0.end }
            list.append(mapping)
            processes[m.pid] = list
        }
    }

    /// Re-reads a process's mappings now, while it lives: its stacks are
    /// printed at exit, perhaps after it has gone (-c, -p).
    func remember(pid: Int32) {
        let fresh = readMappings(pid)
        if !fresh.isEmpty { processes[pid] = fresh }
    }

    func mappings(_ pid: Int32) -> [Mapping] {
        if let known = processes[pid] { return known }
        let list = readMappings(pid)
        processes[pid] = list
        return list
    }

    func readMappings(_ pid: Int32) -> [Mapping] {
        var list: [Mapping] = []
        if let text = try? readText("/proc/\(pid)/maps") {
            for line in text.split(separator: "\n") {
                // start-end perms offset dev inode path
                let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                guard fields.count == 6, fields[1].contains("x") else { continue }
                let path = String(fields[5].drop { $0 == " " })
                guard path.hasPrefix("/") else { continue }
                let range = fields[0].split(separator: "-")
                guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
                      let offset = UInt64(fields[2], radix: 16) else { continue }
                list.append(Mapping(start: start, end: end, offset: offset, path: path))
            }
        }
        return list
    }
}

/// The function symbols of one ELF64 little-endian file.
struct ELFSymbols {
    /// (address, size, name), sorted by address.
    let functions: [(UInt64, UInt64, String)]
    /// Data symbols (variables) by name: their addresses.
    let objects: [String: (address: UInt64, size: UInt64)]
    /// ET_DYN: loaded at an address of the kernel's choosing (PIE executables, libraries).
    let positionIndependent: Bool
    /// Loadable segments: file offset, size in the file, virtual address.
    let segments: [(offset: UInt64, size: UInt64, address: UInt64)]

    /// Larger files are not read: a symbol table is never this big, and a
    /// path may name /dev/zero.
    static let maxFileSize = 1 << 30

    init?(path: String) {
        // Only regular files: a FIFO or a device would block or never end.
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= Self.maxFileSize else { return nil }
        guard let bytes = try? readBytes(path) else { return nil }
        self.init(bytes: bytes)
    }

    /// Parses ELF64 little-endian bytes (ELFSections checks every offset, so
    /// a hostile header gives no symbols, never a trap).
    init?(bytes: [UInt8]) {
        guard let elf = ELFSections(bytes: bytes) else { return nil }
        let r = ELFReader(bytes: bytes)
        let sections = elf.sections
        // The full symbol table when present; stripped files keep only the dynamic one.
        let table = sections.first { $0.type == 2 } ?? sections.first { $0.type == 11 }
        var functions: [(UInt64, UInt64, String)] = []
        var objects: [String: (address: UInt64, size: UInt64)] = [:]
        if let table, table.entsize == 24, table.link < sections.count {
            let strings = sections[table.link]
            for i in 0..<(table.size / 24) {
                let s = table.offset + i * 24
                let type = bytes[s + 4] & 0xf
                guard type == 2 || type == 1 else { continue } // STT_FUNC, STT_OBJECT
                let value = r.u64(s + 8), size = r.u64(s + 16)
                guard value != 0, let nameOffset = Int(exactly: r.u32(s)), let name = r.string(in: strings, at: nameOffset), !name.isEmpty else { continue }
                if type == 2 { functions.append((value, size, name)) } else { objects[name] = (value, size) }
            }
        }
        guard !functions.isEmpty else { return nil }
        self.functions = functions.sorted { $0.0 < $1.0 }
        self.objects = objects
        self.positionIndependent = r.u16(16) == 3
        self.segments = elf.segments
    }

    /// Where a function starts in the file (what a uprobe takes), or nil.
    func fileOffset(ofFunction name: String) -> UInt64? {
        function(named: name).flatMap { fileOffset(ofAddress: $0.address) }
    }

    /// A function's address and size by name (a sized definition first: a
    /// name may also appear as a zero-sized alias).
    func function(named name: String) -> (address: UInt64, size: UInt64)? {
        let all = functions.filter { $0.2 == name }
        guard let f = all.first(where: { $0.1 > 0 }) ?? all.first else { return nil }
        return (f.0, f.1)
    }

    /// A variable's or function's address in the file, by name.
    func address(ofObjectOrFunction name: String) -> UInt64? {
        objects[name]?.address ?? function(named: name)?.address
    }

    /// The file offset of a virtual address in a loadable segment.
    func fileOffset(ofAddress address: UInt64) -> UInt64? {
        guard let segment = segments.first(where: { $0.address <= address && address < $0.address + $0.size }) else { return nil }
        return address - segment.address + segment.offset
    }

    /// Each function name once (its sized definition), sorted by name: what
    /// wildcards match and listings print.
    var uniqueFunctions: [(name: String, address: UInt64, size: UInt64)] {
        var best: [String: (UInt64, UInt64)] = [:]
        for (address, size, name) in functions where best[name] == nil || (best[name]!.1 == 0 && size > 0) { best[name] = (address, size) }
        return best.map { (name: $0.key, address: $0.value.0, size: $0.value.1) }.sorted { $0.name < $1.name }
    }

    /// The function at a file offset, with the offset into it.
    func symbol(atFileOffset offset: UInt64) -> (String, UInt64)? {
        guard let segment = segments.first(where: { $0.offset <= offset && offset < $0.offset + $0.size }) else { return nil }
        let address = offset - segment.offset + segment.address
        // The last function starting at or before the address.
        var lo = 0, hi = functions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if functions[mid].0 <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let (start, size, name) = functions[lo - 1]
        if size > 0 && address - start >= size { return nil }
        return (name, address - start)
    }
}
