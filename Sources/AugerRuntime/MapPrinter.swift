import AugerCompiler
import AugerScript
import BPF

/// One map entry with per-CPU values already combined.
struct MapEntry {
    var key: ArraySlice<UInt8>
    var value: Value

    enum Value {
        case bytes(ArraySlice<UInt8>)
        case number(Int128)
        case average(sum: Int128, count: UInt64)
        case stats(sum: Int128, count: UInt64)
        /// Bucket index → count.
        case histogram([Int: UInt64])
        /// Epoch → value.
        case timeSeries(TimeSeries.Series)
    }
}

/// Reads a script map out of the kernel and prints it as bpftrace does.
struct MapPrinter {
    let decoder: ValueDecoder

    func entries(_ map: ScriptMap, _ kernel: Map) throws -> [MapEntry] {
        let raw = try kernel.entries()
        let signed = map.signedValues
        switch map.kind {
        case .plain:
            return raw.map { MapEntry(key: $0.key[...], value: .bytes($0.value[...])) }
        case .aggregate(let agg):
            return raw.map { entry in
                let cpus = kernel.splitPerCPU(entry.value[...])
                let words = cpus.map { decoder.word($0[...]) }
                let seconds = cpus.map { decoder.word($0[...], 8) }
                let value: MapEntry.Value
                switch agg {
                case .count: value = .number(Int128(words.reduce(0, &+)))
                case .sum: value = .number(words.reduce(Int128(0)) { $0 + (signed ? Int128(Int64(bitPattern: $1)) : Int128($1)) })
                case .avg, .stats:
                    let sum = words.reduce(Int128(0)) { $0 + (signed ? Int128(Int64(bitPattern: $1)) : Int128($1)) }
                    value = agg == .avg ? .average(sum: sum, count: seconds.reduce(0, &+)) : .stats(sum: sum, count: seconds.reduce(0, &+))
                case .min, .max:
                    let set = zip(words, seconds).filter { $0.1 != 0 }.map { signed ? Int128(Int64(bitPattern: $0.0)) : Int128($0.0) }
                    value = .number((agg == .min ? set.min() : set.max()) ?? 0)
                default: value = .number(Int128(words.reduce(0, &+)))
                }
                return MapEntry(key: entry.key[...], value: value)
            }.filter { entry in
                // A keyless count lives in an array, whose element is there before any count.
                guard kernel.spec.type.isArray, case .number(0) = entry.value else { return true }
                return false
            }
        case .hist, .lhist:
            var grouped: [[UInt8]: [Int: UInt64]] = [:]
            for entry in raw {
                let userKey = Array(entry.key.prefix(map.userKeySize))
                let bucket = Int(clamping: decoder.word(entry.key[...], map.userKeySize))
                let count = kernel.splitPerCPU(entry.value[...]).map { decoder.word($0[...]) }.reduce(0, &+)
                grouped[userKey, default: [:]][bucket, default: 0] += count
            }
            return grouped.map { MapEntry(key: $0.key[...], value: .histogram($0.value)) }
        case .tseries(_, _, let aggregation):
            var grouped: [[UInt8]: TimeSeries.Series] = [:]
            for entry in raw {
                let userKey = Array(entry.key.prefix(map.userKeySize))
                let (epoch, value) = TimeSeries.reduce(kernel.splitPerCPU(entry.value[...]), aggregation, signed: signed, decoder)
                grouped[userKey, default: [:]][epoch] = value
            }
            // Keys in byte order, as bpftrace keeps them.
            return grouped.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { MapEntry(key: $0.key[...], value: .timeSeries($0.value)) }
        }
    }

    /// The one entry a scalar map shows before it is first set.
    func zeroEntry(_ map: ScriptMap) -> [MapEntry] {
        let value: MapEntry.Value
        switch map.kind {
        case .plain: value = .bytes([UInt8](repeating: 0, count: Int(map.spec.valueSize))[...])
        case .aggregate(.avg): value = .average(sum: 0, count: 0)
        case .aggregate(.stats): value = .stats(sum: 0, count: 0)
        case .aggregate: value = .number(0)
        case .hist, .lhist, .tseries: return []
        }
        return [MapEntry(key: [][...], value: value)]
    }

    /// bpftrace's order: by value for numbers, then by key. Each entry's sort
    /// fields are decoded once, not again in every comparison.
    func sorted(_ entries: [MapEntry], _ map: ScriptMap) -> [MapEntry] {
        sortKeys(entries, map).map { entries[Int($0.index)] }
    }

    /// An entry's decoded value and integer key, and where it was.
    struct SortKey { var value: Int128; var hasValue: Bool; var key: Int128; var index: Int32 }

    /// The entries' sort fields in bpftrace's order. Plain values (no
    /// references), so comparisons and moves do no reference counting.
    func sortKeys(_ entries: [MapEntry], _ map: ScriptMap) -> [SortKey] {
        func number(_ e: MapEntry) -> Int128? {
            switch e.value {
            case .number(let n): return n
            case .average(let s, let c): return c == 0 ? 0 : s / Int128(c)
            case .bytes(let b) where map.value.isInteger: return decoder.integer(decoder.word(b), map.value)
            default: return nil
            }
        }
        let integerKeys: SType? = { if let k = map.key, case .integer = k { return k } else { return nil } }()
        var keys = [SortKey]()
        keys.reserveCapacity(entries.count)
        for (i, e) in entries.enumerated() {
            let n = number(e)
            let k = integerKeys.map { decoder.integer(decoder.word(e.key), $0) } ?? 0
            keys.append(SortKey(value: n ?? 0, hasValue: n != nil, key: k, index: Int32(i)))
        }
        if integerKeys != nil || map.key == nil {
            keys.sort { a, b in
                if a.hasValue && b.hasValue && a.value != b.value { return a.value < b.value }
                return a.key < b.key
            }
        } else {
            let texts = entries.map { e in map.key.map { decoder.text($0, e.key) } ?? "" }
            keys.sort { a, b in
                if a.hasValue && b.hasValue && a.value != b.value { return a.value < b.value }
                return texts[Int(a.index)] < texts[Int(b.index)]
            }
        }
        return keys
    }

    /// Writes `@name[key]: value` lines straight to the output when keys and
    /// values are integers (the common case, and the one with many keys);
    /// returns false for anything else.
    func writeIntegers(_ map: ScriptMap, _ entries: [MapEntry], top: Int, div: Int, to out: OutputSink) -> Bool {
        let keyType = map.key
        if let keyType, case .integer = keyType {} else if keyType != nil { return false }
        switch map.kind {
        case .plain: if !map.value.isPlainInteger { return false }
        case .aggregate(let a) where a == .count || a == .sum || a == .min || a == .max: break
        default: return false
        }
        var list = sortKeys(entries, map)
        if top > 0 && list.count > top { list = Array(list.suffix(top)) }
        let prefix = Array(("@" + map.name + (keyType == nil ? ": " : "[")).utf8)
        let d = Int128(max(div, 1))
        for e in list {
            out.append(prefix)
            if keyType != nil {
                if let small = Int64(exactly: e.key) { out.appendDecimal(small) } else { out.write(String(e.key)) }
                out.append(Self.keyEnd)
            }
            let q = e.value / d
            if let small = Int64(exactly: q) { out.appendDecimal(small) } else { out.write(String(q)) }
            out.append(Self.newline)
        }
        return true
    }
    static let keyEnd: [UInt8] = Array("]: ".utf8)
    static let newline: [UInt8] = [10]

    /// The text bpftrace prints for a map (`print(@m)` or at exit).
    func text(_ map: ScriptMap, _ entries: [MapEntry], top: Int = 0, div: Int = 0) -> String {
        var list = sorted(entries, map)
        if case .tseries(let interval, let intervals, _) = map.kind {
            return TimeSeries.rows(entries, intervals: intervals).map { e, rows in
                label(map, e) + ":\n" + TimeSeries.text(rows, interval: interval, signed: map.signedValues) + "\n"
            }.joined()
        }
        if top > 0 && list.count > top { list = Array(list.suffix(top)) }
        var out = ""
        for e in list {
            switch e.value {
            case .histogram(let buckets):
                out += label(map, e) + ":\n" + histogram(buckets, map.histogram) + "\n"
            default:
                out += label(map, e) + ": " + valueText(e.value, map, div: div) + "\n"
            }
        }
        return out
    }

    /// `@name` or `@name[key]`, a tuple key without its parentheses.
    func label(_ map: ScriptMap, _ e: MapEntry) -> String {
        guard let k = map.key else { return "@" + map.name }
        var key = decoder.text(k, e.key)
        if key.hasPrefix("(") && key.hasSuffix(")"), case .tuple = k { key = String(key.dropFirst().dropLast()) }
        return "@\(map.name)[\(key)]"
    }

    func valueText(_ v: MapEntry.Value, _ map: ScriptMap, div: Int) -> String {
        let d = Int128(max(div, 1))
        switch v {
        case .bytes(let b):
            if map.value.isPlainInteger { return String(decoder.integer(decoder.word(b), map.value) / d) }
            return decoder.text(map.value, b)
        case .number(let n): return String(n / d)
        case .average(let s, let c): return String(c == 0 ? 0 : s / Int128(c) / d)
        case .stats(let s, let c): return "{ .count = \(c), .average = \(c == 0 ? 0 : s / Int128(c) / d), .total = \(s / d) }"
        case .histogram, .timeSeries: return ""
        }
    }

    /// Rows from the first to the last non-empty bucket.
    func histogram(_ buckets: [Int: UInt64], _ kind: HistogramBuckets?) -> String {
        guard let kind, let first = buckets.filter({ $0.value > 0 }).keys.min(), let last = buckets.filter({ $0.value > 0 }).keys.max() else { return "" }
        let maxCount = buckets.values.max() ?? 1
        var out = ""
        for b in first...last {
            let count = buckets[b] ?? 0
            let bar = String(repeating: "@", count: Int(Float(count) / Float(maxCount) * 52))
            let header = HistogramLabels.label(bucket: b, kind)
            out += header.padding(16) + String(count).leftPadding(8) + " |" + bar.padding(52) + "|\n"
        }
        return out
    }
}

/// Bucket labels in bpftrace's style: `[4, 8)`, `[1K, 2K)`, `(..., 0)`.
enum HistogramLabels {
    static func label(bucket b: Int, _ buckets: HistogramBuckets) -> String {
        let (lower, upper) = buckets.bounds(of: b)
        switch (buckets, lower, upper) {
        case (.log2, nil, _): return "(..., 0)"
        case (.linear, nil, let upper?): return "(..., \(number(upper + 1)))"
        case (_, let lower?, nil): return "[\(number(lower)), ...)"
        case (_, let lower?, let upper?): return lower == upper ? "[\(number(lower))]" : "[\(number(lower)), \(number(upper + 1)))"
        default: return ""
        }
    }

    /// 1024 → 1K, 1048576 → 1M, as bpftrace abbreviates exact multiples.
    static func number(_ v: Int64) -> String {
        let units = ["", "K", "M", "G", "T", "P", "E"]
        var n = v, i = 0
        while n != 0 && n % 1024 == 0 && i < units.count - 1 {
            n /= 1024
            i += 1
        }
        return "\(n)\(units[i])"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

extension SType {
    var isSignedInteger: Bool { if case .integer(_, true) = self { true } else { false } }
}
