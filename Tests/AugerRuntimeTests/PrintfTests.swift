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
