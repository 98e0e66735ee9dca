import XCTest
@testable import AugerScript

/// Arithmetic on literals folds exactly in 64 bits, as bpftrace folds it.
final class ConstantFoldingTests: XCTestCase {
    /// The folded value and type of `expression`, or the error.
    func folded(_ expression: String) -> (value: Int128?, type: SType?, errors: String) {
        let (checked, errors) = check("begin { $x = \(expression); }")
        guard case .assign(_, _, let value)? = checked.program.probes.first?.body.statements.first?.kind else { return (nil, nil, errors) }
        return (value.literalValue, value.type, errors)
    }

    func testLiteralArithmeticDoesNotWrapAtTheLiteralsWidth() {
        XCTAssertEqual(folded("200 + 100").value, 300)
        XCTAssertEqual(folded("200 + 100").type, .u16)
        XCTAssertEqual(folded("1024 * 1024").value, 1_048_576)
        XCTAssertEqual(folded("(1 << 32) - 1").value, 4_294_967_295)
        XCTAssertEqual(folded("(1 << 32) - 1").type, .u32)
        XCTAssertEqual(folded("1 << 63").value, 1 << 63)
        XCTAssertEqual(folded("1 << 63").type, .u64)
        XCTAssertEqual(folded("10 * 1024 * 1024 * 1024").value, 10 << 30)
    }

    func testSignsFoldAsIntegersDo() {
        XCTAssertEqual(folded("0 - 1").value, -1)
        XCTAssertEqual(folded("0 - 1").type, .i8)
        XCTAssertEqual(folded("-5 / 2").value, -2)
        XCTAssertEqual(folded("-1000 * 3").type, .i16)
        XCTAssertEqual(folded("-1 & 0xff").value, 255)
        XCTAssertEqual(folded("-(1 << 62) * 2").value, Int128(Int64.min))
    }

    func testResultsBeyond64BitsAreErrors() {
        XCTAssertTrue(folded("18446744073709551615 + 1").errors.contains("ERROR: integer overflow in constant expression: 18446744073709551616 does not fit in 64 bits"))
        XCTAssertTrue(folded("0xffffffffffffffff * 2").errors.contains("ERROR: integer overflow"))
        XCTAssertTrue(folded("1 << 64").errors.contains("ERROR: shift by 64 is out of range: shifts take 0 to 63"))
        XCTAssertTrue(folded("-(1 << 63) - 1").errors.contains("does not fit in 64 bits"))
        XCTAssertTrue(folded("1 / 0").errors.contains("ERROR: division by zero"))
    }

    func testExpressionsWithVariablesAreNotFolded() {
        let (checked, errors) = check("begin { $a = 200; $b = $a + 100; }")
        XCTAssertEqual(errors, "")
        guard case .assign(_, _, let value)? = checked.program.probes.first?.body.statements.last?.kind else { return XCTFail() }
        XCTAssertNil(value.literalValue)
    }
}

/// Numbers a script gives builtins are range-checked, not passed on.
final class RangeCheckTests: XCTestCase {
    func testStackDepths() {
        XCTAssertTrue(semaErrors("begin { @[kstack(999999)] = count(); }").contains("ERROR: kstack() takes a depth from 0 to 127 frames, not 999999"))
        XCTAssertTrue(semaErrors("begin { @[ustack(-1)] = count(); }").contains("ERROR: ustack() takes a depth from 0 to 127 frames, not -1"))
        XCTAssertEqual(semaErrors("begin { @[kstack(perf, 3)] = count(); @u[ustack(127)] = count(); }"), "")
    }

    func testJoinNeedsAnArrayOfStrings() {
        XCTAssertTrue(semaErrors("begin { join(1); }").contains("ERROR: join() takes an array of strings (char **, such as args.argv), not uint8"))
        XCTAssertTrue(semaErrors(#"begin { join("abc"); }"#).contains("ERROR: join() takes an array of strings"))
    }
}

/// Hostile scripts get a bounded report: a few errors, lines cut to their place.
final class DiagnosticLimitTests: XCTestCase {
    func testManyErrorsAreCountedNotAllPrinted() {
        let text = "begin { " + (0..<50).map { "print(nope\($0));" }.joined(separator: " ") + " }"
        let errors = semaErrors(text)
        XCTAssertEqual(errors.components(separatedBy: "ERROR: unknown identifier").count - 1, Diagnostics.shownErrors)
        XCTAssertTrue(errors.hasSuffix("... and 30 further diagnostics not shown"), String(errors.suffix(200)))
    }

    func testLongLinesAreEchoedAroundTheError() {
        let text = "begin { " + String(repeating: "$a = 1; ", count: 500) + "print(nope); }"
        let errors = semaErrors(text)
        let lines = errors.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 3, errors)
        XCTAssertLessThan(lines[1].count, Diagnostic.echoWidth + 10)
        XCTAssertTrue(lines[1].contains("print(nope)"))
        // The underline still sits under the name.
        let underline = lines[2]
        let start = underline.firstIndex(of: "~")!.utf16Offset(in: underline)
        XCTAssertEqual(Array(lines[1].utf8)[start..<start + 4].map { Character(UnicodeScalar($0)) }, Array("nope"))
    }
}

/// Very long expressions get an error at their place instead of exhausting the stack.
final class ExpressionLimitTests: XCTestCase {
    func parseErrors(_ text: String) -> String {
        let source = SourceFile(name: "stdin", text: text)
        return Parser.parse(source).1.rendered(in: source)
    }

    func testLongOperatorChainsAreRefused() {
        let long = "begin { $x = " + Array(repeating: "1", count: 7000).joined(separator: " + ") + "; }"
        XCTAssertTrue(parseErrors(long).contains("ERROR: expression too complex: more than \(Parser.maxChain) operators in a row"))
        let fine = "begin { $x = " + Array(repeating: "$y", count: Parser.maxChain).joined(separator: " || ") + "; }"
        XCTAssertEqual(parseErrors(fine), "")
    }

    func testLongFieldChainsAreRefused() {
        let long = "begin { $x = curtask" + String(repeating: "->parent", count: 10000) + "; }"
        XCTAssertTrue(parseErrors(long).contains("ERROR: expression too complex: more than \(Parser.maxChain) field accesses or indexes in a row"))
    }
}
