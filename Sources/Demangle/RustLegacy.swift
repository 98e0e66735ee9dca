/// Rust's legacy mangling: an Itanium nested name of plain identifiers
/// whose last is `h` and a 16-digit hash, with `$..$` escapes for the
/// characters identifiers cannot hold. The hash is left out, as rustc's
/// own demangler does in its alternate form.
enum RustLegacy {
    static func demangle(_ symbol: String) -> String? {
        // `.llvm.1234`: LLVM's suffix for local copies (identifiers hold `..` themselves).
        var bytes = Array(symbol.utf8)
        let llvm = Array(".llvm.".utf8)
        if let cut = bytes.indices.first(where: { bytes[$0...].starts(with: llvm) }) { bytes = Array(bytes[..<cut]) }
        guard bytes.count > 4, bytes.starts(with: Array("_ZN".utf8)), bytes.last == UInt8(ascii: "E") else { return nil }
        var i = 3
        var parts: [String] = []
        while i < bytes.count - 1 {
            var length = 0
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                length = length * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                i += 1
                if length > bytes.count { return nil }
            }
            guard length > 0, i + length <= bytes.count - 1 else { return nil }
            parts.append(String(decoding: bytes[i..<i + length], as: UTF8.self))
            i += length
        }
        guard parts.count >= 2, let hash = parts.last, isHash(hash) else { return nil }
        var out: [String] = []
        for part in parts.dropLast() {
            guard let decoded = unescape(part) else { return nil }
            out.append(decoded)
        }
        return out.joined(separator: "::")
    }

    private static func isHash(_ s: String) -> Bool {
        s.utf8.count == 17 && s.hasPrefix("h") && s.utf8.dropFirst().allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    private static let escapes: [String: String] = [
        "SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(", "RP": ")", "C": ",",
    ]

    /// `$LT$` → `<`, `$u20$` → ` `, `..` → `::`, and the `_` put before a leading `$`.
    private static func unescape(_ part: String) -> String? {
        var s = Substring(part)
        if s.hasPrefix("_$") { s = s.dropFirst() }
        var out = ""
        while let c = s.first {
            if c == "$" {
                guard let end = s.dropFirst().firstIndex(of: "$") else { return nil }
                let code = String(s[s.index(after: s.startIndex)..<end])
                if let e = escapes[code] {
                    out += e
                } else if code.hasPrefix("u"), let v = UInt32(code.dropFirst(), radix: 16), let scalar = Unicode.Scalar(v) {
                    out.unicodeScalars.append(scalar)
                } else {
                    return nil
                }
                s = s[s.index(after: end)...]
            } else if s.hasPrefix("..") {
                out += "::"
                s = s.dropFirst(2)
            } else {
                out.append(c)
                s = s.dropFirst()
            }
        }
        return out
    }
}
