import AugerCompiler
import AugerScript

/// Formats printf records the way C's printf (and so bpftrace's) would.
struct PrintfFormatter {
    let decoder: ValueDecoder

    func format(_ call: FormattedCall, _ record: ArraySlice<UInt8>) -> String {
        var out = ""
        var arg = 0
        for piece in call.format.pieces {
            switch piece {
            case .text(let bytes):
                out += String(decoding: bytes, as: UTF8.self)
            case .conversion(let c):
                guard arg < call.argumentTypes.count else { break }
                let t = call.argumentTypes[arg]
                let bytes = record.dropFirst(call.offsets[arg])
                out += convert(c, t, bytes)
                arg += 1
            }
        }
        return out
    }

    func convert(_ c: FormatString.Conversion, _ t: SType, _ bytes: ArraySlice<UInt8>) -> String {
        let body: String
        var numeric = true
        switch c.specifier {
        case "d", "i":
            let w = decoder.word(bytes)
            var v: Int128 = t.isInteger ? decoder.integer(w, t) : Int128(Int64(bitPattern: w))
            if let bits = Self.lengthBits(c.length), t.byteSize.map({ $0 * 8 > bits }) ?? true {
                let shift = UInt64(64 - bits)
                v = Int128((Int64(bitPattern: w) << shift) >> shift)
            }
            body = digits(String(v < 0 ? -v : v), c.precision, negative: v < 0, c.flags)
        case "u": body = digits(String(unsignedValue(t, bytes, c.length)), c.precision, negative: false, c.flags)
        case "x": body = (c.flags.contains("#") ? "0x" : "") + digits(String(unsignedValue(t, bytes, c.length), radix: 16), c.precision, negative: false, "")
        case "X": body = (c.flags.contains("#") ? "0X" : "") + digits(String(unsignedValue(t, bytes, c.length), radix: 16).uppercased(), c.precision, negative: false, "")
        case "o": body = digits(String(unsignedValue(t, bytes, c.length), radix: 8), c.precision, negative: false, "")
        case "p": body = "0x" + String(decoder.word(bytes), radix: 16)
        case "r", "rx", "rh":
            numeric = false
            if case .buffer(let n) = t { body = decoder.bufferText(bytes, n, style: c.specifier) } else { body = decoder.text(t, bytes) }
        case "gr":
            numeric = false
            let flags = unsignedValue(t, bytes, "l")
            body = decoder.gfpFlags?.text(flags) ?? "0x" + String(flags, radix: 16)
        case "c":
            numeric = false
            body = String(UnicodeScalar(UInt8(truncatingIfNeeded: decoder.word(bytes))))
        default:
            numeric = false
            var s = decoder.text(t, bytes)
            if let p = c.precision, s.count > p { s = String(s.prefix(p)) }
            body = s
        }
        return pad(body, c, numeric: numeric)
    }

    func unsignedValue(_ t: SType, _ bytes: ArraySlice<UInt8>, _ length: String = "l") -> UInt64 {
        var w = decoder.word(bytes)
        // As C promotes a narrower argument: signed ones sign-extend, unsigned ones zero-extend.
        if case .integer(let bits, let signed) = t, bits < 64 {
            let shift = UInt64(64 - bits)
            w = signed ? UInt64(bitPattern: (Int64(bitPattern: w) << shift) >> shift) : w & ((1 << UInt64(bits)) - 1)
        }
        if let bits = Self.lengthBits(length) { w &= (1 << UInt64(bits)) - 1 }
        return w
    }

    /// Bits C's printf reads for a length modifier: `hh` 8, `h` 16, none 32;
    /// nil for the 64-bit ones (l, ll, z, j, t).
    static func lengthBits(_ length: String) -> Int? {
        switch length {
        case "hh": 8
        case "h": 16
        case "": 32
        default: nil
        }
    }

    func digits(_ magnitude: String, _ precision: Int?, negative: Bool, _ flags: String) -> String {
        var s = magnitude
        if let p = precision, s.count < p { s = String(repeating: "0", count: p - s.count) + s }
        if negative { return "-" + s }
        if flags.contains("+") { return "+" + s }
        if flags.contains(" ") { return " " + s }
        return s
    }

    func pad(_ s: String, _ c: FormatString.Conversion, numeric: Bool) -> String {
        guard let width = c.width, s.count < width else { return s }
        let fill = width - s.count
        if c.flags.contains("-") { return s + String(repeating: " ", count: fill) }
        if numeric && c.flags.contains("0") && c.precision == nil {
            let sign = s.first.map { "+- ".contains($0) } == true ? String(s.first!) : ""
            return sign + String(repeating: "0", count: fill) + s.dropFirst(sign.count)
        }
        return String(repeating: " ", count: fill) + s
    }
}
