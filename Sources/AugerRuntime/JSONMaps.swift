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
            case .histogram(let buckets): return histogram(buckets, map.histogram)
            case .stats(let s, let c): return "{\"count\": \(c), \"average\": \(c == 0 ? 0 : s / Int128(c)), \"total\": \(s)}"
            case .bytes(let b) where !map.value.isPlainInteger: return decoder.json(map.value, b)
            default: return printer.valueText(e.value, map, div: div)
            }
        }
        if map.key == nil, let only = list.first {
            return "{\"type\": \"\(type)\", \"data\": {\(name): \(value(only))}}"
        }
        let body = list.map { e -> String in
            "\(JSON.quote(keyText(map.key!, e.key))): \(value(e))"
        }.joined(separator: ", ")
        return "{\"type\": \"\(type)\", \"data\": {\(name): {\(body)}}}"
    }

    /// A map key as a JSON object's name. Several keys are joined with commas,
    /// as bpftrace joins them ("curl,3"); one that itself holds a comma or a
    /// quote is quoted CSV-style, so `@["x,a", "b"]` and `@["x", "a,b"]` stay two names.
    func keyText(_ type: SType, _ bytes: ArraySlice<UInt8>) -> String {
        guard case .tuple(let types) = type else { return decoder.text(type, bytes) }
        return zip(types, Layout.offsets(types)).map { element, offset in
            let text = decoder.text(element, bytes.dropFirst(offset))
            guard text.contains(where: { $0 == "," || $0 == "\"" }) else { return text }
            return "\"" + text.replacingOccurrences("\"", "\"\"") + "\""
        }.joined(separator: ",")
    }

    func timeSeries(_ map: ScriptMap, _ entries: [MapEntry], _ name: String, _ interval: Int64, _ intervals: Int64) -> String {
        let series = TimeSeries.rows(entries, intervals: intervals)
        let data: String
        if let key = map.key {
            data = "{" + series.map { e, rows in
                JSON.quote(keyText(key, e.key)) + ": " + TimeSeries.json(rows, interval: interval)
            }.joined(separator: ", ") + "}"
        } else {
            data = TimeSeries.json(series.first?.rows ?? [], interval: interval)
        }
        return "{\"type\": \"tseries\", \"data\": {\(name): \(data)}}"
    }

    func histogram(_ buckets: [Int: UInt64], _ kind: HistogramBuckets?) -> String {
        guard let kind, let first = buckets.filter({ $0.value > 0 }).keys.min(), let last = buckets.filter({ $0.value > 0 }).keys.max() else { return "[]" }
        let rows = (first...last).map { b -> String in
            let count = buckets[b] ?? 0
            let (lo, hi) = kind.bounds(of: b)
            var fields: [String] = []
            if let lo { fields.append("\"min\": \(lo)") }
            if let hi { fields.append("\"max\": \(hi)") }
            fields.append("\"count\": \(count)")
            return "{" + fields.joined(separator: ", ") + "}"
        }
        return "[" + rows.joined(separator: ", ") + "]"
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
