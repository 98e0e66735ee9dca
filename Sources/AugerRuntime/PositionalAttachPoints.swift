/// `i:ms:$1 { … }`, `BEG$1 { … }`, `$1 { … }`: positional parameters in
/// attach points are text, substituted before the script is parsed (as
/// bpftrace does). Only probe headers change: not bodies, predicates,
/// strings or comments.
enum PositionalAttachPoints {
    static func substitute(_ text: String, _ positional: [String]) -> String {
        guard text.contains("$") else { return text }
        let chars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var depth = 0, i = 0, inPredicate = false
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "\"" { // a string: copied whole
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += chars[j] == "\\" ? 2 : 1 }
                out.append(contentsOf: chars[i..<min(j + 1, chars.count)])
                i = j + 1
                continue
            }
            if c == "/" && next == "/" { // a line comment
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                out.append(contentsOf: chars[i..<j])
                i = j
                continue
            }
            if c == "/" && next == "*" {
                var j = i + 2
                while j + 1 < chars.count && !(chars[j] == "*" && chars[j + 1] == "/") { j += 1 }
                out.append(contentsOf: chars[i..<min(j + 2, chars.count)])
                i = j + 2
                continue
            }
            if c == "{" { depth += 1; inPredicate = false }
            if c == "}" { depth = max(0, depth - 1) }
            if c == "/" && depth == 0 { inPredicate.toggle() }
            if c == "$", depth == 0, !inPredicate, let d = next, ("0"..."9").contains(d) {
                var j = i + 1
                while j < chars.count && ("0"..."9").contains(chars[j]) { j += 1 }
                let n = Int(String(String.UnicodeScalarView(chars[(i + 1)..<j]))) ?? 0
                if n >= 1 && n <= positional.count {
                    out.append(contentsOf: positional[n - 1].unicodeScalars)
                    i = j
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }
}
