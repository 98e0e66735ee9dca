/// Reads what the type checker needs from C definitions in a script's
/// preamble. Struct layouts come from BTF or the compiler; only enum
/// constants are needed to check names.
public enum CDefinitions {
    /// `enum E { A, B = 5, C }` → A: 0, B: 5, C: 6.
    public static func enumConstants(in text: String) -> [String: Int64] {
        guard text.hasPrefix("enum"), let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else { return [:] }
        var out: [String: Int64] = [:]
        var next: Int64 = 0
        for item in text[text.index(after: open)..<close].split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: " \t\n\r") }
            guard let name = parts.first, !name.isEmpty else { continue }
            if parts.count == 2 { next = parseInteger(parts[1]) ?? next }
            out[name] = next
            next &+= 1
        }
        return out
    }

    /// `enum Foo { … }` → Foo; nil for an anonymous enum.
    public static func enumName(in text: String) -> String? {
        guard text.hasPrefix("enum"), let open = text.firstIndex(of: "{") else { return nil }
        let name = String(text[text.index(text.startIndex, offsetBy: 4)..<open]).trimmingCharacters(in: " \t\n\r")
        return name.isEmpty ? nil : name
    }

    static func parseInteger(_ s: String) -> Int64? {
        let negative = s.hasPrefix("-")
        let body = negative ? String(s.dropFirst()) : s
        let value: Int64?
        if body.hasPrefix("0x") || body.hasPrefix("0X") { value = Int64(body.dropFirst(2), radix: 16) }
        else if body.count > 1 && body.hasPrefix("0") { value = Int64(body.dropFirst(), radix: 8) }
        else { value = Int64(body) }
        return value.map { negative ? -$0 : $0 }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
