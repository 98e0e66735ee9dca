/// An ELF file's debugging sections as the DWARF readers see them: one byte
/// array and where each section lies in it. Compressed sections
/// (SHF_COMPRESSED with zlib, or the older `.zdebug_*` form) are inflated
/// and appended after the file's own bytes, so every reader keeps working
/// on offsets into one array.
public struct DebugSections: Sendable {
    public let bytes: [UInt8]
    let sections: [String: ELFSections.Section]
    /// Sections that could not be inflated, and why: for a warning naming the file.
    public let problems: [String]

    public init?(elf bytes: [UInt8]) {
        guard let elf = ELFSections(bytes: bytes) else { return nil }
        self.init(elf, bytes)
    }

    init(_ elf: ELFSections, _ fileBytes: [UInt8]) {
        var bytes = fileBytes
        var sections: [String: ELFSections.Section] = [:]
        var problems: [String] = []
        let r = ELFReader(bytes: fileBytes)
        for var section in elf.sections where section.name.hasPrefix(".debug_") || section.name.hasPrefix(".zdebug_") {
            let contents = fileBytes[section.offset..<section.offset + section.size]
            var inflated: [UInt8]?
            if section.flags & 0x800 != 0 {  // SHF_COMPRESSED: an Elf64_Chdr first
                let type = r.u32(section.offset), size = r.u64(section.offset + 8)
                guard section.size >= 24 else { continue }
                guard type == 1 else {
                    problems.append("\(section.name) is compressed with \(type == 2 ? "zstd" : "type \(type)"), which Auger does not read")
                    continue
                }
                inflated = DebugSections.inflate(contents.dropFirst(24), size: size, section.name, &problems)
                guard inflated != nil else { continue }
            } else if section.name.hasPrefix(".zdebug_") {  // "ZLIB", then the size big-endian
                guard section.size >= 12, Array(contents.prefix(4)) == Array("ZLIB".utf8) else { continue }
                let size = contents.dropFirst(4).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                inflated = DebugSections.inflate(contents.dropFirst(12), size: size, section.name, &problems)
                guard inflated != nil else { continue }
                section.name = "." + section.name.dropFirst(2)
            }
            if let inflated {
                section.offset = bytes.count
                section.size = inflated.count
                bytes += inflated
            }
            if sections[section.name] == nil { sections[section.name] = section }
        }
        self.bytes = bytes
        self.sections = sections
        self.problems = problems
    }

    private static func inflate(_ stream: ArraySlice<UInt8>, size: UInt64, _ name: String, _ problems: inout [String]) -> [UInt8]? {
        // The size is the file's claim: bounded like any file Auger reads whole.
        guard size <= UInt64(ELFSymbols.maxFileSize) else {
            problems.append("\(name) claims to inflate to \(size) bytes")
            return nil
        }
        do {
            return try Inflate.zlib(stream, size: Int(size))
        } catch {
            problems.append("\(name) does not inflate: \(error.reason)")
            return nil
        }
    }

    public func named(_ name: String) -> ELFSections.Section? { sections[name] }
}

extension ELFSections {
    /// `.gnu_debuglink`: the name of the file holding this one's debugging
    /// sections, and the CRC-32 of that file's bytes.
    public static func debugLink(_ bytes: [UInt8]) -> (name: String, crc: UInt32)? {
        guard let elf = ELFSections(bytes: bytes), let link = elf.named(".gnu_debuglink") else { return nil }
        let r = ELFReader(bytes: bytes)
        guard let (name, next) = r.cString(link.offset, limit: link.offset + link.size), !name.isEmpty, !name.contains("/") else { return nil }
        let crcAt = (next - link.offset + 3) / 4 * 4 + link.offset
        guard crcAt + 4 <= link.offset + link.size else { return nil }
        return (name, UInt32(r.u32(crcAt)))
    }

    /// CRC-32 (ISO 3309, as zlib and `.gnu_debuglink` compute it).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for b in bytes {
            crc = crc32Table[Int((crc ^ UInt32(b)) & 0xff)] ^ (crc >> 8)
        }
        return ~crc
    }

    static let crc32Table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
    }
}
