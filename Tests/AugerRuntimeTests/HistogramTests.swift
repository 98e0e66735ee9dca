import AugerCompiler
import XCTest
@testable import AugerRuntime

/// Bucket arithmetic (shared with code generation) and bpftrace's labels.
final class HistogramTests: XCTestCase {
    func testEveryValueFallsInsideItsBucketsBounds() {
        let kinds: [HistogramBuckets] = [.log2(bits: 0), .log2(bits: 2), .log2(bits: 5), .linear(min: -10, max: 100, step: 7)]
        var values: [Int64] = [-1000, -1, 0, 1, 2, 3, 4, 5, 7, 8, 9, 99, 100, 101, 1023, 1024, 1025, 1 << 40, Int64.max - 1]
        values += (0..<200).map { Int64($0 * 37) }
        for kind in kinds {
            for v in values {
                let b = kind.bucket(of: v)
                let (lo, hi) = kind.bounds(of: b)
                XCTAssertTrue((lo ?? .min) <= v && v <= (hi ?? .max), "\(kind): \(v) in bucket \(b) = [\(String(describing: lo)), \(String(describing: hi))]")
            }
        }
    }

    func testLog2BucketsAreContiguous() {
        for bits in [0, 1, 3] {
            let kind = HistogramBuckets.log2(bits: bits)
            for b in 1..<60 {
                XCTAssertEqual(kind.bounds(of: b).upper! + 1, kind.bounds(of: b + 1).lower!, "bits \(bits), bucket \(b)")
            }
        }
    }

    func testLabelsAsBpftracePrintsThem() {
        let log2 = HistogramBuckets.log2(bits: 0)
        XCTAssertEqual(HistogramLabels.label(bucket: 0, log2), "(..., 0)")
        XCTAssertEqual(HistogramLabels.label(bucket: 1, log2), "[0]")
        XCTAssertEqual(HistogramLabels.label(bucket: 2, log2), "[1]")
        XCTAssertEqual(HistogramLabels.label(bucket: log2.bucket(of: 1500), log2), "[1K, 2K)")
        XCTAssertEqual(HistogramLabels.label(bucket: log2.bucket(of: 3 << 20), log2), "[2M, 4M)")
        let linear = HistogramBuckets.linear(min: 0, max: 2048, step: 1024)
        XCTAssertEqual(HistogramLabels.label(bucket: 0, linear), "(..., 0)")
        XCTAssertEqual(HistogramLabels.label(bucket: 2, linear), "[1K, 2K)")
        XCTAssertEqual(HistogramLabels.label(bucket: 3, linear), "[2K, ...)")
    }

    func testFinerLog2Buckets() {
        // hist(v, 2): four buckets a power of two, so [8, 10), [10, 12), …
        let kind = HistogramBuckets.log2(bits: 2)
        XCTAssertEqual(HistogramLabels.label(bucket: kind.bucket(of: 9), kind), "[8, 10)")
        XCTAssertEqual(HistogramLabels.label(bucket: kind.bucket(of: 3), kind), "[3]")
        XCTAssertEqual(kind.bucket(of: 10), kind.bucket(of: 11))
        XCTAssertNotEqual(kind.bucket(of: 11), kind.bucket(of: 12))
    }
}
