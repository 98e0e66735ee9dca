@testable import FlameGraph
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#else
import Foundation
#endif

final class FlameGraphTests: XCTestCase {
    func testFoldedLinesMergeIntoATree() {
        let stacks = FoldedStacks("""
            main;parse;lex 3
            main;parse 2
            main;run 5
            main;parse;lex 1
            # a comment
            not a stack
            std::vector<int>::push_back (int) 4
            main;zero 0

            """)
        XCTAssertEqual(stacks.root.total, 15)
        XCTAssertEqual(stacks.skippedLines, 1)
        XCTAssertEqual(stacks.depth, 3)
        let top = stacks.root.sortedChildren
        XCTAssertEqual(top.map(\.name), ["main", "std::vector<int>::push_back (int)"])
        XCTAssertEqual(top[0].total, 11)
        XCTAssertEqual(top[0].sortedChildren.map { "\($0.name)=\($0.total)" }, ["parse=6", "run=5"])
        XCTAssertEqual(top[0].sortedChildren[0].sortedChildren.map { "\($0.name)=\($0.total)" }, ["lex=4"])
    }

    func testCountsThatWouldOverflowAreSkipped() {
        let stacks = FoldedStacks("a 18446744073709551615\nb 1\nc 99999999999999999999999\n")
        XCTAssertEqual(stacks.root.total, UInt64.max)
        XCTAssertEqual(stacks.skippedLines, 2)
    }

    /// Frames as wide as their share of 1,180 pixels, callers below callees.
    func testFramesAreSizedByTheirSamples() throws {
        var svg = FlameGraphSVG()
        svg.title = "Test <graph> & \"co\""
        let out = svg.render(FoldedStacks("main;parse 30\nmain;run 10\nidle 20\n"))
        XCTAssertTrue(out.hasPrefix("<?xml"))
        XCTAssertTrue(out.hasSuffix("</svg>\n"))
        XCTAssertTrue(out.contains(">Test &lt;graph&gt; &amp; &quot;co&quot;</text>"))
        func frame(_ name: String) throws -> Substring {
            let start = try XCTUnwrap(out.range(of: "<g class=\"frame\" data-name=\"\(name)\""), name)
            return out[start.lowerBound...].prefix { $0 != "\n" }
        }
        // 60 samples over 1180 px: all 1180, main 786.7, parse 590, run 196.7, idle 393.3.
        XCTAssertTrue(try frame("all").contains("x=\"10.0\" y=\"76\" width=\"1180.0\""))
        XCTAssertTrue(try frame("idle").contains("x=\"10.0\" y=\"60\" width=\"393.3\""))
        XCTAssertTrue(try frame("main").contains("x=\"403.3\" y=\"60\" width=\"786.7\""))
        XCTAssertTrue(try frame("parse").contains("x=\"403.3\" y=\"44\" width=\"590.0\""))
        XCTAssertTrue(try frame("run").contains("x=\"993.3\" y=\"44\" width=\"196.7\""))
        XCTAssertTrue(try frame("parse").contains("<title>parse (30 samples, 50.00%)</title>"))
        XCTAssertTrue(try frame("parse").contains("data-start=\"20\" data-count=\"30\" data-depth=\"2\""))
        XCTAssertEqual(out.components(separatedBy: "<g class=\"frame\"").count - 1, 5)
    }

    func testNarrowFramesAreLeftOutAndLabelsFit() {
        let out = FlameGraphSVG().render(FoldedStacks("wide;callee 100000\ntiny;deeper 1\n"))
        XCTAssertFalse(out.contains("data-name=\"tiny\""), "0.01 px wide")
        XCTAssertFalse(out.contains("data-name=\"deeper\""))
        XCTAssertEqual(FlameGraphSVG.label("a_long_function_name", fitting: 60), "a_lon..")
        XCTAssertEqual(FlameGraphSVG.label("short", fitting: 60), "short")
        XCTAssertEqual(FlameGraphSVG.label("anything", fitting: 20), "")
    }

    func testNamesAreEscapedAndColorsAreStable() {
        let out = FlameGraphSVG().render(FoldedStacks("a<b>&'c\u{1};x 1\n"))
        XCTAssertTrue(out.contains("data-name=\"a&lt;b&gt;&amp;&apos;c \""), out)
        XCTAssertFalse(out.contains("\u{1}"))
        XCTAssertEqual(FlameGraphSVG.color("vfs_read"), FlameGraphSVG.color("vfs_read"))
        XCTAssertNotEqual(FlameGraphSVG.color("vfs_read"), FlameGraphSVG.color("vfs_write"))
    }

    /// Browsers refuse an SVG that is not well-formed XML: check it as one would.
    func testTheSVGIsWellFormedXML() {
        let folded = (0..<300).map { i in "main;f\(i % 7)<&>;g\(i % 13) \(i + 1)" }.joined(separator: "\n")
        var svg = FlameGraphSVG()
        svg.title = "A & B <\"quoted\">"
        let parser = XMLParser(data: Data(svg.render(FoldedStacks(folded)).utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "") at line \(parser.lineNumber)")
    }

    /// Fixed-seed random input: every line parses or is skipped, never a trap.
    func testRandomInputNeverTraps() {
        var seed: UInt64 = 0x5eed
        func next() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
        let alphabet = Array("ab; \t0123456789\n#<&>\u{0}é".unicodeScalars)
        for _ in 0..<2000 {
            let text = String(String.UnicodeScalarView((0..<Int(next() % 200)).map { _ in alphabet[Int(next()) % alphabet.count] }))
            let stacks = FoldedStacks(text)
            _ = FlameGraphSVG().render(stacks)
        }
    }
}
