import ELF
import TestSupport
import Foundation
import XCTest
@testable import AugerRuntime

/// The DWARF reader on what gcc writes (DWARF 4 and 5), and on corruptions of it.
extension AttachResolutionTests {
    func buildDebugFixture(_ flags: [String]) throws -> String {
        let source = directory + "/debug_fixture.c", binary = directory + "/debug_fixture" + flags.joined()
        try """
        struct Inner { char tag[6]; unsigned short port; };
        struct Outer { int a; const char *name; struct Inner inner; struct Inner *next[2]; long flags : 3; };
        typedef struct Outer outer_t;
        enum colour { RED, GREEN };
        __attribute__((noinline)) int visit(outer_t *o, const char *label, unsigned char small, enum colour c, long *many[3]) { return o->a + small + c + (label != 0) + (many != 0); }
        int main(void) { struct Outer o = {0}; return visit(&o, "x", 1, GREEN, 0); }
        """.write(toFile: source, atomically: true, encoding: .utf8)
        let status = run("/usr/bin/env", ["cc", "-O0"] + flags + ["-o", binary, source])
        try TestGate.require(status == 0 ? nil : "cc could not build a DWARF fixture (status \(status))", what: "DWARF test")
        return binary
    }

    func testDWARFParametersAndStructsAsCSpellsThem() throws {
        for flags in [["-gdwarf-4"], ["-gdwarf-5"]] {
            let binary = try buildDebugFixture(flags)
            let entries = try XCTUnwrap(DWARFEntries(elf: Array(Data(contentsOf: URL(fileURLWithPath: binary)))), "\(flags)")
            XCTAssertNil(entries.problem, "\(flags)")
            let visit = try XCTUnwrap(entries.function(named: "visit"))
            XCTAssertEqual(visit.parameters.map { "\($0.type.spelling) \($0.name)" },
                           ["outer_t* o", "const char* label", "unsigned char small", "enum colour c", "long int** many"], "\(flags)")
            let outer = try XCTUnwrap(entries.record(named: "struct Outer"))
            let definition = try XCTUnwrap(entries.cDefinition(ofRecordAt: outer))
            XCTAssertEqual(definition.text, "struct Outer { int a; const char *name; struct Inner inner; struct Inner *next[2]; long int flags : 3; };", "\(flags)")
            XCTAssertEqual(definition.uses.compactMap { entries.cDefinition(ofRecordAt: $0)?.text },
                           ["struct Inner { char tag[6]; short unsigned int port; };", "struct Inner { char tag[6]; short unsigned int port; };"])
            // args: registers up to the first parameter that is not a scalar (the array is a pointer, so all five).
            // The line table: visit's first instruction is line 5's.
            let lines = try XCTUnwrap(DWARFLines(elf: Array(Data(contentsOf: URL(fileURLWithPath: binary)))))
            let address = try XCTUnwrap(ELFSymbols(path: binary)?.function(named: "visit")?.address)
            let location = try XCTUnwrap(lines.location(of: address))
            XCTAssertTrue(location.file.hasSuffix("debug_fixture.c") && location.line == 5, "\(location) \(flags)")
            XCTAssertEqual(lines.addresses(file: "debug_fixture.c", line: 5).first, address, "\(flags)")
            XCTAssertTrue(lines.addresses(file: "debug_fixture.c", line: 1).isEmpty)
            let signature = UserDebugInfo.signature(visit)
            XCTAssertEqual(signature.parameters.map(\.name), ["o", "label", "small", "c", "many"])
            XCTAssertEqual(signature.parameters.map(\.type), [.pointer(.cType("struct Outer")), .pointer(.i8), .u8, .u32, .pointer(.pointer(.i64))])
        }
    }

    /// Bytes flipped in the debug sections with a fixed seed: entries or nil, never a trap.
    func testCorruptDWARFNeverTraps() throws {
        let binary = try buildDebugFixture(["-gdwarf-5"])
        let good = try Array(Data(contentsOf: URL(fileURLWithPath: binary)))
        let elf = try XCTUnwrap(ELFSections(bytes: good))
        let debug = elf.sections.filter { [".debug_info", ".debug_abbrev", ".debug_str", ".debug_str_offsets", ".debug_line", ".debug_line_str"].contains($0.name) && $0.size > 0 }
        XCTAssertGreaterThanOrEqual(debug.count, 3)
        var seed: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Int { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return Int(seed % UInt64(Int.max)) }
        var parsed = 0
        for _ in 0..<3000 {
            var bytes = good
            for _ in 0..<(1 + next() % 6) {
                let s = debug[next() % debug.count]
                bytes[s.offset + next() % s.size] = UInt8(next() & 0xff)
            }
            if let lines = DWARFLines(elf: bytes) { _ = lines.location(of: UInt64(next())); _ = lines.addresses(file: "debug_fixture.c", line: 5) }
            guard let entries = DWARFEntries(elf: bytes) else { continue }
            parsed += 1
            if let f = entries.function(named: "visit") { _ = f.parameters.map(\.type.spelling); _ = UserDebugInfo.signature(f) }
            if let r = entries.record(named: "struct Outer") { _ = entries.cDefinition(ofRecordAt: r) }
        }
        XCTAssertGreaterThan(parsed, 0)
    }
}
