import XCTest
import BPF

final class KernelMapTests: KernelTestCase {
    func testHashLikeMapsRoundTrip() throws {
        for type in [MapType.hash, .lruHash] {
            let map = try Map(MapSpec(name: "h", type: type, keySize: 8, valueSize: 16, maxEntries: 64))
            try map.update(UInt64(7), (UInt64(1), UInt64(2)))
            try map.update(UInt64(9), (UInt64(3), UInt64(4)))
            let v = try XCTUnwrap(map.lookup(UInt64(7), as: (UInt64, UInt64).self))
            XCTAssertEqual(v.0, 1)
            XCTAssertEqual(v.1, 2)
            XCTAssertNil(try map.lookup(UInt64(8), as: (UInt64, UInt64).self))
            XCTAssertEqual(Set(try map.keys()), [rawBytes(of: UInt64(7)), rawBytes(of: UInt64(9))], "\(type)")
            XCTAssertTrue(try map.delete(key: rawBytes(of: UInt64(7))))
            XCTAssertFalse(try map.delete(key: rawBytes(of: UInt64(7))))
            XCTAssertEqual(try map.keys(), [rawBytes(of: UInt64(9))])
        }
    }

    func testUpdateFlags() throws {
        let map = try Map(MapSpec(name: "flags", type: .hash, keySize: 4, valueSize: 4, maxEntries: 4))
        try map.update(UInt32(1), UInt32(10), flags: .noExist)
        XCTAssertThrowsError(try map.update(UInt32(1), UInt32(11), flags: .noExist)) {
            XCTAssertEqual(($0 as? BPFError)?.errno, .exists)
        }
        XCTAssertThrowsError(try map.update(UInt32(2), UInt32(20), flags: .exist)) {
            XCTAssertEqual(($0 as? BPFError)?.errno, .noEntry)
        }
        try map.update(UInt32(1), UInt32(12), flags: .exist)
        XCTAssertEqual(try map.lookup(UInt32(1), as: UInt32.self), 12)
    }

    func testArrayMap() throws {
        let map = try Map(MapSpec(name: "arr", type: .array, keySize: 4, valueSize: 8, maxEntries: 4))
        XCTAssertEqual(try map.lookup(UInt32(3), as: UInt64.self), 0, "array entries exist from the start")
        XCTAssertNil(try map.lookup(UInt32(4), as: UInt64.self))
        try map.update(UInt32(2), UInt64.max)
        XCTAssertEqual(try map.lookup(UInt32(2), as: UInt64.self), .max)
        XCTAssertEqual(try map.keys().count, 4)
    }

    func testPerCPUMapsHoldOneValuePerCPU() throws {
        let n = CPU.possibleCount
        XCTAssertGreaterThan(n, 0)
        for type in [MapType.percpuHash, .percpuArray, .lruPercpuHash] {
            let map = try Map(MapSpec(name: "pc", type: type, keySize: 4, valueSize: 4, maxEntries: 8))
            XCTAssertEqual(map.valueBufferSize, 8 * n, "4-byte values padded to 8 per CPU")
            var value: [UInt8] = []
            for cpu in 0..<n { value += rawBytes(of: UInt32(100 + cpu)) + [0, 0, 0, 0] }
            try map.update(key: rawBytes(of: UInt32(1)), value: value)
            XCTAssertEqual(try map.lookupPerCPU(UInt32(1), as: UInt32.self), (0..<n).map { UInt32(100 + $0) }, "\(type)")
        }
    }

    func testWrongSizesAreRefusedBeforeTheKernel() throws {
        let map = try Map(MapSpec(name: "sizes", type: .hash, keySize: 4, valueSize: 8, maxEntries: 4))
        XCTAssertThrowsError(try map.update(key: [1, 2], value: [UInt8](repeating: 0, count: 8)))
        XCTAssertThrowsError(try map.update(key: [1, 2, 3, 4], value: [1]))
    }

    func testFreezeMakesMapReadOnly() throws {
        let map = try Map(MapSpec(name: "frozen", type: .array, keySize: 4, valueSize: 4, maxEntries: 1))
        try map.update(UInt32(0), UInt32(5))
        try map.freeze()
        XCTAssertThrowsError(try map.update(UInt32(0), UInt32(6))) { XCTAssertEqual(($0 as? BPFError)?.errno, .notPermitted) }
        XCTAssertEqual(try map.lookup(UInt32(0), as: UInt32.self), 5)
    }

    func testStackTraceAndPerfEventArrayMaps() throws {
        let stacks = try Map(MapSpec(name: "stacks", type: .stackTrace, keySize: 4, valueSize: 127 * 8, maxEntries: 16))
        XCTAssertNil(try stacks.lookup(key: rawBytes(of: UInt32(0))))
        let perf = try Map(MapSpec(name: "perf", type: .perfEventArray, keySize: 4, valueSize: 4, maxEntries: UInt32(CPU.possibleCount)))
        let event = try PerfEvent.software(.bpfOutput, rate: .period(1), cpu: 0)
        try perf.update(UInt32(0), UInt32(event.fd.rawValue))
        XCTAssertTrue(try perf.delete(key: rawBytes(of: UInt32(0))))
    }

    func testNamesReachTheKernel() throws {
        let map = try Map(MapSpec(name: "@with:odd chars and a long name", type: .array, keySize: 4, valueSize: 4, maxEntries: 1))
        let info = try map.info()
        XCTAssertEqual(info.name, "_with_odd_chars")
        XCTAssertEqual(info.type, MapType.array.rawValue)
        XCTAssertTrue(try LoadedObjects.mapIDs().contains(info.id))
    }

    func testBatchLookupOf100000EntriesEqualsIteration() throws {
        let count = 100_000
        for type in [MapType.hash, .percpuHash] {
            let map = try Map(MapSpec(name: "big", type: type, keySize: 4, valueSize: 8, maxEntries: UInt32(count)))
            let perCPU = map.valueBufferSize / 8
            for i in 0..<UInt32(count) {
                try map.update(key: rawBytes(of: i), value: (0..<perCPU).flatMap { rawBytes(of: UInt64(i) * 3 + UInt64($0)) })
            }
            let batched = try XCTUnwrap(map.lookupBatch(chunk: 1000), "this kernel batches \(type) maps")
            XCTAssertEqual(batched.count, count)
            var iterated: [[UInt8]: [UInt8]] = [:]
            for key in try map.keys() { iterated[key] = try map.lookup(key: key) }
            XCTAssertEqual(iterated.count, count)
            var fromBatch: [[UInt8]: [UInt8]] = [:]
            for (k, v) in batched { fromBatch[k] = v }
            XCTAssertEqual(fromBatch, iterated, "\(type)")
            XCTAssertEqual(fromBatch[rawBytes(of: UInt32(12345))], (0..<perCPU).flatMap { rawBytes(of: UInt64(12345 * 3 + $0)) })
        }
    }

    func testEntriesFallsBackToIterationForArrays() throws {
        let map = try Map(MapSpec(name: "arr", type: .array, keySize: 4, valueSize: 4, maxEntries: 3))
        try map.update(UInt32(1), UInt32(42))
        let entries = try map.entries()
        XCTAssertEqual(entries.count, 3)
        XCTAssertEqual(entries[1].value, rawBytes(of: UInt32(42)))
    }
}
