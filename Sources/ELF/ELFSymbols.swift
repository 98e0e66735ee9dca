#if canImport(Glibc)
import Glibc
#endif

/// The function symbols of one ELF64 little-endian file.
public struct ELFSymbols {
    /// (address, size, name), sorted by address.
    public let functions: [(UInt64, UInt64, String)]
    /// Data symbols (variables) by name: their addresses.
    public let objects: [String: (address: UInt64, size: UInt64)]
    /// ET_DYN: loaded at an address of the kernel's choosing (PIE executables, libraries).
    public let positionIndependent: Bool
    /// Loadable segments: file offset, size in the file, virtual address.
    public let segments: [(offset: UInt64, size: UInt64, address: UInt64)]

    /// Larger files are not read: a symbol table is never this big, and a
    /// path may name /dev/zero.
    public static let maxFileSize = 1 << 30

    public init?(path: String) {
        guard let bytes = ELFSections.regularFileBytes(path) else { return nil }
        self.init(bytes: bytes)
    }

    /// Parses ELF64 little-endian bytes (ELFSections checks every offset, so
    /// a hostile header gives no symbols, never a trap).
    public init?(bytes fileBytes: [UInt8]) { self.init(bytes: fileBytes, debugFile: nil) }

    /// With a stripped file's debug file (`objcopy --only-keep-debug`), whose
    /// full symbol table serves when the file itself kept only .dynsym.
    public init?(bytes fileBytes: [UInt8], debugFile: [UInt8]?) {
        guard let file = ELFSections(bytes: fileBytes) else { return nil }
        var elf = file, bytes = fileBytes
        if !file.sections.contains(where: { $0.type == 2 }), let debugFile, let debug = ELFSections(bytes: debugFile),
           debug.sections.contains(where: { $0.type == 2 }) {
            (elf, bytes) = (debug, debugFile)
        }
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
        self.positionIndependent = ELFReader(bytes: fileBytes).u16(16) == 3
        self.segments = file.segments
    }

    /// Where a function starts in the file (what a uprobe takes), or nil.
    public func fileOffset(ofFunction name: String) -> UInt64? {
        function(named: name).flatMap { fileOffset(ofAddress: $0.address) }
    }

    /// A function's address and size by name (a sized definition first: a
    /// name may also appear as a zero-sized alias).
    public func function(named name: String) -> (address: UInt64, size: UInt64)? {
        let all = functions.filter { $0.2 == name }
        guard let f = all.first(where: { $0.1 > 0 }) ?? all.first else { return nil }
        return (f.0, f.1)
    }

    /// A variable's or function's address in the file, by name.
    public func address(ofObjectOrFunction name: String) -> UInt64? {
        objects[name]?.address ?? function(named: name)?.address
    }

    /// The file offset of a virtual address in a loadable segment.
    public func fileOffset(ofAddress address: UInt64) -> UInt64? {
        guard let segment = segments.first(where: { $0.address <= address && address < $0.address + $0.size }) else { return nil }
        return address - segment.address + segment.offset
    }

    /// Each function name once (its sized definition), sorted by name: what
    /// wildcards match and listings print.
    public var uniqueFunctions: [(name: String, address: UInt64, size: UInt64)] {
        var best: [String: (UInt64, UInt64)] = [:]
        for (address, size, name) in functions where best[name] == nil || (best[name]!.1 == 0 && size > 0) { best[name] = (address, size) }
        return best.map { (name: $0.key, address: $0.value.0, size: $0.value.1) }.sorted { $0.name < $1.name }
    }

    /// The function at a file offset, with the offset into it.
    public func symbol(atFileOffset offset: UInt64) -> (String, UInt64)? {
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
