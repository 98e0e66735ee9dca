/// Rust's v0 mangling (`_R…`, RFC 2603), printed as rustc's own demangler
/// prints it in its short form: crate hashes and const types left out
/// (`<mycrate::Foo as core::fmt::Debug>::fmt`, `mycrate::f::<[u8; 4]>`).
/// Backreferences re-read the input at an earlier position; the depth and
/// the output are bounded, so a hostile name cannot make it loop or explode.
struct RustV0Parser {
    struct Failure: Error {}

    private let s: [UInt8]
    /// Where the name after `_R` starts: backreferences count from here.
    private let base: Int
    private var i: Int
    private var out = ""
    private var depth = 0, steps = 0
    /// Lifetimes bound by the `for<…>` binders around the current type ('a, 'b, …).
    private var boundLifetimes = 0
    /// Backreferences re-read text: work is bounded, as output is.
    private static let maxDepth = 200, maxOutput = 1 << 14, maxSteps = 1 << 16

    init?(_ symbol: String) {
        s = Array(symbol.utf8)
        guard s.count > 2, s[0] == UInt8(ascii: "_"), s[1] == UInt8(ascii: "R") else { return nil }
        base = 2
        i = 2
    }

    mutating func parse() throws(Failure) -> String {
        if let c = peek, isDigit(c) { _ = try decimal() }  // encoding version
        try path(inValue: true)
        // The instantiating crate, then vendor suffixes (`.llvm.123`): not printed.
        if let c = peek, c != UInt8(ascii: "."), c != UInt8(ascii: "$") {
            let saved = out
            try path(inValue: false)
            out = saved
        }
        guard i == s.count || peek == UInt8(ascii: ".") || peek == UInt8(ascii: "$") else { throw Failure() }
        return out
    }

    // MARK: paths

    private mutating func path(inValue: Bool) throws(Failure) {
        try enter()
        defer { depth -= 1 }
        guard let c = take() else { throw Failure() }
        switch c {
        case UInt8(ascii: "C"):
            try emit(try identifier().name)
        case UInt8(ascii: "M"):
            try skipDisambiguator()
            try skipPath()
            try emit("<")
            try type()
            try emit(">")
        case UInt8(ascii: "X"):
            try skipDisambiguator()
            try skipPath()
            try emit("<")
            try type()
            try emit(" as ")
            try path(inValue: false)
            try emit(">")
        case UInt8(ascii: "Y"):
            try emit("<")
            try type()
            try emit(" as ")
            try path(inValue: false)
            try emit(">")
        case UInt8(ascii: "N"):
            guard let namespace = take() else { throw Failure() }
            try path(inValue: inValue)
            let (name, disambiguator) = try identifier()
            try emit("::")
            if isUpper(namespace) {
                let kind = namespace == UInt8(ascii: "C") ? "closure" : namespace == UInt8(ascii: "S") ? "shim" : String(UnicodeScalar(namespace))
                try emit("{\(kind)\(name.isEmpty ? "" : ":" + name)#\(disambiguator)}")
            } else {
                try emit(name)
            }
        case UInt8(ascii: "I"):
            try path(inValue: inValue)
            try emit(inValue ? "::<" : "<")
            var first = true
            while !takeIf("E") {
                if !first { try emit(", ") }
                first = false
                try genericArg()
            }
            try emit(">")
        case UInt8(ascii: "B"):
            try backref { (p: inout RustV0Parser) throws(Failure) in try p.path(inValue: inValue) }
        default:
            throw Failure()
        }
    }

    /// A path read only to move past it (an impl's parent module).
    private mutating func skipPath() throws(Failure) {
        let saved = out
        try path(inValue: false)
        out = saved
    }

    private mutating func genericArg() throws(Failure) {
        if takeIf("L") {
            try emit(try lifetime(try base62()))
        } else if takeIf("K") {
            try const()
        } else {
            try type()
        }
    }

    // MARK: types

    private static let basic: [UInt8: String] = [
        UInt8(ascii: "a"): "i8", UInt8(ascii: "b"): "bool", UInt8(ascii: "c"): "char", UInt8(ascii: "d"): "f64",
        UInt8(ascii: "e"): "str", UInt8(ascii: "f"): "f32", UInt8(ascii: "h"): "u8", UInt8(ascii: "i"): "isize",
        UInt8(ascii: "j"): "usize", UInt8(ascii: "l"): "i32", UInt8(ascii: "m"): "u32", UInt8(ascii: "n"): "i128",
        UInt8(ascii: "o"): "u128", UInt8(ascii: "s"): "i16", UInt8(ascii: "t"): "u16", UInt8(ascii: "u"): "()",
        UInt8(ascii: "v"): "...", UInt8(ascii: "x"): "i64", UInt8(ascii: "y"): "u64", UInt8(ascii: "z"): "!",
        UInt8(ascii: "p"): "_",
    ]

    private mutating func type() throws(Failure) {
        try enter()
        defer { depth -= 1 }
        guard let c = peek else { throw Failure() }
        if let name = Self.basic[c] {
            i += 1
            try emit(name)
            return
        }
        switch c {
        case UInt8(ascii: "A"), UInt8(ascii: "S"):
            i += 1
            try emit("[")
            try type()
            if c == UInt8(ascii: "A") {
                try emit("; ")
                try const()
            }
            try emit("]")
        case UInt8(ascii: "T"):
            i += 1
            try emit("(")
            var count = 0
            while !takeIf("E") {
                if count > 0 { try emit(", ") }
                try type()
                count += 1
            }
            try emit(count == 1 ? ",)" : ")")
        case UInt8(ascii: "R"), UInt8(ascii: "Q"):
            i += 1
            try emit("&")
            if takeIf("L") {
                let index = try base62()
                if index != 0 { try emit(try lifetime(index) + " ") }
            }
            if c == UInt8(ascii: "Q") { try emit("mut ") }
            try type()
        case UInt8(ascii: "P"), UInt8(ascii: "O"):
            i += 1
            try emit(c == UInt8(ascii: "P") ? "*const " : "*mut ")
            try type()
        case UInt8(ascii: "F"):
            i += 1
            try functionSignature()
        case UInt8(ascii: "D"):
            i += 1
            try dynBounds()
        case UInt8(ascii: "B"):
            i += 1
            try backref { (p: inout RustV0Parser) throws(Failure) in try p.type() }
        default:
            try path(inValue: false)
        }
    }

    /// `G count`: `for<'a, …> ` before a function type or a dyn trait; the
    /// caller drops the lifetimes again when the type is done.
    private mutating func binder() throws(Failure) -> Int {
        guard takeIf("G") else { return 0 }
        let count = Int(clamping: try base62()) + 1
        guard count <= 26 else { throw Failure() }
        let names = (0..<count).map { Self.lifetimeName(boundLifetimes + $0) }
        boundLifetimes += count
        try emit("for<\(names.joined(separator: ", "))> ")
        return count
    }

    /// A lifetime by its de Bruijn index: 0 is the erased `'_`, 1 the innermost bound one.
    private func lifetime(_ index: UInt64) throws(Failure) -> String {
        if index == 0 { return "'_" }
        guard index <= UInt64(boundLifetimes) else { throw Failure() }
        return Self.lifetimeName(boundLifetimes - Int(index))
    }

    private static func lifetimeName(_ depth: Int) -> String {
        depth < 26 ? "'" + String(UnicodeScalar(UInt8(ascii: "a") + UInt8(depth))) : "'_\(depth)"
    }

    private mutating func functionSignature() throws(Failure) {
        let bound = try binder()
        defer { boundLifetimes -= bound }
        if takeIf("U") { try emit("unsafe ") }
        if takeIf("K") {
            if takeIf("C") { try emit("extern \"C\" ") } else {
                let (name, _) = try identifier()
                try emit("extern \"\(name.replacingUnderscores)\" ")
            }
        }
        try emit("fn(")
        var first = true
        while !takeIf("E") {
            if !first { try emit(", ") }
            first = false
            try type()
        }
        try emit(")")
        if peek == UInt8(ascii: "u") {
            i += 1  // returns ()
        } else {
            try emit(" -> ")
            try type()
        }
    }

    private mutating func dynBounds() throws(Failure) {
        try emit("dyn ")
        let bound = try binder()
        defer { boundLifetimes -= bound }
        var first = true
        while !takeIf("E") {
            if !first { try emit(" + ") }
            first = false
            // A trait path, with its associated types bound (`Iterator<Item = u8>`).
            let start = out.count
            try path(inValue: false)
            var bindings: [String] = []
            while takeIf("p") {
                let name = try undisambiguatedIdentifier()
                let saved = out
                out = ""
                try type()
                bindings.append("\(name) = \(out)")
                out = saved
            }
            if !bindings.isEmpty {
                if out.hasSuffix(">"), out.count > start {
                    out.removeLast()
                    try emit(", " + bindings.joined(separator: ", ") + ">")
                } else {
                    try emit("<" + bindings.joined(separator: ", ") + ">")
                }
            }
        }
        guard takeIf("L") else { throw Failure() }
        _ = try base62()
    }

    /// A const generic: `p` (a placeholder), a backreference, or a type and its value in hex.
    private mutating func const() throws(Failure) {
        if takeIf("p") { return try emit("_") }
        if takeIf("B") { return try backref { (p: inout RustV0Parser) throws(Failure) in try p.const() } }
        guard let t = take() else { throw Failure() }
        let negative = takeIf("n")
        var value: UInt64 = 0
        var digits = 0
        while let c = peek, c != UInt8(ascii: "_") {
            guard let d = hexValue(c), digits < 16 else { throw Failure() }
            value = value << 4 | UInt64(d)
            digits += 1
            i += 1
        }
        try expect("_")
        switch t {
        case UInt8(ascii: "b"): try emit(value == 0 ? "false" : "true")
        case UInt8(ascii: "c"):
            guard let scalar = Unicode.Scalar(UInt32(truncatingIfNeeded: value)) else { throw Failure() }
            try emit("'\(Character(scalar))'")
        default: try emit((negative ? "-" : "") + String(value))
        }
    }

    // MARK: pieces

    private mutating func identifier() throws(Failure) -> (name: String, disambiguator: UInt64) {
        var disambiguator: UInt64 = 0
        if takeIf("s") { disambiguator = try base62() + 1 }
        return (try undisambiguatedIdentifier(), disambiguator)
    }

    private mutating func skipDisambiguator() throws(Failure) {
        if takeIf("s") { _ = try base62() }
    }

    private mutating func undisambiguatedIdentifier() throws(Failure) -> String {
        if takeIf("u") { throw Failure() }  // Punycode: not read yet
        let length = try decimal()
        _ = takeIf("_")
        guard length <= s.count - i else { throw Failure() }
        let name = String(decoding: s[i..<i + length], as: UTF8.self)
        i += length
        return name
    }

    /// `B offset`: print what starts at an earlier position, then come back.
    private mutating func backref(_ body: (inout RustV0Parser) throws(Failure) -> Void) throws(Failure) {
        let target = base + Int(try base62())
        guard target < i - 1 else { throw Failure() }  // only backwards: no loops
        try enter()
        defer { depth -= 1 }
        let saved = i
        i = target
        try body(&self)
        i = saved
    }

    /// `_` is 0; otherwise digits, letters and capitals (base 62) then `_`, plus one.
    private mutating func base62() throws(Failure) -> UInt64 {
        if takeIf("_") { return 0 }
        var value: UInt64 = 0
        while let c = take(), c != UInt8(ascii: "_") {
            let d: UInt64
            if isDigit(c) { d = UInt64(c - UInt8(ascii: "0")) } else if c >= UInt8(ascii: "a"), c <= UInt8(ascii: "z") {
                d = UInt64(c - UInt8(ascii: "a")) + 10
            } else if isUpper(c) { d = UInt64(c - UInt8(ascii: "A")) + 36 } else { throw Failure() }
            let (m, o1) = value.multipliedReportingOverflow(by: 62)
            let (sum, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { throw Failure() }
            value = sum
        }
        guard i <= s.count, s[i - 1] == UInt8(ascii: "_") else { throw Failure() }
        let (v, o) = value.addingReportingOverflow(1)
        guard !o else { throw Failure() }
        return v
    }

    private mutating func decimal() throws(Failure) -> Int {
        var n = 0, any = false
        while let c = peek, isDigit(c) {
            n = n * 10 + Int(c - UInt8(ascii: "0"))
            guard n < 1 << 20 else { throw Failure() }
            i += 1
            any = true
        }
        guard any else { throw Failure() }
        return n
    }

    private mutating func emit(_ text: String) throws(Failure) {
        out += text
        if out.utf8.count > Self.maxOutput { throw Failure() }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        steps += 1
        if depth > Self.maxDepth || steps > Self.maxSteps { throw Failure() }
    }

    private var peek: UInt8? { i < s.count ? s[i] : nil }
    private mutating func take() -> UInt8? {
        guard i < s.count else { return nil }
        i += 1
        return s[i - 1]
    }
    private mutating func takeIf(_ c: Unicode.Scalar) -> Bool {
        guard peek == UInt8(ascii: c) else { return false }
        i += 1
        return true
    }
    private mutating func expect(_ c: Unicode.Scalar) throws(Failure) {
        guard takeIf(c) else { throw Failure() }
    }
    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private func isUpper(_ c: UInt8) -> Bool { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") }
    private func hexValue(_ c: UInt8) -> UInt8? {
        if isDigit(c) { return c - UInt8(ascii: "0") }
        if c >= UInt8(ascii: "a"), c <= UInt8(ascii: "f") { return c - UInt8(ascii: "a") + 10 }
        return nil
    }
}

private extension String {
    /// An ABI name as the mangling spells it (`C_unwind`) and as Rust writes it (`C-unwind`).
    var replacingUnderscores: String { String(map { $0 == "_" ? "-" : $0 }) }
}
