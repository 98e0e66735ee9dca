import Foundation
import XCTest

/// Every conformance program that Auger compiles must also pass the
/// kernel's verifier: code generation may refuse a feature, but what it
/// emits must load.
final class VerifierCorpusTests: AugerTestCase {
    func testCompiledConformanceProgramsLoad() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/conformance/bpftrace-runtime")
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw XCTSkip("conformance data not found at \(directory.path)")
        }
        var programs: [String] = []
        for file in files.sorted() where file != "LICENSE" {
            guard let text = try? String(contentsOfFile: directory.appendingPathComponent(file).path, encoding: .utf8) else { continue }
            programs += text.split(separator: "\n").filter { $0.hasPrefix("PROG ") }.map { String($0.dropFirst(5)) }
        }
        XCTAssertGreaterThan(programs.count, 600)
        var loaded = 0
        var rejected: [String] = []
        for program in programs {
            let r = try auger(["--dry-run", "-e", program], timeout: 30)
            if r.status == 0 { loaded += 1 }
            if r.stderr.contains("verifier rejected") { rejected.append(program + "\n" + r.stderr) }
        }
        print("conformance programs that compile and load: \(loaded) of \(programs.count)")
        XCTAssertGreaterThan(loaded, 250)
        XCTAssertEqual(rejected, [], rejected.joined(separator: "\n\n"))
    }
}
