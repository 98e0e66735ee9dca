/// Positional parameters ($1, $2, …) as bpftrace reads them: a parameter
/// that reads as a C integer (decimal, 0x hex, 0 octal, optional minus) is
/// that integer; any other is a string.
public enum PositionalParameter {
    /// A C integer literal (also #define values and enum constants); up to
    /// 2^64 - 1, kept as its bit pattern.
    public static func integer(_ text: String) -> Int64? {
        var s = Substring(text)
        let negative = s.hasPrefix("-")
        if negative { s = s.dropFirst() }
        let value: UInt64?
        if s.hasPrefix("0x") || s.hasPrefix("0X") { value = UInt64(s.dropFirst(2), radix: 16) }
        else if s.count > 1 && s.hasPrefix("0") { value = UInt64(s.dropFirst(), radix: 8) }
        else { value = UInt64(s) }
        guard let value else { return nil }
        return negative ? 0 &- Int64(bitPattern: value) : Int64(bitPattern: value)
    }

    /// The type of `$n`, when the parameters are known: a string parameter
    /// is a string value; integers and missing parameters stay integers.
    static func type(_ n: Int, _ parameters: [String]?) -> SType {
        guard let parameters, n >= 1, n <= parameters.count, integer(parameters[n - 1]) == nil else { return .unknown }
        return .string(parameters[n - 1].utf8.count + 1)
    }
}
