import AugerCompiler
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// tseries() maps: reading their per-CPU buckets and drawing them as
/// bpftrace does, a time axis down the left and the values across.
enum TimeSeries {
    /// Epoch → value, for one key.
    typealias Series = [UInt64: Int128]

    /// One bucket's per-CPU (value, meta, epoch) triples merged: the newest
    /// epoch's value. Epoch 0 marks an unused slot; none at all gives (0, 0).
    static func reduce(_ cpus: [[UInt8]], _ aggregation: TSeriesAggregation, signed: Bool, _ decoder: ValueDecoder) -> (UInt64, Int128) {
        var byEpoch: [UInt64: (value: Int128, meta: UInt64)] = [:]
        for cpu in cpus {
            let raw = decoder.word(cpu[...]), meta = decoder.word(cpu[...], 8), epoch = decoder.word(cpu[...], 16)
            guard epoch != 0 else { continue }
            let value = signed ? Int128(Int64(bitPattern: raw)) : Int128(raw)
            guard let current = byEpoch[epoch] else {
                byEpoch[epoch] = (value, meta)
                continue
            }
            switch aggregation {
            case .none: if meta > current.meta { byEpoch[epoch] = (value, meta) }
            case .avg: byEpoch[epoch] = (current.value + value, current.meta + meta)
            case .sum: byEpoch[epoch] = (current.value + value, current.meta)
            case .min: byEpoch[epoch] = (Swift.min(current.value, value), current.meta)
            case .max: byEpoch[epoch] = (Swift.max(current.value, value), current.meta)
            }
        }
        guard let latest = byEpoch.keys.max(), let v = byEpoch[latest] else { return (0, 0) }
        if aggregation == .avg { return (latest, v.meta == 0 ? 0 : v.value / Int128(v.meta)) }
        return (latest, v.value)
    }

    /// Each entry's rows, in one window for all of a map's keys.
    static func rows(_ entries: [MapEntry], intervals: Int64) -> [(entry: MapEntry, rows: [(UInt64, Int128?)])] {
        let all = entries.map { e -> Series in if case .timeSeries(let s) = e.value { s } else { [:] } }
        let window = window(all, intervals: intervals)
        return zip(entries, all).map { ($0, rows($1, window)) }
    }

    /// The epochs to show for every key: the map's newest and the n - 1
    /// before it (none when the newest is too early to have them).
    static func window(_ all: [Series], intervals: Int64) -> ClosedRange<UInt64>? {
        let last = all.flatMap(\.keys).max() ?? UInt64.max
        let n = UInt64(intervals)
        guard last &+ 1 >= n else { return nil }
        return (last + 1 - n)...last
    }

    /// A key's rows: from its first epoch with a value in the window to the
    /// window's end; nil marks an epoch without one.
    static func rows(_ series: Series, _ window: ClosedRange<UInt64>?) -> [(UInt64, Int128?)] {
        guard let window, let first = series.keys.filter({ window.contains($0) }).min() else { return [] }
        return (first...window.upperBound).map { ($0, series[$0]) }
    }

    /// Nanoseconds of CLOCK_TAI ahead of the wall clock, which tseries() reads.
    static let taiOffset: Int128 = {
        var tai = timespec(), wall = timespec()
        clock_gettime(CLOCK_TAI, &tai)
        clock_gettime(CLOCK_REALTIME, &wall)
        let ns = Int128(tai.tv_sec - wall.tv_sec) * 1_000_000_000 + Int128(tai.tv_nsec - wall.tv_nsec)
        return ns / 1_000_000_000 * 1_000_000_000  // whole seconds: the rest is the gap between the two reads
    }()

    /// Local time of a TAI timestamp: `%H:%M:%S` (or a full date) and the
    /// fraction of a second to `digits` places.
    static func time(_ taiNanoseconds: Int128, format: String, digits: Int) -> String {
        let ns = taiNanoseconds - taiOffset
        var seconds = time_t(ns >= 0 ? ns / 1_000_000_000 : (ns - 999_999_999) / 1_000_000_000)
        let fraction = ns - Int128(seconds) * 1_000_000_000
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, format, &parts)
        var text = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if digits > 0 {
            var scaled = fraction
            for _ in digits..<9 { scaled /= 10 }
            let s = String(scaled)
            text += "." + String(repeating: "0", count: max(0, digits - s.count)) + s
        }
        return text
    }

    static let width = 53
    static let labelWidth = 21

    /// The graph bpftrace draws for one series.
    static func text(_ rows: [(UInt64, Int128?)], interval: Int64, signed: Bool) -> String {
        let values = rows.compactMap(\.1)
        guard var low = values.min(), var high = values.max() else { return "<no data>\n" }
        if low == high {
            // Room either side of a flat line, within the values' type.
            if low > (signed ? Int128(Int64.min) : 0) { low -= 1 }
            if high < (signed ? Int128(Int64.max) : Int128(UInt64.max)) { high += 1 }
        }
        let spacing = rows.count > 1 ? (Int128(rows.last!.0) - Int128(rows.first!.0)) * Int128(interval) / Int128(rows.count - 1) : 0
        // Digits of the second shown: the spacing's unit (s, ms, μs or ns).
        let (digits, unit) = spacing >= 1_000_000_000 ? (0, "") : spacing >= 1_000_000 ? (3, "ms") : spacing >= 1_000 ? (6, "μs") : (9, "ns")
        let timeWidth = 8 + (digits > 0 ? 1 + digits : 0)
        let timeHeader = "hh:mm:ss" + (digits > 0 ? "." + unit : "")
        func bytePadded(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.utf8.count)) }
        let scale = "\(String(low).padding(labelWidth))\(String(high).leftPadding(width - labelWidth))\n"
        var out = String(repeating: " ", count: timeWidth + 1) + scale
        out += bytePadded(timeHeader, timeWidth + 1) + "|" + String(repeating: "_", count: width - 2) + "|\n"
        let span = Float(high - low)
        let zero = low < 0 && high > 0 ? Int(Float(width) * Float(-low) / span) : 0
        for (epoch, value) in rows {
            var line = [Character](repeating: " ", count: width)
            line[0] = "|"
            line[width - 1] = "|"
            if zero > 0 { line[zero] = "." }
            out += time(Int128(epoch) * Int128(interval), format: "%H:%M:%S", digits: digits) + " "
            if let value {
                let at = Int(Float(width - 1) * Float(value - low) / span)
                line[Swift.max(0, Swift.min(width - 1, at))] = "*"
                out += String(line) + " \(value)\n"
            } else {
                out += String(line) + " -\n"
            }
        }
        out += String(repeating: " ", count: timeWidth) + " v" + String(repeating: "_", count: width - 2) + "v\n"
        out += String(repeating: " ", count: timeWidth) + " " + scale
        return out
    }

    /// `[{"interval_start": "1970-01-01 00:00:00.500000000", "value": 9}, …]`:
    /// the rows with values.
    static func json(_ rows: [(UInt64, Int128?)], interval: Int64) -> String {
        let items = rows.compactMap { epoch, value in
            value.map { "{\"interval_start\": \"\(time(Int128(epoch) * Int128(interval), format: "%Y-%m-%d %H:%M:%S", digits: 9))\", \"value\": \($0)}" }
        }
        return "[" + items.joined(separator: ", ") + "]"
    }
}
