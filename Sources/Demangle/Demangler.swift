/// Readable names for mangled symbols: C++ (Itanium ABI, GCC and Clang),
/// Rust's legacy scheme (Itanium's nested names) and Rust's v0 (`_R`). Text in,
/// text out; a symbol it cannot read gives nil, never a guess.
public enum Demangler {
    public struct Name: Equatable, Sendable {
        /// The whole name: `ns::Class::method(int) const`.
        public var full: String
        /// Without return type and parameters: `ns::Class::method`.
        public var function: String
    }

    /// Longer symbols are left alone: nothing real comes near, and the parser's work stays bounded.
    static let maxLength = 4096

    public static func demangle(_ symbol: String) -> Name? {
        guard symbol.utf8.count <= maxLength else { return nil }
        if var rust = RustV0Parser(symbol) {
            guard let name = try? rust.parse() else { return nil }
            return Name(full: name, function: name)
        }
        guard symbol.hasPrefix("_Z") else { return nil }
        if let rust = RustLegacy.demangle(symbol) { return Name(full: rust, function: rust) }
        var parser = ItaniumParser(symbol)
        guard let (full, function) = try? parser.parse() else { return nil }
        return Name(full: full, function: function)
    }
}
