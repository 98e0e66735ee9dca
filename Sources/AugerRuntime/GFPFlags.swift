/// printf's `%gr`: page allocation (GFP) flags by name, as the kernel's
/// `%pGg` prints them: the composite GFP_* names that fit first, then single
/// __GFP_* bits, then what is left in hex. Bit positions come from the
/// kernel's BTF (`___GFP_DMA_BIT`…), so they are this kernel's.
struct GFPFlags: Sendable {
    let names: [(mask: UInt64, name: String)]

    /// The single flags, in the kernel's order for names.
    static let bits = [
        "DMA", "HIGHMEM", "DMA32", "HIGH", "IO", "FS", "ZERO", "DIRECT_RECLAIM", "KSWAPD_RECLAIM", "WRITE", "NOWARN",
        "RETRY_MAYFAIL", "NOFAIL", "NORETRY", "MEMALLOC", "COMP", "NOMEMALLOC", "HARDWALL", "THISNODE", "RECLAIMABLE",
        "MOVABLE", "ACCOUNT", "ZEROTAGS", "SKIP_ZERO", "SKIP_KASAN", "NOLOCKDEP", "NO_OBJ_EXT",
    ]

    /// nil where the kernel's BTF has no `___GFP_*_BIT` constants (before 6.10 they were macros).
    init?(bit: (String) -> Int64?) {
        var flag: [String: UInt64] = [:]
        for name in Self.bits {
            if let b = bit("___GFP_\(name)_BIT"), b >= 0, b < 64 { flag[name] = 1 << UInt64(b) }
        }
        guard flag["DMA"] != nil, flag["IO"] != nil else { return nil }
        func f(_ names: String...) -> UInt64 { names.reduce(0) { $0 | (flag[$1] ?? 0) } }
        let reclaim = f("DIRECT_RECLAIM", "KSWAPD_RECLAIM")
        let user = reclaim | f("IO", "FS", "HARDWALL")
        let highuserMovable = user | f("HIGHMEM", "MOVABLE", "SKIP_KASAN")
        let transhugeLight = (highuserMovable | f("COMP", "NOMEMALLOC", "NOWARN")) & ~reclaim
        let kernel = reclaim | f("IO", "FS")
        var names: [(UInt64, String)] = [
            (transhugeLight | f("DIRECT_RECLAIM"), "GFP_TRANSHUGE"), (transhugeLight, "GFP_TRANSHUGE_LIGHT"),
            (highuserMovable, "GFP_HIGHUSER_MOVABLE"), (user | f("HIGHMEM"), "GFP_HIGHUSER"), (user, "GFP_USER"),
            (kernel | f("ACCOUNT"), "GFP_KERNEL_ACCOUNT"), (kernel, "GFP_KERNEL"), (reclaim | f("IO"), "GFP_NOFS"),
            (f("HIGH", "KSWAPD_RECLAIM"), "GFP_ATOMIC"), (reclaim, "GFP_NOIO"), (f("KSWAPD_RECLAIM"), "GFP_NOWAIT"),
            (f("DMA"), "GFP_DMA"), (f("HIGHMEM"), "__GFP_HIGHMEM"), (f("DMA32"), "GFP_DMA32"),
        ]
        names += Self.bits.dropFirst(3).compactMap { name in flag[name].map { ($0, "__GFP_" + name) } }
        self.names = names.filter { $0.0 != 0 }
    }

    func text(_ flags: UInt64) -> String {
        var left = flags, parts: [String] = []
        for (mask, name) in names where left & mask == mask {
            parts.append(name)
            left &= ~mask
        }
        if left != 0 || parts.isEmpty { parts.append("0x" + String(left, radix: 16)) }
        return parts.joined(separator: "|")
    }
}
