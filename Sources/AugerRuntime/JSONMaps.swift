import AugerCompiler
import AugerScript

/// bpftrace's `-f json` records for maps.
struct JSONMaps {
    let printer: MapPrinter
    var decoder: ValueDecoder { printer.decoder }

    func record(_ map: ScriptMap, _ entries: [MapEntry], top: Int, div: Int) -> String {
        var list = printer.sorted(entries, map)
        if top > 0 && list.count > top { list = Array(list.suffix(top)) }
        let name = JSON.quote("@" + map.name)
        if case .tseries(let interval, let intervals, _) = map.kind { return timeSeries(map, entries, name, interval, intervals) }
        let isHist: Bool
        switch map.kind { case .hist, .lhist: isHist = true; default: isHist = false }
        let type = isHist ? "hist" : (map.kind == .aggregate(.stats) || map.kind == .aggregate(.avg) ? "stats" : "map")
        func value(_ e: MapEntry) -> String {
            switch e.value {
            case .histogram(let buckets): return histogram(buckets, map.kind)
            case .stats(let s, let c): return "{\"count\": \(c), \"average\": \(c == 0 ? 0 : s / Int128(c)), \"total\": \(s)}"
            case .bytes(let b) where !map.value.isPlainInteger: return decoder.json(map.value, b)
            default: return printer.valueText(e.value, map, div: div)
            }
        }
        if map.key == nil, let only = list.first {
            return "{\"type\": \"\(type)\", \"data\": {\(name): \(value(only))}}"
        }
        let body = list.map { e -> String in
            var key = decoder.text(map.key!, e.key)
            if case .tuple = map.key!, key.hasPrefix("(") { key = String(key.dropFirst().dropLast()).replacingOccurrences(", ", ",") }
            return "\(JSON.quote(key)): \(value(e))"
        }.joined(separator: ", ")
        return "{\"type\": \"\(type)\", \"data\": {\(name): {\(body)}}}"
    }

    func timeSeries(_ map: ScriptMap, _ entries: [MapEntry], _ name: String, _ interval: Int64, _ intervals: Int64) -> String {
        let series = TimeSeries.rows(entries, intervals: intervals)
        let data: String
        if let key = map.key {
            data = "{" + series.map { e, rows in
                JSON.quote(decoder.text(key, e.key)) + ": " + TimeSeries.json(rows, interval: interval)
            }.joined(separator: ", ") + "}"
        } else {
            data = TimeSeries.json(series.first?.rows ?? [], interval: interval)
        }
        return "{\"type\": \"tseries\", \"data\": {\(name): \(data)}}"
    }

    func histogram(_ buckets: [Int: UInt64], _ kind: ScriptMap.Kind) -> String {
        guard let first = buckets.filter({ $0.value > 0 }).keys.min(), let last = buckets.filter({ $0.value > 0 }).keys.max() else { return "[]" }
        let rows = (first...last).map { b -> String in
            let count = buckets[b] ?? 0
            let (lo, hi) = bounds(b, kind)
            var fields: [String] = []
            if let lo { fields.append("\"min\": \(lo)") }
            if let hi { fields.append("\"max\": \(hi)") }
            fields.append("\"count\": \(count)")
            return "{" + fields.joined(separator: ", ") + "}"
        }
        return "[" + rows.joined(separator: ", ") + "]"
    }

    /// Inclusive bounds of a bucket; nil for an open end.
    func bounds(_ b: Int, _ kind: ScriptMap.Kind) -> (Int64?, Int64?) {
        switch kind {
        case .hist(let bits):
            if b == 0 { return (nil, -1) }
            if b == 1 { return (0, 0) }
            let (lo, hi) = HistogramLabels.log2Range(b, bits: bits)
            return (lo, hi - 1)
        case .lhist(let min, let max, let step):
            let buckets = Int((max - min) / step)
            if b == 0 { return (nil, min - 1) }
            if b > buckets { return (min + Int64(buckets) * step, nil) }
            let lo = min + Int64(b - 1) * step
            return (lo, lo + step - 1)
        default: return (nil, nil)
        }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
