/// One argument of a USDT probe, as its `.note.stapsdt` entry describes it
/// (`-4@%edi`, `8@$5`, `-8@16(%rbp)`, `4@8(%rax,%rdx,4)`, `8@sym(%rip)`):
/// where the value is when the probe fires, and its size and signedness.
public struct USDTArgument: Sendable, Equatable {
    public enum Location: Sendable, Equatable {
        /// A register: its byte offset in x86_64's pt_regs, and the byte within
        /// it where the value starts (1 for ah, bh, ch, dh; else 0).
        case register(offset: Int, byte: Int)
        case constant(Int64)
        /// Memory at base + index × scale + displacement (registers as pt_regs offsets).
        case memory(base: Int, index: Int?, scale: Int, displacement: Int64)
        /// Memory at a symbol's address plus displacement: `sym+8(%rip)`.
        /// `address` is the symbol's address in the file; the probe's own
        /// address tells the load bias at run time.
        case ripRelative(address: UInt64, displacement: Int64)
    }

    public var location: Location
    /// 1, 2, 4 or 8 bytes.
    public var size: Int
    public var signed: Bool

    public init(location: Location, size: Int, signed: Bool) {
        self.location = location
        self.size = size
        self.signed = signed
    }

    /// Parses one argument spec; `symbol` finds a name's address (for
    /// rip-relative operands). nil for what it cannot read, with the reason.
    public static func parse(_ spec: Substring, symbol: (String) -> UInt64? = { _ in nil }) -> Result<USDTArgument, USDTArgumentError> {
        guard let at = spec.firstIndex(of: "@") else { return .failure(.init(spec: String(spec), reason: "no size")) }
        var sizeText = spec[..<at]
        let signed = sizeText.hasPrefix("-")
        if signed { sizeText = sizeText.dropFirst() }
        guard let size = Int(sizeText), [1, 2, 4, 8].contains(size) else { return .failure(.init(spec: String(spec), reason: "size '\(spec[..<at])'")) }
        let operand = spec[spec.index(after: at)...]
        func fail(_ why: String) -> Result<USDTArgument, USDTArgumentError> { .failure(.init(spec: String(spec), reason: why)) }
        if operand.hasPrefix("$") {
            guard let v = integer(operand.dropFirst()) else { return fail("constant '\(operand)'") }
            return .success(USDTArgument(location: .constant(v), size: size, signed: signed))
        }
        if operand.hasPrefix("%") {
            guard let (offset, byte) = register(operand.dropFirst()) else { return fail("register '\(operand)'") }
            return .success(USDTArgument(location: .register(offset: offset, byte: byte), size: size, signed: signed))
        }
        // DISPLACEMENT(%base[,%index[,scale]]), the displacement a number or symbol[+-number].
        guard let open = operand.firstIndex(of: "("), operand.hasSuffix(")") else { return fail("operand '\(operand)'") }
        let displacementText = operand[..<open]
        let inner = operand[operand.index(after: open)..<operand.index(before: operand.endIndex)].split(separator: ",", omittingEmptySubsequences: false)
        guard let first = inner.first, first.hasPrefix("%") else { return fail("operand '\(operand)'") }
        if first == "%rip" {
            var name = displacementText, extra: Int64 = 0
            if let sign = displacementText.lastIndex(where: { $0 == "+" || $0 == "-" }), sign != displacementText.startIndex,
               let n = integer(displacementText[sign...]) {
                name = displacementText[..<sign]
                extra = n
            }
            guard let address = symbol(String(name)) else { return fail("symbol '\(name)'") }
            return .success(USDTArgument(location: .ripRelative(address: address, displacement: extra), size: size, signed: signed))
        }
        guard case let (base, 0)? = register(first.dropFirst()) else { return fail("register '\(first)'") }
        let displacement = displacementText.isEmpty ? 0 : integer(displacementText)
        guard let displacement else { return fail("displacement '\(displacementText)'") }
        var index: Int?
        var scale = 1
        if inner.count >= 2 {
            guard inner[1].hasPrefix("%"), case let (i, 0)? = register(inner[1].dropFirst()) else { return fail("index '\(inner[1])'") }
            index = i
            if inner.count == 3 {
                guard let s = Int(inner[2]), [1, 2, 4, 8].contains(s) else { return fail("scale '\(inner[2])'") }
                scale = s
            }
        }
        return .success(USDTArgument(location: .memory(base: base, index: index, scale: scale, displacement: displacement), size: size, signed: signed))
    }

    /// `-16`, `0x10`, `+8`.
    static func integer(_ s: Substring) -> Int64? {
        var text = s
        var negative = false
        if text.hasPrefix("-") { negative = true; text = text.dropFirst() } else if text.hasPrefix("+") { text = text.dropFirst() }
        let magnitude = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let magnitude else { return nil }
        return negative ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
    }

    /// x86_64 register names, at every width, as pt_regs offsets.
    static func register(_ name: Substring) -> (offset: Int, byte: Int)? {
        let legacy: [(offset: Int, names: [String])] = [
            (80, ["rax", "eax", "ax", "al"]), (40, ["rbx", "ebx", "bx", "bl"]), (88, ["rcx", "ecx", "cx", "cl"]),
            (96, ["rdx", "edx", "dx", "dl"]), (104, ["rsi", "esi", "si", "sil"]), (112, ["rdi", "edi", "di", "dil"]),
            (32, ["rbp", "ebp", "bp", "bpl"]), (152, ["rsp", "esp", "sp", "spl"]),
        ]
        for r in legacy where r.names.contains(String(name)) { return (r.offset, 0) }
        let high = ["ah": 80, "bh": 40, "ch": 88, "dh": 96]
        if let offset = high[String(name)] { return (offset, 1) }
        // r8 … r15, with d, w or b suffixes.
        guard name.hasPrefix("r"), let n = Int(name.dropFirst().prefix { $0.isNumber }), (8...15).contains(n) else { return nil }
        let suffix = name.dropFirst().drop { $0.isNumber }
        guard ["", "d", "w", "b"].contains(suffix) else { return nil }
        let offsets = [8: 72, 9: 64, 10: 56, 11: 48, 12: 24, 13: 16, 14: 8, 15: 0]
        return (offsets[n]!, 0)
    }
}

/// An argument spec Auger cannot read: the spec and what about it.
public struct USDTArgumentError: Error, Sendable, Equatable {
    public var spec: String
    public var reason: String
}
