/// A parser of Itanium C++ ABI names (`_Z…`, what GCC and Clang emit),
/// built from the ABI's grammar. What it does not know (expressions in
/// types, decltype) fails the whole name rather than guessing.
struct ItaniumParser {
    struct Failure: Error {}

    private let s: [UInt8]
    private var i = 0
    private var substitutions: [Node] = []
    private var substitutionSizes: [Int] = []
    /// The template arguments `T_`, `T0_`… name: the innermost function template's.
    private var templateArgs: [Node] = []
    /// Text copied by substitutions so far: a name made of references to
    /// references would otherwise print exponentially long.
    private var copied = 0
    private var depth = 0
    /// Whether the last name component read was a constructor, destructor
    /// or conversion operator: such functions have no return type mangled.
    private var structor = false
    /// `const`, `&`… of the last nested name: a method's qualifiers.
    private var nameQualifiers = ""

    private static let maxCopied = 1 << 16, maxDepth = 200

    init(_ text: String) { s = Array(text.utf8) }

    /// The whole symbol, and the function's name alone.
    mutating func parse() throws(Failure) -> (full: String, name: String) {
        guard take("_Z") else { throw Failure() }
        var node = try encoding()
        // `.cold`, `.constprop.0`, `.isra.0.part.1`: copies the compiler made.
        while peek == UInt8(ascii: ".") {
            let start = i
            guard let first = next, isAlpha(first) || first == UInt8(ascii: "_") else { throw Failure() }
            i += 1
            while let c = peek, isAlpha(c) || c == UInt8(ascii: "_") || isDigit(c) { i += 1 }
            while peek == UInt8(ascii: "."), i + 1 < s.count, isDigit(s[i + 1]) {
                i += 1
                while let c = peek, isDigit(c) { i += 1 }
            }
            guard i > start + 1 else { throw Failure() }
            node = .suffixed(node, " [clone \(String(decoding: s[start..<i], as: UTF8.self))]")
        }
        guard i == s.count else { throw Failure() }
        var name = node
        while case .suffixed(let inner, _) = name { name = inner }
        if case .encoding(let n, _) = name { name = n }
        return (node.text, name.text)
    }

    // MARK: encodings and names

    private mutating func encoding() throws(Failure) -> Node {
        try enter()
        defer { depth -= 1 }
        if peek == UInt8(ascii: "T") || peek == UInt8(ascii: "G") { return try specialName() }
        nameQualifiers = ""
        structor = false
        let nested = peek == UInt8(ascii: "N") || peek == UInt8(ascii: "Z")
        let name = try self.name()
        let qualifiers = nested ? nameQualifiers : "", isStructor = structor
        guard let c = peek, c != UInt8(ascii: "E"), c != UInt8(ascii: ".") else { return name }
        if let args = Self.templateArguments(of: name) { templateArgs = args }
        let returns = name.isTemplate && !isStructor ? try type() : nil
        var parameters: [Node] = []
        while let c = peek, c != UInt8(ascii: "E"), c != UInt8(ascii: ".") { parameters.append(try type()) }
        guard !parameters.isEmpty else { throw Failure() }
        return .encoding(name, .function(returns: returns, parameters: parameters, qualifiers: qualifiers))
    }

    private static func templateArguments(of name: Node) -> [Node]? {
        switch name {
        case .template(_, let args): return args
        case .scoped(_, let n), .suffixed(let n, _): return templateArguments(of: n)
        default: return nil
        }
    }

    private mutating func specialName() throws(Failure) -> Node {
        func callOffset(_ p: inout ItaniumParser) throws(Failure) {
            if p.take("h") { _ = try p.number(); try p.expect("_") } else if p.take("v") {
                _ = try p.number(); try p.expect("_"); _ = try p.number(); try p.expect("_")
            } else { throw Failure() }
        }
        let prefixes: [(String, String)] = [("TV", "vtable for "), ("TT", "VTT for "), ("TI", "typeinfo for "), ("TS", "typeinfo name for ")]
        for (code, text) in prefixes where take(code) { return .special(text, try type()) }
        if take("TH") { return .special("TLS init function for ", try name()) }
        if take("TW") { return .special("TLS wrapper function for ", try name()) }
        if take("GV") { return .special("guard variable for ", try name()) }
        if take("GTt") { return .special("transaction clone for ", try encoding()) }
        if take("GR") {
            let n = try name()
            var index = 0
            if peek != UInt8(ascii: "_") { index = try seqID() + 1 }
            try expect("_")
            return .special("reference temporary #\(index) for ", n)
        }
        if take("Th") {
            _ = try number(); try expect("_")
            return .special("non-virtual thunk to ", try encoding())
        }
        if take("Tv") {
            _ = try number(); try expect("_"); _ = try number(); try expect("_")
            return .special("virtual thunk to ", try encoding())
        }
        if take("Tc") {
            try callOffset(&self); try callOffset(&self)
            return .special("covariant return thunk to ", try encoding())
        }
        throw Failure()
    }

    private mutating func name() throws(Failure) -> Node {
        try enter()
        defer { depth -= 1 }
        switch peek {
        case UInt8(ascii: "N"): return try nestedName()
        case UInt8(ascii: "Z"): return try localName()
        case UInt8(ascii: "S") where next == UInt8(ascii: "t"):
            i += 2
            return try templated(.scoped(.name("std"), try unqualifiedName()))
        case UInt8(ascii: "S"):
            let sub = try substitution()
            guard peek == UInt8(ascii: "I") else { throw Failure() }
            return .template(sub, try keepingStructor { (p: inout ItaniumParser) throws(Failure) in try p.templateArgList() })
        default:
            _ = take("L")  // internal linkage (GCC)
            return try templated(try unqualifiedName())
        }
    }

    /// An unscoped name, with template arguments if they follow; the name is then a substitution.
    private mutating func templated(_ n: Node) throws(Failure) -> Node {
        guard peek == UInt8(ascii: "I") else { return n }
        push(n)
        return .template(n, try keepingStructor { (p: inout ItaniumParser) throws(Failure) in try p.templateArgList() })
    }

    private mutating func keepingStructor<T>(_ body: (inout ItaniumParser) throws(Failure) -> T) throws(Failure) -> T {
        let saved = structor
        defer { structor = saved }
        return try body(&self)
    }

    private mutating func nestedName() throws(Failure) -> Node {
        try expect("N")
        let qualifiers = cvQualifiers()
        var ref = ""
        if take("R") { ref = " &" } else if take("O") { ref = " &&" }
        var prefix: Node?
        while !take("E") {
            var fromSubstitution = false
            switch peek {
            case UInt8(ascii: "S") where next == UInt8(ascii: "t"):
                i += 2
                guard prefix == nil else { throw Failure() }
                prefix = .name("std")
                fromSubstitution = true
            case UInt8(ascii: "S"):
                guard prefix == nil else { throw Failure() }
                prefix = try substitution()
                fromSubstitution = true
            case UInt8(ascii: "I"):
                guard let p = prefix else { throw Failure() }
                prefix = .template(p, try keepingStructor { (p: inout ItaniumParser) throws(Failure) in try p.templateArgList() })
            case UInt8(ascii: "T"):
                guard prefix == nil else { throw Failure() }
                prefix = try templateParam()
            case UInt8(ascii: "M"):
                i += 1  // a data member's prefix for lambdas in initializers
                continue
            case UInt8(ascii: "C") where isStructorCode, UInt8(ascii: "D") where isStructorCode:
                guard let p = prefix else { throw Failure() }
                let destructor = peek == UInt8(ascii: "D")
                i += 1
                if take("I") { _ = try type() }  // an inheriting constructor's base
                guard let c = peek, isDigit(c) else { throw Failure() }
                i += 1
                prefix = .scoped(p, .name((destructor ? "~" : "") + p.unqualifiedName))
                structor = true
            default:
                let component = try unqualifiedName()
                prefix = prefix.map { .scoped($0, component) } ?? component
            }
            guard let p = prefix else { throw Failure() }
            if !fromSubstitution, peek != UInt8(ascii: "E") { push(p) }
        }
        guard let prefix else { throw Failure() }
        nameQualifiers = qualifiers + ref
        return prefix
    }

    private var isStructorCode: Bool {
        guard let n = next else { return false }
        return peek == UInt8(ascii: "C") ? (isDigit(n) || n == UInt8(ascii: "I")) : (n >= UInt8(ascii: "0") && n <= UInt8(ascii: "5"))
    }

    private mutating func localName() throws(Failure) -> Node {
        try expect("Z")
        var function = try encoding()
        try expect("E")
        nameQualifiers = ""
        // A local entity's function prints without its return type.
        if case .encoding(let n, .function(_, let parameters, let qualifiers)) = function {
            function = .encoding(n, .function(returns: nil, parameters: parameters, qualifiers: qualifiers))
        }
        if take("s") {
            try discriminator()
            return .scoped(function, .name("string literal"))
        }
        if take("d") {
            if peek != UInt8(ascii: "_") { _ = try number() }
            try expect("_")
        }
        let entity = try name()
        try discriminator()
        return .scoped(function, entity)
    }

    private mutating func discriminator() throws(Failure) {
        guard take("_") else { return }
        if take("_") { _ = try number(); try expect("_") } else {
            guard let c = peek, isDigit(c) else { throw Failure() }
            i += 1
        }
    }

    private mutating func unqualifiedName() throws(Failure) -> Node {
        var n: Node
        structor = false
        guard let c = peek else { throw Failure() }
        if isDigit(c) {
            n = .name(try sourceName())
        } else if take("Ut") {
            n = .name("{unnamed type#\(try closureNumber())}")
        } else if take("Ul") {
            var parameters: [Node] = []
            while !take("E") { parameters.append(try type()) }
            let list = Node.parameterList(parameters)
            n = .name("{lambda\(list)#\(try closureNumber())}")
        } else if c >= UInt8(ascii: "a"), c <= UInt8(ascii: "z") {
            n = try operatorName()
        } else {
            throw Failure()
        }
        while take("B") { n = .suffixed(n, "[abi:\(try sourceName())]") }
        return n
    }

    /// `[number] _` after a lambda or unnamed type: #1 when absent, else number + 2.
    private mutating func closureNumber() throws(Failure) -> Int {
        if take("_") { return 1 }
        let n = try number()
        try expect("_")
        return n + 2
    }

    private mutating func sourceName() throws(Failure) -> String {
        let length = try number()
        guard length > 0, length <= s.count - i else { throw Failure() }
        let text = String(decoding: s[i..<i + length], as: UTF8.self)
        i += length
        return text.hasPrefix("_GLOBAL__N") ? "(anonymous namespace)" : text
    }

    private static let operators: [String: String] = [
        "nw": "new", "na": "new[]", "dl": "delete", "da": "delete[]", "ps": "+", "ng": "-", "ad": "&", "de": "*",
        "co": "~", "pl": "+", "mi": "-", "ml": "*", "dv": "/", "rm": "%", "an": "&", "or": "|", "eo": "^", "aS": "=",
        "pL": "+=", "mI": "-=", "mL": "*=", "dV": "/=", "rM": "%=", "aN": "&=", "oR": "|=", "eO": "^=", "ls": "<<",
        "rs": ">>", "lS": "<<=", "rS": ">>=", "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
        "ss": "<=>", "nt": "!", "aa": "&&", "oo": "||", "pp": "++", "mm": "--", "cm": ",", "pm": "->*", "pt": "->",
        "cl": "()", "ix": "[]", "qu": "?", "aw": "co_await",
    ]

    private mutating func operatorName() throws(Failure) -> Node {
        guard i + 2 <= s.count else { throw Failure() }
        let code = String(decoding: s[i..<i + 2], as: UTF8.self)
        i += 2
        switch code {
        case "cv":
            let t = try type()
            structor = true
            return .name("operator " + t.text)
        case "li": return .name("operator\"\" " + (try sourceName()))
        default:
            if code.first == "v", let c = code.last, c.isNumber { return .name("operator " + (try sourceName())) }
            guard let op = Self.operators[code] else { throw Failure() }
            return .name("operator" + (op.first!.isLetter ? " " : "") + op)
        }
    }

    // MARK: types

    private static let builtins: [UInt8: String] = [
        UInt8(ascii: "v"): "void", UInt8(ascii: "w"): "wchar_t", UInt8(ascii: "b"): "bool", UInt8(ascii: "c"): "char",
        UInt8(ascii: "a"): "signed char", UInt8(ascii: "h"): "unsigned char", UInt8(ascii: "s"): "short",
        UInt8(ascii: "t"): "unsigned short", UInt8(ascii: "i"): "int", UInt8(ascii: "j"): "unsigned int",
        UInt8(ascii: "l"): "long", UInt8(ascii: "m"): "unsigned long", UInt8(ascii: "x"): "long long",
        UInt8(ascii: "y"): "unsigned long long", UInt8(ascii: "n"): "__int128", UInt8(ascii: "o"): "unsigned __int128",
        UInt8(ascii: "f"): "float", UInt8(ascii: "d"): "double", UInt8(ascii: "e"): "long double",
        UInt8(ascii: "g"): "__float128", UInt8(ascii: "z"): "...",
    ]
    private static let dBuiltins: [UInt8: String] = [
        UInt8(ascii: "d"): "decimal64", UInt8(ascii: "e"): "decimal128", UInt8(ascii: "f"): "decimal32",
        UInt8(ascii: "h"): "half", UInt8(ascii: "i"): "char32_t", UInt8(ascii: "s"): "char16_t", UInt8(ascii: "u"): "char8_t",
        UInt8(ascii: "a"): "auto", UInt8(ascii: "c"): "decltype(auto)", UInt8(ascii: "n"): "decltype(nullptr)",
    ]

    private mutating func type() throws(Failure) -> Node {
        try enter()
        defer { depth -= 1 }
        guard let c = peek else { throw Failure() }
        if let builtin = Self.builtins[c] {
            i += 1
            return .name(builtin)
        }
        let t: Node
        switch c {
        case UInt8(ascii: "D"):
            guard let d = next else { throw Failure() }
            if let builtin = Self.dBuiltins[d] {
                i += 2
                return .name(builtin)
            }
            if d == UInt8(ascii: "F") {
                i += 2
                let bits = try number()
                try expect("_")
                return .name("_Float\(bits)")
            }
            if d == UInt8(ascii: "p") {
                i += 2
                t = try type().expandingPack()
            } else if d == UInt8(ascii: "o") || d == UInt8(ascii: "O") || d == UInt8(ascii: "w") || d == UInt8(ascii: "x") {
                t = try functionType()
            } else {
                throw Failure()
            }
        case UInt8(ascii: "r"), UInt8(ascii: "V"), UInt8(ascii: "K"):
            let qualifiers = cvQualifiers()
            let inner = try type()
            // A method type's qualifiers: one substitution with the function type, not two.
            if case .function(let r, let p, let q) = inner { return .function(returns: r, parameters: p, qualifiers: qualifiers + q) }
            t = inner.eachInPack { .qualified($0, String(qualifiers.dropFirst())) }
        case UInt8(ascii: "P"): i += 1; t = try type().eachInPack { .pointer($0) }
        case UInt8(ascii: "R"): i += 1; t = try type().eachInPack { $0.referenced(rvalue: false) }
        case UInt8(ascii: "O"): i += 1; t = try type().eachInPack { $0.referenced(rvalue: true) }
        case UInt8(ascii: "F"): t = try functionType()
        case UInt8(ascii: "A"):
            i += 1
            var dimension = ""
            if let d = peek, isDigit(d) { dimension = String(try number()) } else if peek != UInt8(ascii: "_") { throw Failure() }
            try expect("_")
            t = .array(try type(), dimension: dimension)
        case UInt8(ascii: "M"):
            i += 1
            let scope = try type()
            t = .memberPointer(scope: scope, member: try type())
        case UInt8(ascii: "T"):
            let param = try templateParam()
            if peek == UInt8(ascii: "I") {
                push(param)
                t = .template(param, try templateArgList())
            } else {
                t = param
            }
        case UInt8(ascii: "S") where next != UInt8(ascii: "t"):
            let sub = try substitution()
            guard peek == UInt8(ascii: "I") else { return sub }
            t = .template(sub, try templateArgList())
        case UInt8(ascii: "u"):
            i += 1
            t = .name(try sourceName())
        default:
            t = try name()
        }
        push(t)
        return t
    }

    /// `[cv] [exception spec] F [Y] return params [ref] E`.
    private mutating func functionType() throws(Failure) -> Node {
        var suffix = ""
        if take("Do") { suffix = " noexcept" } else if take("DO") || take("Dw") || take("Dx") { throw Failure() }
        try expect("F")
        _ = take("Y")
        let returns = try type()
        var parameters: [Node] = []
        var ref = ""
        while !take("E") {
            if take("RE") { ref = " &"; break }
            if take("OE") { ref = " &&"; break }
            parameters.append(try type())
        }
        return .function(returns: returns, parameters: parameters, qualifiers: ref + suffix)
    }

    private mutating func templateParam() throws(Failure) -> Node {
        try expect("T")
        var index = 0
        if !take("_") {
            index = try number() + 1
            try expect("_")
        }
        guard index < templateArgs.count else { throw Failure() }
        let arg = templateArgs[index]
        try copy(arg.text.utf8.count)
        return arg
    }

    private mutating func templateArgList() throws(Failure) -> [Node] {
        try expect("I")
        var args: [Node] = []
        while !take("E") { args.append(try templateArg()) }
        return args
    }

    private mutating func templateArg() throws(Failure) -> Node {
        if take("J") {
            var items: [Node] = []
            while !take("E") { items.append(try templateArg()) }
            return .pack(items)
        }
        if peek == UInt8(ascii: "L") { return try literal() }
        return try type()
    }

    /// `L type value E` (a constant), or `L _Z encoding E` (an entity's address).
    private mutating func literal() throws(Failure) -> Node {
        try expect("L")
        if take("_Z") {
            let entity = try encoding()
            try expect("E")
            return entity
        }
        let t = try type()
        let negative = take("n")
        let start = i
        while let c = peek, c != UInt8(ascii: "E") { i += 1 }
        let digits = String(decoding: s[start..<i], as: UTF8.self)
        try expect("E")
        let value = (negative ? "-" : "") + digits
        switch t.text {
        case "int": return .literal(value)
        case "unsigned int": return .literal(value + "u")
        case "long": return .literal(value + "l")
        case "unsigned long": return .literal(value + "ul")
        case "long long": return .literal(value + "ll")
        case "unsigned long long": return .literal(value + "ull")
        case "bool" where digits == "0" || digits == "1": return .literal(digits == "1" ? "true" : "false")
        case "decltype(nullptr)" where digits.isEmpty: return .literal("nullptr")
        default: return .literal("(\(t.text))\(value)")
        }
    }

    // MARK: substitutions

    /// `Sa`, `Ss`…: the standard library's names, spelled out as the C++ runtime's demangler does.
    private static let standard: [UInt8: Node] = {
        func std(_ n: String, _ args: [Node] = []) -> Node { .scoped(.name("std"), args.isEmpty ? .name(n) : .template(.name(n), args)) }
        let chars = std("char_traits", [.name("char")])
        return [
            UInt8(ascii: "a"): std("allocator"), UInt8(ascii: "b"): std("basic_string"),
            UInt8(ascii: "s"): std("basic_string", [.name("char"), chars, std("allocator", [.name("char")])]),
            UInt8(ascii: "i"): std("basic_istream", [.name("char"), chars]),
            UInt8(ascii: "o"): std("basic_ostream", [.name("char"), chars]),
            UInt8(ascii: "d"): std("basic_iostream", [.name("char"), chars]),
        ]
    }()

    private mutating func substitution() throws(Failure) -> Node {
        try expect("S")
        guard let c = peek else { throw Failure() }
        if let abbreviation = Self.standard[c] {
            i += 1
            return abbreviation
        }
        let index = take("_") ? 0 : try seqID() + 1
        if index > 0 { try expect("_") }
        guard index < substitutions.count else { throw Failure() }
        try copy(substitutionSizes[index])
        return substitutions[index]
    }

    private mutating func push(_ n: Node) {
        substitutions.append(n)
        substitutionSizes.append(n.text.utf8.count)
    }

    private mutating func copy(_ size: Int) throws(Failure) {
        copied += size
        if copied > Self.maxCopied { throw Failure() }
    }

    // MARK: lexing

    private var peek: UInt8? { i < s.count ? s[i] : nil }
    private var next: UInt8? { i + 1 < s.count ? s[i + 1] : nil }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth { throw Failure() }
    }

    private mutating func take(_ prefix: String) -> Bool {
        let p = Array(prefix.utf8)
        guard s.count - i >= p.count, s[i..<i + p.count].elementsEqual(p) else { return false }
        i += p.count
        return true
    }

    private mutating func expect(_ prefix: String) throws(Failure) {
        guard take(prefix) else { throw Failure() }
    }

    private mutating func cvQualifiers() -> String {
        var restrict = false, volatile = false, const = false
        if take("r") { restrict = true }
        if take("V") { volatile = true }
        if take("K") { const = true }
        return (const ? " const" : "") + (volatile ? " volatile" : "") + (restrict ? " restrict" : "")
    }

    private mutating func number() throws(Failure) -> Int {
        var n = 0, any = false
        while let c = peek, isDigit(c) {
            n = n * 10 + Int(c - UInt8(ascii: "0"))
            guard n < 1 << 24 else { throw Failure() }
            i += 1
            any = true
        }
        guard any else { throw Failure() }
        return n
    }

    /// A base-36 sequence number, digits then capital letters.
    private mutating func seqID() throws(Failure) -> Int {
        var n = 0, any = false
        while let c = peek, isDigit(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) {
            n = n * 36 + Int(isDigit(c) ? c - UInt8(ascii: "0") : c - UInt8(ascii: "A") + 10)
            guard n < 1 << 24 else { throw Failure() }
            i += 1
            any = true
        }
        guard any else { throw Failure() }
        return n
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
}
