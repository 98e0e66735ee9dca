import XCTest
import AugerScript

final class ConformanceSemaTests: XCTestCase {
    /// Programs bpftrace accepts should type-check here too. Without the
    /// kernel's types some facts stay unknown, and unknown passes every check.
    func testConformanceProgramsTypeCheck() throws {
        guard let corpus = ConformanceCorpus.load() else { throw XCTSkip("conformance data not found") }
        var failures: [String] = []
        for entry in corpus where entry.isValid {
            let source = SourceFile(name: "stdin", text: entry.program)
            let (program, parseDiagnostics) = Parser.parse(source)
            guard !parseDiagnostics.hasErrors else { continue }
            let checked = Sema.check(program)
            if checked.diagnostics.hasErrors {
                failures.append("\(entry.file): \(entry.name)\n\(checked.diagnostics.rendered(in: source))")
            }
        }
        print("conformance programs that do not type-check: \(failures.count)")
        XCTAssertEqual(failures.count, 0, failures.joined(separator: "\n\n"))
    }
}
