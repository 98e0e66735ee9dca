import AugerCompiler
import AugerScript

/// A printf call prepared once, so each record is formatted without
/// rebuilding the format. Plain conversions (%d of an integer, %s of a
/// string) write straight from the record's bytes; steps hold no references,
/// so rendering does no reference counting.
final class PrintfPlan {
    enum Step {
        /// Literal bytes: `text[start..<start+count]`.
        case text(start: Int, count: Int)
        /// %d or %i: a word at `offset`, sign- or zero-extended from `bits`.
        case decimal(offset: Int, bits: Int, signed: Bool)
        /// %s of a string of at most `size` bytes.
        case string(offset: Int, size: Int)
        /// Anything else, by index into `general`.
        case general(Int)
    }
    let steps: [Step]
    let text: [UInt8]
    let general: [(FormatString.Conversion, SType, Int)]

    /// `truncatedStrings`: the capacity of strings that may print with a trailer (the decoder's work).
    init(_ call: FormattedCall, truncatedStrings: Int? = nil) {
        var steps: [Step] = [], text: [UInt8] = [], general: [(FormatString.Conversion, SType, Int)] = []
        var arg = 0
        for piece in call.format.pieces {
            switch piece {
            case .text(let bytes):
                steps.append(.text(start: text.count, count: bytes.count))
                text += bytes
            case .conversion(let c):
                guard arg < call.argumentTypes.count else { continue }
                let t = call.argumentTypes[arg], off = call.offsets[arg]
                arg += 1
                let plain = c.flags.isEmpty && c.width == nil && c.precision == nil
                if plain && (c.specifier == "d" || c.specifier == "i") && t.isInteger {
                    // A shorter length modifier (%hhd) reads fewer bits, signed, as C does.
                    if let b = PrintfFormatter.lengthBits(c.length), (t.byteSize ?? 8) * 8 > b {
                        steps.append(.decimal(offset: off, bits: b, signed: true))
                    } else if case .integer(let bits, let signed) = t {
                        steps.append(.decimal(offset: off, bits: bits, signed: signed))
                    } else {
                        steps.append(.decimal(offset: off, bits: 64, signed: false))
                    }
                } else if plain && c.specifier == "s", case .string(let n) = t, n != truncatedStrings {
                    steps.append(.string(offset: off, size: n))
                } else {
                    steps.append(.general(general.count))
                    general.append((c, t, off))
                }
            }
        }
        self.steps = steps
        self.text = text
        self.general = general
    }

    func render(_ record: UnsafeRawBufferPointer, _ formatter: PrintfFormatter, into out: OutputSink) {
        var slice: ArraySlice<UInt8>? // made only for the general steps
        text.withUnsafeBytes { literal in
            for step in steps {
                switch step {
                case .text(let start, let count):
                    out.append(UnsafeRawBufferPointer(rebasing: literal[start..<start + count]))
                case .decimal(let off, let bits, let signed):
                    var w: UInt64 = 0
                    for i in 0..<min(8, max(0, record.count - off)) { w |= UInt64(record[off + i]) << UInt64(8 * i) }
                    let v: Int64
                    if bits >= 64 {
                        v = Int64(bitPattern: w)
                    } else if signed {
                        let shift = UInt64(64 - bits)
                        v = (Int64(bitPattern: w) << shift) >> shift
                    } else {
                        v = Int64(bitPattern: w & ((1 << UInt64(bits)) - 1))
                    }
                    if bits >= 64 && !signed && v < 0 { out.write(String(w)) } else { out.appendDecimal(v) }
                case .string(let off, let size):
                    let end = min(record.count, off + size)
                    guard off < end else { break }
                    var stop = off
                    while stop < end && record[stop] != 0 { stop += 1 }
                    out.append(UnsafeRawBufferPointer(rebasing: record[off..<stop]))
                case .general(let index):
                    if slice == nil { slice = Array(record)[...] }
                    let (c, t, off) = general[index]
                    out.write(formatter.convert(c, t, slice!.dropFirst(off)))
                }
            }
        }
    }
}
