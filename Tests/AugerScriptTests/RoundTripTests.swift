import XCTest
import AugerScript

final class RoundTripTests: XCTestCase {
    /// print(parse(print(parse(s)))) == print(parse(s)) for every program in
    /// the corpus: the printer writes what the parser reads back unchanged.
    func testConformanceProgramsRoundTrip() throws {
        guard let corpus = ConformanceCorpus.load() else { throw XCTSkip("conformance data not found") }
        var checked = 0
        for entry in corpus where entry.isValid {
            let first = Parser.parse(SourceFile(name: "stdin", text: entry.program))
            guard !first.diagnostics.hasErrors else { continue }
            let printed = Printer.print(first.program)
            let source = SourceFile(name: "stdin", text: printed)
            let second = Parser.parse(source)
            XCTAssertFalse(second.diagnostics.hasErrors, "\(entry.name):\n\(printed)\n\(second.diagnostics.rendered(in: source))")
            XCTAssertEqual(Printer.print(second.program), printed, entry.name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 600)
    }
}
