/// A printf format string split into literal text and conversions, as
/// bpftrace's printf, system, cat and errorf accept them.
public struct FormatString: Hashable, Sendable {
    public enum Piece: Hashable, Sendable {
        case text([UInt8])
        case conversion(Conversion)
    }

    public struct Conversion: Hashable, Sendable {
        /// `-`, `+`, ` `, `#`, `0` as written.
        public var flags: String
        public var width: Int?
        public var precision: Int?
        /// `hh`, `h`, `l`, `ll`, `z`, `j`, `t` or empty.
        public var length: String
        /// `d i u x X o c s p` or `r`, `rx`, `rh` for buffers.
        public var specifier: String

        /// What kind of value it prints.
        public var takes: ValueKind {
            switch specifier {
            case "s": .string
            case "r", "rx", "rh": .buffer
            case "c": .character
            case "p": .pointer
            default: .integer
            }
        }
    }

    public enum ValueKind: Hashable, Sendable { case integer, string, buffer, character, pointer }

    public var pieces: [Piece]

    public var conversions: [Conversion] {
        pieces.compactMap { if case .conversion(let c) = $0 { c } else { nil } }
    }

    /// The format for the kernel's printk-style helpers: integer conversions
    /// without a length take 64-bit values (`%d` becomes `%lld`).
    public var kernelText: String {
        pieces.map { piece -> String in
            switch piece {
            case .text(let bytes): return String(decoding: bytes, as: UTF8.self).replacingPercent()
            case .conversion(let c):
                let length = c.length.isEmpty && "diuxXo".contains(c.specifier) ? "ll" : c.length
                return "%" + c.flags + (c.width.map(String.init) ?? "") + (c.precision.map { "." + String($0) } ?? "") + length + c.specifier
            }
        }.joined()
    }

    /// Parses `bytes`; the error names what is wrong with the first bad conversion.
    /// Text printed as it is: no conversions.
    public init(literal text: String) {
        pieces = [.text(Array(text.utf8))]
    }

    public init(_ bytes: [UInt8]) throws(FormatError) {
        pieces = []
        var text: [UInt8] = []
        var i = 0
        func at(_ j: Int) -> UInt8 { j < bytes.count ? bytes[j] : 0 }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else { text.append(bytes[i]); i += 1; continue }
            if at(i + 1) == UInt8(ascii: "%") { text.append(bytes[i]); i += 2; continue }
            let start = i
            i += 1
            var flags = ""
            while "-+ #0".utf8.contains(at(i)) { flags.append(Character(UnicodeScalar(at(i)))); i += 1 }
            var width: Int? = nil
            while at(i) >= 48 && at(i) <= 57 { width = min((width ?? 0) * 10 + Int(at(i) - 48), 1 << 20); i += 1 }
            var precision: Int? = nil
            if at(i) == UInt8(ascii: ".") {
                i += 1
                precision = 0
                while at(i) >= 48 && at(i) <= 57 { precision = min(precision! * 10 + Int(at(i) - 48), 1 << 20); i += 1 }
            }
            var length = ""
            while "hlzjtL".utf8.contains(at(i)) && length.count < 2 { length.append(Character(UnicodeScalar(at(i)))); i += 1 }
            let c = at(i)
            var specifier: String
            switch c {
            case UInt8(ascii: "d"), UInt8(ascii: "i"), UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "X"),
                 UInt8(ascii: "o"), UInt8(ascii: "c"), UInt8(ascii: "s"), UInt8(ascii: "p"):
                specifier = String(Character(UnicodeScalar(c)))
                i += 1
            case UInt8(ascii: "g") where at(i + 1) == UInt8(ascii: "r"):
                // %gr: GFP flags, printed symbolically.
                specifier = "gr"
                i += 2
            case UInt8(ascii: "r"):
                specifier = "r"
                i += 1
                if at(i) == UInt8(ascii: "x") || at(i) == UInt8(ascii: "h") { specifier.append(Character(UnicodeScalar(at(i)))); i += 1 }
            default:
                let written = String(decoding: bytes[start..<min(i + 1, bytes.count)], as: UTF8.self)
                throw FormatError(message: c == 0 ? "format string ends inside a conversion: '\(written)'" : "invalid format specifier '\(written)'")
            }
            if !text.isEmpty { pieces.append(.text(text)); text = [] }
            pieces.append(.conversion(Conversion(flags: flags, width: width, precision: precision, length: length, specifier: specifier)))
        }
        if !text.isEmpty { pieces.append(.text(text)) }
    }
}

public struct FormatError: Error, Hashable, Sendable {
    public var message: String
}

extension String {
    /// A literal percent sign, written again as printf reads it.
    func replacingPercent() -> String { split(separator: "%", omittingEmptySubsequences: false).joined(separator: "%%") }
}
