import AugerCompiler
import AugerScript
import XCTest
@testable import AugerRuntime

/// printf records formatted as C's printf formats them.
final class PrintfTests: XCTestCase {
    /// Formats `format` with arguments laid out as programs lay out records.
    func printf(_ format: String, _ arguments: [(SType, [UInt8])]) throws -> String {
        let types = arguments.map(\.0)
        let offsets = Layout.offsets(types).map { $0 + 8 }
        var record = [UInt8](repeating: 0, count: 8)
        for ((type, bytes), offset) in zip(arguments, offsets) {
            if record.count < offset + Layout.size(type) { record += [UInt8](repeating: 0, count: offset + Layout.size(type) - record.count) }
            record.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        }
        let call = FormattedCall(function: "printf", format: try FormatString(Array(format.utf8)), argumentTypes: types, offsets: offsets)
        return PrintfFormatter(decoder: Fixture.decoder).format(call, record[...])
    }

    /// Random formats over random argument types and bytes (records cut
    /// short too), with a fixed seed: each formats or is refused, never traps.
    func testRandomFormatsAndRecordsNeverTrap() throws {
        var seed: UInt64 = 0x5DEECE66D
        func next(_ n: Int) -> Int { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return Int(seed % UInt64(n)) }
        let pieces = ["%", "-", "+", " ", "#", "0", "5", "12", ".", ".3", "99999999", "*", "h", "hh", "l", "ll", "z", "j",
                      "d", "i", "u", "x", "X", "o", "s", "c", "p", "r", "rx", "rh", "%%", "a", "\n", "\0"]
        let types: [SType] = [.i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64, .string(1), .string(16), .string(64), .buffer(8),
                              .pointer(.u8), .bool, .ksym, .usym, .timestamp, .inet, .tuple([.u8, .string(4)]), .array(.u16, 3)]
        var formatted = 0
        for _ in 0..<20_000 {
            let format = (0..<(1 + next(8))).map { _ in pieces[next(pieces.count)] }.joined()
            guard let parsed = try? FormatString(Array(format.utf8)) else { continue }
            let argumentTypes = (0..<next(4)).map { _ in types[next(types.count)] }
            let offsets = Layout.offsets(argumentTypes).map { $0 + 8 }
            let full = 8 + argumentTypes.map(Layout.size).reduce(0, +) + 16
            let record = (0..<(next(4) == 0 ? next(full) : full)).map { _ in UInt8(truncatingIfNeeded: next(256)) }
            let call = FormattedCall(function: "printf", format: parsed, argumentTypes: argumentTypes, offsets: offsets)
            let out = PrintfFormatter(decoder: Fixture.decoder).format(call, record[...])
            XCTAssertLessThanOrEqual(out.utf8.count, 1 << 24, format)
            formatted += 1
        }
        XCTAssertGreaterThan(formatted, 1000, "too few random formats parsed to test anything")
    }

    func testIntegersWithWidthsAndFlags() throws {
        XCTAssertEqual(try printf("%d|%5d|%-5d|%05d\n", [(.i64, Fixture.word(-42)), (.i64, Fixture.word(7)), (.i64, Fixture.word(7)), (.i64, Fixture.word(7))]),
                       "-42|    7|7    |00007\n")
    }

    func testHexAndUnsigned() throws {
        XCTAssertEqual(try printf("%x %X %#x %lu %u", [(.u64, Fixture.word(255)), (.u64, Fixture.word(255)), (.u64, Fixture.word(16)), (.u64, Fixture.word(-1)), (.u64, Fixture.word(-1))]),
                       "ff FF 0x10 18446744073709551615 4294967295")
    }

    func testNarrowSignedArgumentsSignExtendAsCPromotesThem() throws {
        // -1 is an int8 literal: %lu shows it as a 64-bit unsigned, %u as 32-bit.
        XCTAssertEqual(try printf("%lu %u %d", [(.i8, [255]), (.i8, [255]), (.i8, [255])]), "18446744073709551615 4294967295 -1")
        XCTAssertEqual(try printf("%lu", [(.u8, [255])]), "255")
    }

    func testLengthModifiersTruncate() throws {
        // %hhd of 300 is the low byte, signed: 44.
        XCTAssertEqual(try printf("%hhd %hd", [(.i64, Fixture.word(300)), (.i64, Fixture.word(70000))]), "44 4464")
    }

    func testStringsWithWidthAndPrecision() throws {
        XCTAssertEqual(try printf("[%s] [%8s] [%-8s] [%.2s]", [(.string(16), Fixture.string("auger", 16)), (.string(16), Fixture.string("auger", 16)),
                                                          (.string(16), Fixture.string("auger", 16)), (.string(16), Fixture.string("auger", 16))]),
                       "[auger] [   auger] [auger   ] [au]")
    }

    func testCharactersAndPercent() throws {
        XCTAssertEqual(try printf("%c%c 100%%", [(.i64, Fixture.word(79)), (.i64, Fixture.word(75))]), "OK 100%")
    }
}
