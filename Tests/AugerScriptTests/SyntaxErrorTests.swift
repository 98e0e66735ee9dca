import XCTest
import AugerScript

/// The exact text a user sees for each kind of syntax error.
final class SyntaxErrorTests: XCTestCase {
    func errors(_ text: String) -> String {
        let s = SourceFile(name: "stdin", text: text)
        return Parser.parse(s).diagnostics.rendered(in: s)
    }

    func testMissingExpression() {
        XCTAssertEqual(errors("begin { $x = ; }"), """
            stdin:1:14-15: ERROR: syntax error, unexpected ';', expecting an expression
            begin { $x = ; }
                         ~
            """)
    }

    func testMissingSemicolonBetweenStatements() {
        XCTAssertEqual(errors("begin { @a = 1 @b = 2 }"), """
            stdin:1:16-18: ERROR: syntax error, unexpected map '@b', expecting ';' or '}'
            begin { @a = 1 @b = 2 }
                           ~~
            """)
    }

    func testSeveralErrorsInOneRun() {
        let text = errors("begin { $x = ; @y = (1 + ; }\nend { print(1) }")
        XCTAssertEqual(text.components(separatedBy: "ERROR").count - 1, 2, text)
        XCTAssertTrue(text.contains("stdin:1:14-15"), text)
        XCTAssertTrue(text.contains("stdin:1:26-27"), text)
    }

    func testUnterminatedBlock() {
        XCTAssertEqual(errors("begin { print(1);"), """
            stdin:1:7-8: ERROR: syntax error, unexpected end of file, expecting '}'
            begin { print(1);
                  ~
            """)
    }

    func testInvalidProbeType() {
        XCTAssertEqual(errors("foo:bar { }"), """
            stdin:1:1-8: ERROR: invalid probe type 'foo'
            foo:bar { }
            ~~~~~~~
            """)
    }

    func testWrongNumberOfProbeArguments() {
        XCTAssertEqual(errors("tracepoint:syscalls { }"), """
            stdin:1:1-20: ERROR: tracepoint probes take 2 arguments after the provider, not 1, e.g. tracepoint:syscalls:sys_enter_openat
            tracepoint:syscalls { }
            ~~~~~~~~~~~~~~~~~~~
            """)
    }

    func testBadTimerUnitAndWatchpointMode() {
        XCTAssertTrue(errors("interval:minutes:1 { }").contains("ERROR: invalid interval unit 'minutes': use hz, s, ms, us or ns"))
        XCTAssertTrue(errors("profile:hz:0 { }").contains("ERROR: invalid profile rate '0'"))
        XCTAssertTrue(errors("watchpoint:0x1000:3:w { }").contains("ERROR: watchpoint length must be 1, 2, 4 or 8, not '3'"))
        XCTAssertTrue(errors("watchpoint:0x1000:8:q { }").contains("ERROR: watchpoint mode must be made of r, w and x, not 'q'"))
        XCTAssertTrue(errors("software:nonsense:1 { }").contains("ERROR: unknown software event 'nonsense'"))
    }

    func testLexicalErrors() {
        XCTAssertEqual(errors("begin { $x = \"abc; }"), """
            stdin:1:14-21: ERROR: unterminated string
            begin { $x = "abc; }
                         ~~~~~~~
            """)
        XCTAssertTrue(errors("begin { $x = 99999999999999999999; }").contains("stdin:1:14-34: ERROR: integer literal is too large for 64 bits"))
        XCTAssertTrue(errors("begin { $x = 12abc; }").contains("stdin:1:16-19: ERROR: invalid integer suffix 'abc'"))
        XCTAssertTrue(errors("begin { $x = \"\\q\"; }").contains("stdin:1:15-17: ERROR: invalid escape character '\\q'"))
        XCTAssertTrue(errors("begin { $x = 1 ` 2; }").contains("stdin:1:16-17: ERROR: invalid character '`'"))
        XCTAssertTrue(errors("begin { /* open").contains("ERROR: unterminated comment"))
        // A string may span lines (a shell's echo turns \n into one); only the text's end leaves it open.
        XCTAssertEqual(errors("begin { printf(\"%d\n\", 1); }"), "")
    }

    func testEmptyScriptAndMissingAction() {
        XCTAssertTrue(errors("").contains("ERROR: no probes"))
        XCTAssertTrue(errors("begin").contains("ERROR: syntax error, unexpected end of file, expecting '{' to start the probe's action"))
        XCTAssertTrue(errors("kprobe:f /pid { }").contains("expecting '/' to end the predicate"))
    }

    func testMultiLineLocation() {
        XCTAssertEqual(errors("begin {\n  @a = 1;\n  @b = (2 +;\n}"), """
            stdin:3:12-13: ERROR: syntax error, unexpected ';', expecting an expression
              @b = (2 +;
                       ~
            """)
    }

    func testFileNameAppears() {
        let s = SourceFile(name: "tools/x.bt", text: "begin { ) }")
        XCTAssertTrue(Parser.parse(s).diagnostics.rendered(in: s).hasPrefix("tools/x.bt:1:9-10: ERROR"))
    }
}
