/// A USDT marker (SystemTap's SDT notes, which DTrace-style USDT compiles
/// to on Linux): a `nop` at `address` with an ELF note naming it.
public struct USDTMarker: Equatable {
    public var provider: String
    public var name: String
    /// The nop's address, as the file places it.
    public var address: UInt64
    /// The is-enabled counter's address (0: the marker has none).
    public var semaphore: UInt64
    /// `-4@%edi 8@$5 …`: where each argument is when the marker is reached.
    public var arguments: String

    public init(provider: String, name: String, address: UInt64, semaphore: UInt64, arguments: String) {
        (self.provider, self.name, self.address, self.semaphore, self.arguments) = (provider, name, address, semaphore, arguments)
    }
}

/// Reads `.note.stapsdt`: each note (owner "stapsdt", type 3) holds the
/// marker's address, the link-time address of `.stapsdt.base`, the
/// semaphore's address, then provider, name and argument specs as strings.
public enum USDTNotes {
    public static func markers(in bytes: [UInt8]) -> [USDTMarker] {
        guard let elf = ELFSections(bytes: bytes), let notes = elf.named(".note.stapsdt"), notes.type == 7 else { return [] }
        let r = ELFReader(bytes: bytes)
        // Prelinking moves .stapsdt.base; addresses in notes move with it.
        let base = elf.named(".stapsdt.base")?.address
        var out: [USDTMarker] = []
        var at = notes.offset
        let end = notes.offset + notes.size
        while at + 12 <= end {
            let nameSize = Int(r.u32(at)), descSize = Int(r.u32(at + 4)), type = r.u32(at + 8)
            let nameAt = at + 12
            let descAt = nameAt + (nameSize + 3) / 4 * 4
            let next = descAt + (descSize + 3) / 4 * 4
            guard nameSize < 1 << 16, descSize < 1 << 16, next <= end, next > at else { break }
            defer { at = next }
            guard type == 3, r.cString(nameAt, limit: descAt)?.0 == "stapsdt", descSize >= 24 else { continue }
            let limit = descAt + descSize
            var address = r.u64(descAt), semaphore = r.u64(descAt + 16)
            let linkBase = r.u64(descAt + 8)
            if let base, linkBase != 0 {
                address = address &+ base &- linkBase
                if semaphore != 0 { semaphore = semaphore &+ base &- linkBase }
            }
            guard let (provider, afterProvider) = r.cString(descAt + 24, limit: limit),
                  let (name, afterName) = r.cString(afterProvider, limit: limit) else { continue }
            let arguments = r.cString(afterName, limit: limit)?.0 ?? ""
            out.append(USDTMarker(provider: provider, name: name, address: address, semaphore: semaphore, arguments: arguments))
        }
        return out
    }

    /// The markers of a file (nil when it is not a readable ELF file).
    public static func markers(path: String) -> (markers: [USDTMarker], elf: ELFSections, symbols: ELFSymbols?)? {
        guard let bytes = ELFSections.regularFileBytes(path), let elf = ELFSections(bytes: bytes) else { return nil }
        return (markers(in: bytes), elf, ELFSymbols(bytes: bytes))
    }
}

