/// The buckets of hist() and lhist(), in one place for both sides: code
/// generation computes `bucket(of:)` in BPF (CodeGenMaps), printing reads
/// `bounds(of:)` for text labels and JSON.
public enum HistogramBuckets: Sendable, Equatable {
    /// Bucket 0 holds negative values, 1 holds 0, then 2^bits buckets for
    /// each power of two (bits = 0: one per power of two).
    case log2(bits: Int)
    /// Bucket 0 holds values below min, then one per step, the last those at or above max.
    case linear(min: Int64, max: Int64, step: Int64)

    /// How many step-wide buckets lie between min and max.
    public var linearSteps: Int64 {
        guard case .linear(let lo, let hi, let step) = self else { return 0 }
        return (hi - lo) / step
    }

    /// The bucket `value` falls in, as the programs compute it.
    public func bucket(of value: Int64) -> Int {
        switch self {
        case .log2(let bits):
            if value < 0 { return 0 }
            if value == 0 { return 1 }
            let n = 63 - value.leadingZeroBitCount  // floor(log2(value))
            if bits == 0 { return n + 2 }
            if n < bits { return Int(value) + 1 }
            let sub = Int(value >> Int64(n - bits)) & ((1 << bits) - 1)
            return ((n - bits + 1) << bits) + sub + 1
        case .linear(let lo, let hi, let step):
            if value < lo { return 0 }
            if value >= hi { return Int(linearSteps) + 1 }
            return Int((value - lo) / step) + 1
        }
    }

    /// The values bucket `b` holds, both ends inclusive; nil for an open end.
    public func bounds(of b: Int) -> (lower: Int64?, upper: Int64?) {
        switch self {
        case .log2(let bits):
            if b == 0 { return (nil, -1) }
            if b == 1 { return (0, 0) }
            if bits == 0 {
                let lo = Int64(1) << Int64(b - 2)
                return (lo, b - 2 >= 62 ? Int64.max - 1 : (lo << 1) - 1)
            }
            let steps = 1 << bits
            if b <= steps { return (Int64(b - 1), Int64(b - 1)) }
            let n = (b - 1) / steps - 1 + bits
            let sub = (b - 1) % steps
            let width = Int64(1) << Int64(n - bits)
            let lo = (Int64(1) << Int64(n)) + Int64(sub) * width
            return (lo, lo + (width - 1))  // the last bucket ends at Int64.max
        case .linear(let lo, _, let step):
            let steps = linearSteps
            if b == 0 { return (nil, lo - 1) }
            if b > steps { return (lo + steps * step, nil) }
            let start = lo + Int64(b - 1) * step
            return (start, start + step - 1)
        }
    }
}
