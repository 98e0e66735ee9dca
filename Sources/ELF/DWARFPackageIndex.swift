/// The unit index of a DWARF package (.dwp, `.debug_cu_index`, DWARF 5 or
/// GNU's version 2): for a split unit's id, where its contribution to each
/// section starts and how long it is.
struct DWARFPackageIndex {
    let bytes: [UInt8]
    let section: ELFSections.Section

    init(_ bytes: [UInt8], _ section: ELFSections.Section) {
        self.bytes = bytes
        self.section = section
    }

    /// Offset and size by section id (1 info, 3 abbreviations, 6 string offsets), or nil without the unit.
    func contributions(of id: UInt64) -> [Int: (offset: Int, size: Int)]? {
        let r = ELFReader(bytes: bytes)
        let base = section.offset, end = section.offset + section.size
        guard section.size >= 16 else { return nil }
        let version = r.u32(base) & 0xffff, columns = Int(r.u32(base + 4)), rows = Int(r.u32(base + 8)), slots = Int(r.u32(base + 12))
        guard version == 5 || version == 2, columns > 0, columns <= 16, rows <= section.size, slots <= section.size else { return nil }
        let hashes = base + 16, indices = hashes + 8 * slots, headers = indices + 4 * slots
        let offsets = headers + 4 * columns, sizes = offsets + 4 * rows * columns
        guard sizes + 4 * rows * columns <= end, slots > 0 else { return nil }
        // Open addressing as the format defines it: start at the low bits, step by the next ones, odd.
        let mask = UInt64(slots - 1)
        var slot = id & mask
        let step = ((id >> 32) & mask) | 1
        for _ in 0..<slots {
            let row = Int(r.u32(indices + 4 * Int(slot)))
            if row == 0 { return nil }
            if r.u64(hashes + 8 * Int(slot)) == id {
                guard row <= rows else { return nil }
                var found: [Int: (offset: Int, size: Int)] = [:]
                for column in 0..<columns {
                    let cell = 4 * ((row - 1) * columns + column)
                    found[Int(r.u32(headers + 4 * column))] = (Int(r.u32(offsets + cell)), Int(r.u32(sizes + cell)))
                }
                return found
            }
            slot = (slot &+ step) & mask
        }
        return nil
    }
}
