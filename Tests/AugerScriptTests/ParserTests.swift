import XCTest
@testable import AugerScript

/// Parses `source` and returns the printed program, failing on any error.
func reprint(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    let s = SourceFile(name: "stdin", text: source)
    let (program, diagnostics) = Parser.parse(s)
    XCTAssertFalse(diagnostics.hasErrors, diagnostics.rendered(in: s), file: file, line: line)
    return Printer.print(program)
}

/// The printed form of the single statement inside `begin { … }`.
func statement(_ code: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    let printed = reprint("begin { \(code) }", file: file, line: line)
    let lines = printed.split(separator: "\n").dropFirst().dropLast()
    return lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
}

final class ParserTests: XCTestCase {
    func testPrecedenceAndAssociativity() {
        let table: [(String, String)] = [
            ("$x = 1 + 2 * 3;", "$x = 1 + (2 * 3);"),
            ("$x = 1 - 2 - 3;", "$x = (1 - 2) - 3;"),
            ("$x = 1 << 2 + 3;", "$x = 1 << (2 + 3);"),
            ("$x = 1 < 2 == 3 > 4;", "$x = (1 < 2) == (3 > 4);"),
            ("$x = 1 | 2 ^ 3 & 4;", "$x = 1 | (2 ^ (3 & 4));"),
            ("$x = 1 || 2 && 3;", "$x = 1 || (2 && 3);"),
            ("$x = !1 && ~2;", "$x = (!1) && (~2);"),
            ("$x = -1 * -2;", "$x = (-1) * (-2);"),
            ("$x = 1 ? 2 : 3 ? 4 : 5;", "$x = 1 ? 2 : (3 ? 4 : 5);"),
            ("$x = $a ?: 10;", "$x = $a ?: 10;"),
            ("$x = *$p + 1;", "$x = (*$p) + 1;"),
            ("$x = &$a;", "$x = &$a;"),
            ("$x = 10 % 3 / 2;", "$x = (10 % 3) / 2;"),
            ("$x = (1 + 2) * 3;", "$x = (1 + 2) * 3;"),
        ]
        for (input, expected) in table { XCTAssertEqual(statement(input), expected, input) }
    }

    func testPostfixAndAccess() {
        let table: [(String, String)] = [
            ("$x = args.filename;", "$x = args.filename;"),
            ("$x = $p->next->prev;", "$x = $p->next->prev;"),
            ("$x = $t.0.1;", "$x = $t.0.1;"),
            ("$x = $a[1][2];", "$x = $a[1][2];"),
            ("$x++;", "$x++;"),
            ("--@y;", "--@y;"),
            ("@m[1, \"a\"]++;", "@m[1, \"a\"]++;"),
            ("$x = ((struct task_struct *)curtask)->pid;", "$x = ((struct task_struct *)curtask)->pid;"),
        ]
        for (input, expected) in table { XCTAssertEqual(statement(input), expected, input) }
    }

    func testCasts() {
        let table: [(String, String)] = [
            ("$x = (uint32)$y;", "$x = (uint32)$y;"),
            ("$x = (int8 *)arg0;", "$x = (int8 *)arg0;"),
            ("$x = (struct foo *)arg0;", "$x = (struct foo *)arg0;"),
            ("$x = (uint8[8])12345;", "$x = (uint8[8])12345;"),
            ("$x = (int8[])$a;", "$x = (int8[])$a;"),
            ("$x = (unsigned long)arg1;", "$x = (unsigned long)arg1;"),
            ("$x = (size_t)1;", "$x = (size_t)1;"),
            ("$x = (pid) + 1;", "$x = pid + 1;"),
            ("$x = (comm);", "$x = comm;"),
            ("$x = (mytype)$y;", "$x = (mytype)$y;"),
            ("$x = (a*)-1;", "$x = (a *)(-1);"),
            ("$x = (typeof($y))1;", "$x = (typeof($y))1;"),
        ]
        for (input, expected) in table { XCTAssertEqual(statement(input), expected, input) }
    }

    func testLiterals() {
        let table: [(String, String)] = [
            ("$x = 0x1F;", "$x = 31;"),
            ("$x = 017;", "$x = 15;"),
            ("$x = 0b101;", "$x = 5;"),
            ("$x = 1_000_000;", "$x = 1000000;"),
            ("$x = 123UL;", "$x = 123;"),
            ("$x = 2e3;", "$x = 2000;"),
            ("$x = 5ms;", "$x = 5000000;"),
            ("$x = 1m;", "$x = 60000000000;"),
            ("$x = 18446744073709551615;", "$x = 18446744073709551615;"),
            ("$x = \"a\\tb\\n\\\"q\\\"\\\\\";", "$x = \"a\\tb\\n\\\"q\\\"\\\\\";"),
            ("$x = \"\\x41\\101\\0\";", "$x = \"AA\\x00\";"),
            ("$x = true; $y = false;", "$x = true; $y = false;"),
        ]
        for (input, expected) in table { XCTAssertEqual(statement(input), expected, input) }
    }

    func testVariablesMapsAndParameters() {
        let table: [(String, String)] = [
            ("@ = count();", "@ = count();"),
            ("@x[pid, comm] = sum(1);", "@x[pid, comm] = sum(1);"),
            ("@x[(pid, comm)] = 1;", "@x[(pid, comm)] = 1;"),
            ("$a = $1 + $#;", "$a = $1 + $#;"),
            ("$s = str($2);", "$s = str($2);"),
            ("let $x;", "let $x;"),
            ("let $x: uint16 = 5;", "let $x: uint16 = 5;"),
            ("let $s: string[16];", "let $s: string[16];"),
            ("@x += 2; @y <<= 1; $z ^= 3;", "@x += 2; @y <<= 1; $z ^= 3;"),
            ("_ = has_key(@a, 1);", "_ = has_key(@a, 1);"),
        ]
        for (input, expected) in table { XCTAssertEqual(statement(input), expected, input) }
    }

    func testTuplesRecordsAndBlocks() {
        let table: [(String, String)] = [
            ("$t = (1, \"two\", (3, 4));", "$t = (1, \"two\", (3, 4));"),
            ("$t = (1,);", "$t = (1,);"),
            ("$t = ();", "$t = ();"),
            ("$r = (a=1, b=\"x\");", "$r = (a=1, b=\"x\");"),
            ("$x = sizeof(struct task_struct);", "$x = sizeof(struct task_struct);"),
            ("$x = sizeof($y);", "$x = sizeof($y);"),
            ("$x = offsetof(struct Foo, bar.x);", "$x = offsetof(struct Foo, bar.x);"),
        ]
        for (input, expected) in table { XCTAssertEqual(statement(input), expected, input) }
        XCTAssertEqual(statement("let $a = { let $b = 1; $b };"), "let $a = { let $b = 1; $b };")
    }

    func testControlFlow() {
        XCTAssertEqual(statement("if (pid == 1) { @a = 1; } else if (pid == 2) { @b = 1 } else { @c = 1; }"),
                       "if (pid == 1) { @a = 1; } else if (pid == 2) { @b = 1 } else { @c = 1; }")
        XCTAssertEqual(statement("while ($i < 10) { $i++; if ($i > 5) { break; } continue; }"),
                       "while ($i < 10) { $i++; if ($i > 5) { break; } continue; }")
        XCTAssertEqual(statement("unroll(3) { @a++ }"), "unroll (3) { @a++ }")
        XCTAssertEqual(statement("for ($kv : @map) { print($kv.0); }"), "for ($kv : @map) { print($kv.0); }")
        XCTAssertEqual(statement("for ($i : 0..ncpus) { print($i); }"), "for ($i : 0 .. ncpus) { print($i); }")
        XCTAssertEqual(statement("return;"), "return;")
        XCTAssertEqual(statement("return 1"), "return 1")
        XCTAssertEqual(statement("print(if ($x) { 1 } else { 2 });"), "print(if ($x) { 1 } else { 2 });")
    }

    func testProbesAndAttachPoints() throws {
        let source = """
            BEGIN, end { exit(); }
            tracepoint:syscalls:sys_enter_* /pid == 1/ { @[probe] = count(); }
            t:syscalls:sys_enter_openat, k:vfs_read { }
            uprobe:/bin/bash:readline, ur:./testprogs/a.out:main, u:libc:malloc { }
            uprobe:lib.so:"fn(char const*)" { }
            usdt:./testprogs/usdt_test::*probe2 { }
            profile:hz:99, interval:s:1, i:1s, software:cpu-clock:1e6, s:faults:100 { }
            watchpoint:0x10000000:8:rw, kprobe:do_nanosleep+0x10, fentry:vmlinux:vfs_read { }
            uprobe:testprogs/uprobe_test:uprobeFunction* /arg0 > 5/ { }
            """
        let s = SourceFile(name: "stdin", text: source)
        let (program, diagnostics) = Parser.parse(s)
        XCTAssertFalse(diagnostics.hasErrors, diagnostics.rendered(in: s))
        XCTAssertEqual(program.probes.count, 9)
        XCTAssertEqual(program.probes[0].attachPoints.map(\.kind), [.begin, .end])
        XCTAssertEqual(program.probes[1].attachPoints[0].parts, ["syscalls", "sys_enter_*"])
        XCTAssertNotNil(program.probes[1].predicate)
        XCTAssertEqual(program.probes[2].attachPoints.map(\.kind), [.tracepoint, .kprobe])
        XCTAssertEqual(program.probes[3].attachPoints.map(\.kind), [.uprobe, .uretprobe, .uprobe])
        XCTAssertEqual(program.probes[3].attachPoints[0].parts, ["/bin/bash", "readline"])
        XCTAssertEqual(program.probes[4].attachPoints[0].parts, ["lib.so", "\"fn(char const*)\""])
        XCTAssertEqual(program.probes[5].attachPoints[0].parts, ["./testprogs/usdt_test", "", "*probe2"])
        XCTAssertEqual(program.probes[6].attachPoints.map(\.raw), ["profile:hz:99", "interval:s:1", "i:1s", "software:cpu-clock:1e6", "s:faults:100"])
        XCTAssertEqual(program.probes[7].attachPoints[0].parts, ["0x10000000", "8", "rw"])
        XCTAssertEqual(program.probes[8].attachPoints[0].parts, ["testprogs/uprobe_test", "uprobeFunction*"])
    }

    func testPredicateDivisionNeedsParentheses() {
        let printed = reprint("kprobe:f /(arg0 / 2) > 1/ { }")
        XCTAssertTrue(printed.hasPrefix("kprobe:f /(arg0 / 2) > 1/"), printed)
    }

    func testPreamble() throws {
        let source = """
            #include <linux/sched.h>
            #define RED "x"
            struct Foo { int x; char c; } __attribute__((packed))
            enum E { A, B };
            import "stdlib/test";
            config = { max_map_keys = 2; stack_mode = perf }
            let @a = lruhash(100);
            macro add_one(x) { x + 1 }
            macro bump($a, @b) { $a += 1; @b += 1; }
            fn twice($x: uint64): uint64 { return $x * 2; }
            begin { print(add_one(1)); }
            """
        let s = SourceFile(name: "stdin", text: source)
        let (program, diagnostics) = Parser.parse(s)
        XCTAssertFalse(diagnostics.hasErrors, diagnostics.rendered(in: s))
        XCTAssertEqual(program.preamble.count, 10)
        XCTAssertEqual(program.config.map(\.name), ["max_map_keys", "stack_mode"])
        XCTAssertEqual(program.mapDeclarations.map(\.kind), ["lruhash"])
        XCTAssertEqual(program.macros.map(\.name), ["add_one", "bump"])
        XCTAssertEqual(program.functions.map(\.name), ["twice"])
        guard case .cDefinition(let text, _) = program.preamble[2] else { return XCTFail("expected a C definition") }
        XCTAssertEqual(text, "struct Foo { int x; char c; } __attribute__((packed))")
    }

    func testCommentsAreIgnored() {
        XCTAssertEqual(reprint("// top\nbegin /* a */ { /* b */ print(/* c */ 1); // d\n}"), "begin {\n  print(1);\n}\n")
    }

    func testEveryNodeHasItsSourceRange() throws {
        let text = "begin { @x[pid] = 1 + foo(2); }"
        let (program, _) = Parser.parse(SourceFile(name: "stdin", text: text))
        guard case .assign(let target, nil, let value) = program.probes[0].body.statements[0].kind else { return XCTFail() }
        let s = SourceFile(name: "stdin", text: text)
        XCTAssertEqual(s.text(of: target.range), "@x[pid]")
        XCTAssertEqual(s.text(of: value.range), "1 + foo(2)")
        XCTAssertEqual(s.text(of: program.probes[0].body.statements[0].range), "@x[pid] = 1 + foo(2)")
        XCTAssertEqual(s.text(of: program.probes[0].body.range), "{ @x[pid] = 1 + foo(2); }")
    }
}
