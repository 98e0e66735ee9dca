import BPF

/// Hand-assembled programs shared by the kernel tests.
enum Programs {
    /// Adds 1 to the u64 at key 0 of array map `map` when the calling
    /// process is `pid`. `contextCheck` may skip events by inspecting r6 (the
    /// context); it jumps to "out" to skip.
    static func countCalls(pid: Int32, map: String = "counts", contextCheck: (inout Assembler) -> Void = { _ in }) throws -> Assembled {
        var a = Assembler()
        a.emit(.mov(.r6, .r1))
        contextCheck(&a)
        a.emit(.call(.getCurrentPidTgid), .alu64(.rsh, .r0, 32))
        a.jump(.jne, .r0, pid, to: "out")
        incrementAndExit(&a, map)
        return try a.assemble()
    }

    /// Adds 1 to the u64 at key 0 of array map `counts` on every event.
    static func countEvents() throws -> Assembled {
        var a = Assembler()
        incrementAndExit(&a, "counts")
        return try a.assemble()
    }

    /// `map[0] += 1`, then the "out" label and `return 0`.
    static func incrementAndExit(_ a: inout Assembler, _ map: String) {
        a.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
        a.loadMap(.r1, map)
        a.emit(.call(.mapLookupElem))
        a.jump(.jeq, .r0, 0, to: "out")
        a.emit(.mov(.r1, 1), .atomic(.add, .u64, .r0, 0, .r1))
        a.label("out")
        a.emit(.mov(.r0, 0), .exit)
    }

    static func counter(_ name: String = "counts") throws -> Map {
        try Map(MapSpec(name: name, type: .array, keySize: 4, valueSize: 8, maxEntries: 1))
    }
}
