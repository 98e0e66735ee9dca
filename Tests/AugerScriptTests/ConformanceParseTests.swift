import XCTest
import AugerScript

final class ConformanceParseTests: XCTestCase {
    func testEveryConformanceProgramParses() throws {
        guard let corpus = ConformanceCorpus.load() else {
            throw XCTSkip("conformance data not found at \(ConformanceCorpus.directory.path)")
        }
        XCTAssertGreaterThan(corpus.count, 600)
        var failures: [String] = []
        for entry in corpus where entry.isValid {
            let source = SourceFile(name: "stdin", text: entry.program)
            let (_, diagnostics) = Parser.parse(source)
            if diagnostics.hasErrors {
                failures.append("\(entry.file): \(entry.name)\n\(diagnostics.rendered(in: source))")
            }
        }
        print("conformance programs that do not parse: \(failures.count)")
        XCTAssertEqual(failures, [], failures.joined(separator: "\n\n"))
    }
}
