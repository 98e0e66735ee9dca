import AugerCompiler
import AugerScript
import BPF
import Foundation
import XCTest
@testable import AugerRuntime

/// Maps and entries built in memory, as the runtime would read them from
/// the kernel, so printing is tested without root.
enum Fixture {
    static let decoder = ValueDecoder(symbols: KernelSymbols())
    static let printer = MapPrinter(decoder: decoder)

    static func map(_ name: String, key: SType? = nil, value: SType = .i64, kind: ScriptMap.Kind = .plain) -> ScriptMap {
        let keySize = key.map { Layout.size($0) } ?? 8
        let spec = MapSpec(name: "m_" + name, type: .hash, keySize: UInt32(keySize), valueSize: 8, maxEntries: 16)
        return ScriptMap(id: 0, name: name, key: key, value: value, kind: kind, spec: spec, userKeySize: keySize)
    }

    static func word(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func string(_ s: String, _ size: Int) -> [UInt8] {
        Array((Array(s.utf8) + [UInt8](repeating: 0, count: size)).prefix(size))
    }

    /// A hist() or lhist() entry holding `values`, bucketed as programs bucket them.
    static func histogram(_ values: [Int64], _ buckets: HistogramBuckets, key: [UInt8] = []) -> MapEntry {
        var counts: [Int: UInt64] = [:]
        for v in values { counts[buckets.bucket(of: v), default: 0] += 1 }
        return MapEntry(key: key[...], value: .histogram(counts))
    }

    static func text(_ map: ScriptMap, _ entries: [MapEntry], top: Int = 0, div: Int = 0) -> String {
        printer.text(map, entries, top: top, div: div)
    }

    /// A map as the text format writes it, blank line after included.
    static func record(_ map: ScriptMap, _ entries: [MapEntry], top: Int = 0, div: Int = 0) -> String {
        let out = OutputSink(fd: -1)
        TextOutput().map(map, entries, printer, top: top, div: div, out: out)
        return out.pendingText
    }

    static func json(_ map: ScriptMap, _ entries: [MapEntry]) -> String {
        JSONMaps(printer: printer).record(map, entries, top: 0, div: 0)
    }

    /// bpftrace's expected outputs, from the conformance data next to the project.
    static func expected(_ name: String) throws -> String {
        let here = URL(fileURLWithPath: #filePath)
        let path = here.deletingLastPathComponent().appendingPathComponent("../../../shared/conformance/bpftrace-runtime/outputs/\(name)").standardized.path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw XCTSkip("no conformance data at \(path)")
        }
        return text
    }

    /// JSON texts as values, so layout does not matter (bpftrace's EXPECT_JSON).
    static func assertSameJSON(_ actual: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        func parse(_ s: String) -> NSObject? {
            (try? JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed])) as? NSObject
        }
        guard let a = parse(actual) else { return XCTFail("not JSON: \(actual)", file: file, line: line) }
        XCTAssertEqual(a, parse(expected), "\(actual)\nexpected\n\(expected)", file: file, line: line)
    }
}
