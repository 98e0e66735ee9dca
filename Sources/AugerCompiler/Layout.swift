import AugerScript

/// How values are laid out in map keys, map values and event records:
/// every value takes a whole number of 8-byte words, so fields never need
/// padding and integers are always read and written as 64-bit words.
public enum Layout {
    /// Bytes a value of `t` occupies.
    public static func size(_ t: SType) -> Int {
        switch t {
        case .string(let n): return roundUp(n)
        case .buffer(let n): return 8 + roundUp(n)  // length word, then bytes
        case .array(let e, let n): return roundUp((elementSize(e)) * n)
        case .tuple(let ts): return ts.reduce(0) { $0 + size($1) }
        case .record(let fs): return fs.reduce(0) { $0 + size($1.type) }
        case .inet: return 24                       // family word, 16 address bytes
        case .timestamp: return 16                  // strftime: format index, nanoseconds
        case .usym: return 16                       // address, process id (its mappings name it)
        case .aggregate(let a): return aggregateSize(a)
        default: return 8
        }
    }

    /// Array elements keep their natural size, as in kernel memory.
    public static func elementSize(_ t: SType) -> Int {
        switch t {
        case .integer(let bits, _): bits / 8
        case .bool: 1
        // Nested arrays are packed as C packs them: an int[3] row is 12 bytes.
        case .array(let e, let n): elementSize(e) * n
        default: size(t)
        }
    }

    /// Offsets of a tuple's or record's fields.
    public static func offsets(_ types: [SType]) -> [Int] {
        var out: [Int] = []
        var at = 0
        for t in types {
            out.append(at)
            at += size(t)
        }
        return out
    }

    /// Per-CPU value bytes of an aggregation.
    static func aggregateSize(_ a: Aggregate) -> Int {
        switch a {
        case .count, .sum, .hist, .lhist: 8
        case .tseries: 24    // value, meta (timestamp or count), epoch
        case .min, .max: 16  // value, then whether it is set
        case .avg: 16        // sum, count
        case .stats: 16      // sum, count
        }
    }

    public static func roundUp(_ n: Int) -> Int { (n + 7) & ~7 }
}
