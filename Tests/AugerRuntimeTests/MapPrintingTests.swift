import AugerCompiler
import AugerScript
import XCTest
@testable import AugerRuntime

/// Maps print byte for byte as bpftrace prints them (text) and as the same
/// values (JSON), against bpftrace's own expected outputs where there are some.
final class MapPrintingTests: XCTestCase {
    func testLog2HistogramMatchesBpftrace() throws {
        // call: begin { @=hist(-1); @=hist(2); @=hist(3); @=hist(7); @=hist(20); }
        let map = Fixture.map("", kind: .hist(bits: 0))
        let text = Fixture.text(map, [Fixture.histogram([-1, 2, 3, 7, 20], .log2(bits: 0))])
        XCTAssertEqual(text, try Fixture.expected("hist.txt"))
    }

    func testHistogramRowsRunFromFirstToLastNonEmptyBucket() throws {
        let map = Fixture.map("", kind: .hist(bits: 0))
        XCTAssertEqual(Fixture.text(map, [Fixture.histogram([3, 20], .log2(bits: 0))]), try Fixture.expected("hist_2_values.txt"))
    }

    func testLinearHistogramMatchesBpftrace() throws {
        let map = Fixture.map("", kind: .lhist(min: 0, max: 10, step: 2))
        let text = Fixture.text(map, [Fixture.histogram([2, 3, 7, -1, 11], .linear(min: 0, max: 10, step: 2))])
        XCTAssertEqual(text, try Fixture.expected("lhist.txt"))
    }

    func testHistogramJSON() throws {
        let map = Fixture.map("hist", kind: .hist(bits: 0))
        Fixture.assertSameJSON(Fixture.json(map, [Fixture.histogram([2, 1025], .log2(bits: 0))]), try Fixture.expected("hist.json"))
    }

    func testZeroedHistogramJSONIsEmpty() throws {
        let map = Fixture.map("hist", kind: .hist(bits: 0))
        let zeroed = MapEntry(key: [][...], value: .histogram([3: 0]))
        Fixture.assertSameJSON(Fixture.json(map, [zeroed]), try Fixture.expected("hist_zero.json"))
    }

    func testHistogramOfTenGigabytesJSON() throws {
        let map = Fixture.map("", kind: .hist(bits: 0))
        Fixture.assertSameJSON(Fixture.json(map, [Fixture.histogram([10 << 30], .log2(bits: 0))]), try Fixture.expected("hist_10g.json"))
    }

    func testLinearHistogramJSON() throws {
        let map = Fixture.map("h", kind: .lhist(min: 0, max: 100, step: 10))
        let entry = Fixture.histogram([2, 50, 1000], .linear(min: 0, max: 100, step: 10))
        Fixture.assertSameJSON(Fixture.json(map, [entry]), try Fixture.expected("lhist.json"))
    }

    func testStatsJSONAndText() throws {
        let map = Fixture.map("stats", kind: .aggregate(.stats))
        let entry = MapEntry(key: [][...], value: .stats(sum: 12, count: 2))
        Fixture.assertSameJSON(Fixture.json(map, [entry]), try Fixture.expected("stats.json"))
        XCTAssertEqual(Fixture.text(map, [MapEntry(key: [][...], value: .stats(sum: 6, count: 3))]),
                       "@stats: { .count = 3, .average = 2, .total = 6 }\n")
    }

    func testStringKeyedMapJSON() throws {
        let map = Fixture.map("map", key: .string(8))
        let entries = [("key2", 3), ("key1", 2)].map { MapEntry(key: Fixture.string($0.0, 8)[...], value: .bytes(Fixture.word(Int64($0.1))[...])) }
        Fixture.assertSameJSON(Fixture.json(map, entries), try Fixture.expected("map.json"))
    }

    func testTupleKeyJSONJoinsWithCommas() throws {
        // begin { @complex[comm,2] = 5; } with comm "bpftrace"
        let key = SType.tuple([.string(16), .i64])
        let map = Fixture.map("complex", key: key)
        let entry = MapEntry(key: (Fixture.string("bpftrace", 16) + Fixture.word(2))[...], value: .bytes(Fixture.word(5)[...]))
        Fixture.assertSameJSON(Fixture.json(map, [entry]), try Fixture.expected("complex.json"))
    }

    func testScalarJSON() throws {
        let map = Fixture.map("scalar")
        Fixture.assertSameJSON(Fixture.json(map, [MapEntry(key: [][...], value: .bytes(Fixture.word(5)[...]))]), try Fixture.expected("scalar.json"))
    }

    func testAveragesWithTopAndDivisor() throws {
        // print(@, 2, 10) of avg 10, 20, 30, 40 keyed a…d: the two largest, divided by 10.
        let map = Fixture.map("", key: .string(2), kind: .aggregate(.avg))
        let entries = [("a", 10), ("b", 20), ("c", 30), ("d", 40)].map {
            MapEntry(key: Fixture.string($0.0, 2)[...], value: .average(sum: Int128($0.1), count: 1))
        }
        XCTAssertEqual(Fixture.record(map, entries, top: 2, div: 10), try Fixture.expected("print_avg_map_args.txt"))
    }

    func testCountsSortByValueThenKey() {
        let map = Fixture.map("c", key: .string(4), kind: .aggregate(.count))
        let entries = [("b", 2), ("a", 2), ("z", 1)].map { MapEntry(key: Fixture.string($0.0, 4)[...], value: .number(Int128($0.1))) }
        XCTAssertEqual(Fixture.text(map, entries), "@c[z]: 1\n@c[a]: 2\n@c[b]: 2\n")
    }

    func testIntegerKeysWriteStraightToTheOutput() {
        let map = Fixture.map("n", key: .i64, kind: .aggregate(.sum))
        let entries = [(7, -3), (2, 10)].map { MapEntry(key: Fixture.word(Int64($0.0))[...], value: .number(Int128($0.1))) }
        let out = OutputSink(fd: -1)
        XCTAssertTrue(Fixture.printer.writeIntegers(map, entries, top: 0, div: 0, to: out))
        XCTAssertEqual(out.pendingText, "@n[7]: -3\n@n[2]: 10\n")
    }

    func testMinAndMaxPrintSignedValues() {
        let map = Fixture.map("m", kind: .aggregate(.min))
        XCTAssertEqual(Fixture.text(map, [MapEntry(key: [][...], value: .number(-5))]), "@m: -5\n")
    }

    func testUnsetScalarsPrintTheirZero() {
        XCTAssertEqual(Fixture.text(Fixture.map("a", kind: .aggregate(.avg)), Fixture.printer.zeroEntry(Fixture.map("a", kind: .aggregate(.avg)))), "@a: 0\n")
        XCTAssertTrue(Fixture.printer.zeroEntry(Fixture.map("h", kind: .hist(bits: 0))).isEmpty)
    }

    func testStringValuesPrintAsText() {
        let map = Fixture.map("s", value: .string(8))
        XCTAssertEqual(Fixture.text(map, [MapEntry(key: [][...], value: .bytes(Fixture.string("hi", 8)[...]))]), "@s: hi\n")
    }
}
