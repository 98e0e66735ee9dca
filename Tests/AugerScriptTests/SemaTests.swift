import XCTest
@testable import AugerScript

/// Checks a script; returns the checked program and the rendered diagnostics.
func check(_ text: String, provider: TypeInfoProvider? = nil) -> (CheckedProgram, String) {
    let source = SourceFile(name: "stdin", text: text)
    let (program, parse) = Parser.parse(source)
    XCTAssertFalse(parse.hasErrors, parse.rendered(in: source))
    let checked = Sema.check(program, provider: provider)
    return (checked, checked.diagnostics.rendered(in: source))
}

func semaErrors(_ text: String) -> String { check(text).1 }

struct FakeTracepoints: TypeInfoProvider {
    func tracepointArgs(category: String, name: String) -> [RecordField]? {
        guard category == "syscalls", name == "sys_enter_openat" else { return nil }
        return [RecordField(name: "dfd", type: .i64), RecordField(name: "filename", type: .pointer(.i8)),
                RecordField(name: "flags", type: .i64), RecordField(name: "mode", type: .u64)]
    }
}

final class SemaErrorTests: XCTestCase {
    func testUnknownNames() {
        XCTAssertEqual(semaErrors("begin { foo(1); }"), """
            stdin:1:9-15: ERROR: unknown function 'foo'
            begin { foo(1); }
                    ~~~~~~
            """)
        XCTAssertEqual(semaErrors("begin { print(foo); }"), """
            stdin:1:15-18: ERROR: unknown identifier 'foo'
            begin { print(foo); }
                          ~~~
            """)
        XCTAssertEqual(semaErrors("begin { print($y); }"), """
            stdin:1:15-17: ERROR: undefined variable $y: assign it before use
            begin { print($y); }
                          ~~
            """)
    }

    func testPreprocessorDefinesAndIncludes() {
        XCTAssertEqual(CPreprocessor.define("#define A 0x10UL /* sixteen */", known: [:])?.1, 16)
        XCTAssertEqual(CPreprocessor.define("# define B (A << 2 | 1)", known: ["A": 16])?.1, 65)
        XCTAssertEqual(CPreprocessor.define("#define C -(1)", known: [:])?.1, -1)
        XCTAssertNil(CPreprocessor.define("#define F(x) ((x) + 1)", known: [:]))
        XCTAssertNil(CPreprocessor.define("#define S \"text\"", known: [:]))
        XCTAssertEqual(CPreprocessor.include("#include <linux/sched.h>")?.path, "linux/sched.h")
        let lines = ["#ifndef BPFTRACE_HAVE_BTF", "#include <net/sock.h>", "#else", "#include <sys/socket.h>", "#endif",
                     "#if defined(MISSING)", "#include <no.h>", "#endif", "#include \"mine.h\""]
        XCTAssertEqual(CPreprocessor.activeIncludes(lines, defined: ["BPFTRACE_HAVE_BTF"]), ["sys/socket.h", "mine.h"])
        let (checked, errors) = check("#define N 3\nbegin { @x = N * 2; }")
        XCTAssertEqual(errors, "")
        XCTAssertNotNil(checked.maps["x"])
    }

    func testConfigValuesAndBenchNames() {
        XCTAssertTrue(semaErrors("config = { missing_probes = maybe } begin { }").contains("ERROR: Invalid value for missing_probes: valid values are error, warn, ignore"))
        XCTAssertEqual(semaErrors("config = { missing_probes = warn; stack_mode = perf } begin { }"), "")
        let (_, parse) = Parser.parse(SourceFile(name: "stdin", text: "bench: { }"))
        XCTAssertTrue(parse.rendered(in: SourceFile(name: "stdin", text: "bench: { }")).contains("bench probes need a name"))
    }

    func testStructMembersNeedTheirStructsDefined() {
        // Only where the kernel's types are known too (a kernel struct is fine: BTF has it).
        XCTAssertTrue(check("struct a { struct b x; } begin { }", provider: FakeTracepoints()).1.contains("stdin:1:1-25: ERROR: field has incomplete type 'struct b': define it earlier in the script"))
        XCTAssertEqual(semaErrors("struct b { int y; } struct a { struct b x; struct c *p; } begin { }"), "", "pointers need no definition")
    }

    func testHasKeyNeedsAMapWithKeys() {
        XCTAssertTrue(semaErrors("begin { @g = 2; if (has_key(@g, 2)) { } }").contains("stdin:1:21-35: ERROR: call to has_key() expects a map with explicit keys (non-scalar map)"))
        XCTAssertEqual(semaErrors("begin { @g[1] = 2; if (has_key(@g, 2)) { } }"), "")
    }

    func testArgumentCountsAndTypes() {
        XCTAssertTrue(semaErrors("begin { @x = hist(); }").contains("stdin:1:14-20: ERROR: hist() takes 1 or 2 arguments, not 0"))
        XCTAssertTrue(semaErrors("begin { @x = lhist(1, 0, 10); }").contains("ERROR: lhist() takes 4 arguments, not 3"))
        XCTAssertTrue(semaErrors("begin { exit(1, 2); }").contains("ERROR: exit() takes at most 1 argument, not 2"))
        XCTAssertTrue(semaErrors("begin { @x = sum(\"a\"); }").contains("ERROR: sum() needs an integer value, not string[2]"))
        XCTAssertTrue(semaErrors("begin { clear(1); }").contains("ERROR: clear() needs a map, e.g. clear(@m)"))
        XCTAssertTrue(semaErrors("begin { $x = printf(\"a\"); }").contains("ERROR: printf() returns no value; use it as a statement"))
        XCTAssertTrue(semaErrors("begin { print(kaddr(1)); }").contains("ERROR: kaddr() takes a symbol name as a string literal"))
    }

    func testAggregationRules() {
        XCTAssertTrue(semaErrors("begin { $x = count(); }").contains("stdin:1:14-21: ERROR: count() must be assigned directly to a map, e.g. @x = count()"))
        XCTAssertTrue(semaErrors("begin { @x = count(); @x = sum(1); }").contains("stdin:1:28-34: ERROR: @x already holds count() values; it cannot also hold sum()"))
        XCTAssertTrue(semaErrors("begin { @x = hist(1); print(@x + 1); }").contains("ERROR: the values of @x are hist() aggregations and cannot be read in a probe"))
        XCTAssertTrue(semaErrors("begin { @x = hist(1, 9); }").contains("ERROR: hist() bits must be from 0 to 5, not 9"))
        XCTAssertTrue(semaErrors("begin { @x = lhist(1, 10, 5, 1); }").contains("ERROR: lhist() max must be larger than min"))
        XCTAssertTrue(semaErrors("begin { @x = lhist(1, 0, 10, $y); }").contains("ERROR: undefined variable $y"))
        XCTAssertTrue(semaErrors("begin { @x = count(); @x = 5; }").contains("ERROR: @x holds count() values; it cannot be assigned a uint8"))
    }

    func testMapTypesMustAgree() {
        XCTAssertEqual(semaErrors("begin { @x[1] = 1; @x[\"a\"] = 2; }"), """
            stdin:1:20-27: ERROR: type mismatch for @x's key: string[2] here, uint8 elsewhere
            begin { @x[1] = 1; @x["a"] = 2; }
                               ~~~~~~~
            """)
        XCTAssertTrue(semaErrors("begin { @x = 1; } end { @x = \"a\"; }").contains("ERROR: type mismatch for @x: trying to assign a value of type 'string[2]' when the map already holds 'uint8'"))
        XCTAssertTrue(semaErrors("begin { @x[1] = 1; @x = 2; }").contains("ERROR: @x is used without a key here, but with keys of type uint8 elsewhere"))
        XCTAssertTrue(semaErrors("begin { print(@never); }").contains("ERROR: map @never is read but never assigned a value"))
    }

    func testIntegerPromotion() {
        XCTAssertTrue(semaErrors("begin { $c = (uint64)1; $d = (int64)-1; $c = $d; }").contains("ERROR: type mismatch for $c: trying to assign a value of type 'int64' when the variable already holds 'uint64'"))
        XCTAssertTrue(semaErrors("begin { $x = -9223372036854775809; }").contains("ERROR: integer literal -9223372036854775809 is too small for 64 bits"))
        XCTAssertTrue(semaErrors("begin { $x = 10 / 0; }").contains("stdin:1:19-20: ERROR: division by zero"))
        XCTAssertTrue(semaErrors("begin { $x = \"a\" + 1; }").contains("ERROR: type mismatch for '+': 'string[2]' and 'uint8'"))
        XCTAssertTrue(semaErrors("begin { if (\"a\" == 1) {} }").contains("ERROR: type mismatch for '==': comparing 'string[2]' with 'uint8'"))
    }

    func testBuiltinsBelongToProbeTypes() {
        XCTAssertEqual(semaErrors("begin { print(retval); }"), """
            stdin:1:15-21: ERROR: The retval builtin can only be used with 'kretprobe', 'uretprobe' and 'fexit' probes (not 'begin')
            begin { print(retval); }
                          ~~~~~~
            """)
        XCTAssertTrue(semaErrors("tracepoint:a:b { print(arg0); }").contains("ERROR: The arg0 builtin can not be used with tracepoint probes: use args.FIELD instead"))
        XCTAssertTrue(semaErrors("interval:s:1 { print(args); }").contains("ERROR: The args builtin can only be used with tracepoint, rawtracepoint, fentry, fexit and uprobe probes (not 'interval')"))
        XCTAssertTrue(semaErrors("begin, kretprobe:f { print(retval); }").contains("(not 'begin')"))
        XCTAssertEqual(semaErrors("kretprobe:f { print(retval); } kprobe:f { print(arg0); } uretprobe:/bin/sh:main { print(func); }"), "")
    }

    func testPrintfFormats() {
        XCTAssertTrue(semaErrors("begin { printf(\"%d %d\\n\", 1); }").contains("ERROR: printf: not enough arguments for the format string (2 conversions, 1 argument)"))
        XCTAssertTrue(semaErrors("begin { printf(\"%d\\n\", 1, 2); }").contains("ERROR: printf: too many arguments for the format string (1 conversion, 2 arguments)"))
        XCTAssertTrue(semaErrors("begin { printf(\"%d\\n\", \"a\"); }").contains("ERROR: printf: %d needs an integer, but this argument is string[2]"))
        XCTAssertTrue(semaErrors("begin { printf(\"%q\\n\", 1); }").contains("ERROR: printf: invalid format specifier '%q'"))
        XCTAssertTrue(semaErrors("begin { printf(comm); }").contains("ERROR: printf() takes its format as a string literal"))
        XCTAssertEqual(semaErrors("begin { printf(\"%-10s %5d %llu %x %p %c %% %s\\n\", comm, pid, nsecs, 255, 0, 65, str(0)); }"), "")
    }

    func testControlFlowRules() {
        XCTAssertTrue(semaErrors("begin { break; }").contains("stdin:1:9-14: ERROR: 'break' used outside of a loop"))
        XCTAssertTrue(semaErrors("begin { unroll(101) { } }").contains("ERROR: unroll maximum value is 100"))
        XCTAssertTrue(semaErrors("begin { unroll(0) { } }").contains("ERROR: unroll minimum value is 1"))
        XCTAssertTrue(semaErrors("begin { exit(); print(1); }").contains("stdin:1:17-25: WARNING: Unreachable statement"))
        XCTAssertTrue(semaErrors("let @a = hash(1); begin { }").contains("WARNING: Unused map: @a"))
        XCTAssertTrue(semaErrors("begin { if (comm) { } }").contains("ERROR: the if condition must be an integer, bool or pointer, not string[16]"))
        XCTAssertTrue(semaErrors("begin { for ($i : 0..\"a\") { } }").contains("ERROR: a range needs integer bounds, not string[2]"))
        XCTAssertTrue(semaErrors("begin { @m = 1; for ($kv : @m) { } }").contains("ERROR: cannot iterate over @m: it has no keys"))
        XCTAssertTrue(semaErrors("begin { if (1) { $a = 1; } print($a); }").contains("ERROR: undefined variable $a"))
        XCTAssertTrue(semaErrors("begin { 1 + 1; }").contains("WARNING: the value of this expression is unused"))
    }

    func testMacros() {
        XCTAssertTrue(semaErrors("macro one(x) { x } begin { print(one(1, 2)); }").contains("ERROR: macro 'one' takes 1 argument, but 2 were given"))
        XCTAssertTrue(semaErrors("macro inc($a) { $a++ } begin { inc(1); }").contains("ERROR: macro 'inc' expects a variable for $a, e.g. inc($x)"))
        XCTAssertTrue(semaErrors("macro bad() { @x++ } begin { @x = 1; bad(); }").contains("ERROR: macro 'bad' uses map @x, which is not one of its parameters"))
        XCTAssertTrue(semaErrors("macro r(x) { r(x) } begin { r(1); }").contains("ERROR: macro 'r' expands too deeply: is it recursive?"))
        XCTAssertEqual(semaErrors("macro add_one(x) { x + 1 } macro bump($a, @b) { $a += 1; @b += 1; } begin { $v = add_one(1); @m = 5; bump($v, @m); print($v + @m); }"), "")
    }

    func testConfigVariables() {
        XCTAssertTrue(semaErrors("config = { nonsense = 1 } begin { }").contains("ERROR: nonsense: not a known configuration option"))
        XCTAssertTrue(semaErrors(#"config = { license = "Potato" } begin { }"#).contains("ERROR: Invalid value for license. Found: Potato."))
        XCTAssertEqual(semaErrors(#"config = { license = "Dual BSD/GPL" } begin { }"#), "")
        XCTAssertEqual(semaErrors("config = { BPFTRACE_MAX_MAP_KEYS = 2; stack_mode = perf } begin { }"), "")
    }
}

final class SemaTypeTests: XCTestCase {
    func testScriptStructLayouts() throws {
        let s = try XCTUnwrap(CDefinitions.structLayout(in: "struct a { char c; long l; short s[3]; unsigned int *p; }", known: [:]))
        XCTAssertEqual(s.size, 32)
        XCTAssertEqual(s.fields["l"], StructField(type: .i64, byteOffset: 8))
        XCTAssertEqual(s.fields["s"], StructField(type: .array(.i16, 3), byteOffset: 16))
        XCTAssertEqual(s.fields["p"]?.byteOffset, 24)
        let packed = try XCTUnwrap(CDefinitions.structLayout(in: "struct b { char c; int i; } __attribute__((packed))", known: [:]))
        XCTAssertEqual(packed.size, 5)
        let nested = try XCTUnwrap(CDefinitions.structLayout(in: "struct n { char c; struct a inner; }", known: ["struct a": s]))
        XCTAssertEqual(nested.fields["inner"], StructField(type: .cType("struct a"), byteOffset: 8))
        XCTAssertNil(CDefinitions.structLayout(in: "struct u { mystery_t m; }", known: [:]))
        // char arrays are strings, other byte arrays integers; declarators share their type.
        let bytes = try XCTUnwrap(CDefinitions.structLayout(in: "struct c { char s[4]; uint8_t y[4], z[2]; int *p, q; }", known: [:]))
        XCTAssertEqual(bytes.fields["s"]?.type, .string(4))
        XCTAssertEqual(bytes.fields["y"], StructField(type: .array(.u8, 4), byteOffset: 4))
        XCTAssertEqual(bytes.fields["z"], StructField(type: .array(.u8, 2), byteOffset: 8))
        XCTAssertEqual(bytes.fields["p"]?.type.isPointer, true)
        XCTAssertEqual(bytes.fields["q"], StructField(type: .i32, byteOffset: 24))
    }

    func testBitfieldsPackIntoUnitsOfTheirType() throws {
        let g = try XCTUnwrap(CDefinitions.structLayout(in: "struct g { unsigned int a:1; unsigned int b:4; char c; }", known: [:]))
        XCTAssertEqual(g.fields["b"], StructField(type: .u32, byteOffset: 0, bitOffset: 1, bitSize: 4))
        XCTAssertEqual(g.fields["c"]?.byteOffset, 1)
        XCTAssertEqual(g.size, 4)
        // Six bits do not fit after three in a one-byte unit: they start the next.
        let bar = try XCTUnwrap(CDefinitions.structLayout(in: "struct bar { unsigned char a:3; unsigned char b:6; int c; }", known: [:]))
        XCTAssertEqual(bar.fields["b"], StructField(type: .u8, byteOffset: 1, bitOffset: 0, bitSize: 6))
        XCTAssertEqual([bar.fields["c"]?.byteOffset, bar.size], [4, 8])
    }

    func testStructsDefinedInsideStructs() throws {
        let all = CDefinitions.structLayouts(in: "struct Foo { char c; union { long l; int i; } u; struct Bar { char a; struct Baz { int z; } baz; } bar; }", known: [:])
        XCTAssertEqual(all.map(\.name), ["union __anon0", "struct Baz", "struct Bar", "struct Foo"])
        let foo = try XCTUnwrap(all.last)
        XCTAssertEqual(foo.size, 24)
        XCTAssertEqual(foo.fields["u"], StructField(type: .cType("union __anon0"), byteOffset: 8))
        XCTAssertEqual(foo.fields["bar"], StructField(type: .cType("struct Bar"), byteOffset: 16))
    }

    func testOffsetofAndSizeofFoldToConstants() {
        let (checked, errors) = check("struct A { char c; struct B { short s; int i; } b; } begin { @o = offsetof(struct A, b.i); @s = sizeof(struct A); }")
        XCTAssertEqual(errors, "")
        let values = checked.program.probes[0].body.statements.compactMap { statement -> Expr? in
            if case .assign(_, _, let value) = statement.kind { return value }
            return nil
        }
        XCTAssertEqual(values.map(\.foldedConstant), [8, 12])
        XCTAssertTrue(semaErrors("struct A { int x; } begin { @ = offsetof(struct A, y); }").contains("'struct A' has no field named 'y'"))
    }

    func testVariablesWidenAcrossAssignments() {
        let (checked, errors) = check("begin { $x = (int8)1; $x = (int16)-1000; @y = $x; $n = 1; @n = $n; $u = (uint64)1; $u = 0; @u = $u; }")
        XCTAssertEqual(errors, "")
        XCTAssertEqual(checked.maps["y"]?.value, .i16)
        XCTAssertEqual(checked.maps["n"]?.value, .i64, "a variable set from a literal is 64-bit")
        XCTAssertEqual(checked.maps["u"]?.value, .u64, "a literal takes the variable's type")
    }

    func testMapKeysValuesAndAggregates() {
        let (checked, errors) = check("kprobe:f { @c[pid, comm] = count(); @h = hist(arg0); @l[cpu] = lhist(arg1, 0, 100, 10); @s[\"x\"] = 1; @s[\"longer\"] = 2; }")
        XCTAssertEqual(errors, "")
        XCTAssertEqual(checked.maps["c"]?.key, .tuple([.u32, .string(16)]))
        XCTAssertEqual(checked.maps["c"]?.aggregate, .count)
        XCTAssertNil(checked.maps["h"]?.key)
        XCTAssertEqual(checked.maps["h"]?.aggregate, .hist)
        XCTAssertEqual(checked.maps["l"]?.aggregateArguments, [0, 100, 10])
        XCTAssertEqual(checked.maps["s"]?.key, .string(7))
        XCTAssertEqual(checked.maps["s"]?.value, .u8)
    }

    func testMapUsedBeforeAssignmentInAnotherProbe() {
        let (checked, errors) = check("kretprobe:f /@start[tid]/ { @lat = hist(nsecs - @start[tid]); delete(@start, tid); } kprobe:f { @start[tid] = nsecs; }")
        XCTAssertEqual(errors, "")
        XCTAssertEqual(checked.maps["start"]?.key, .u32)
        XCTAssertEqual(checked.maps["start"]?.value, .u64)
    }

    func testExpressionTypesAreRecorded() throws {
        let (checked, _) = check("begin { $t = (1, \"ab\", (uint64)2); $r = (a=1, b=comm); $s = str(0, 8); }")
        let stmts = checked.program.probes[0].body.statements
        func valueType(_ i: Int) -> SType? {
            guard case .assign(_, _, let v) = stmts[i].kind else { return nil }
            return v.type
        }
        XCTAssertEqual(valueType(0), .tuple([.u8, .string(3), .u64]))
        XCTAssertEqual(valueType(1), .record([RecordField(name: "a", type: .u8), RecordField(name: "b", type: .string(16))]))
        XCTAssertEqual(valueType(2), .string(8), "str(p, 8): 7 characters and the NUL")
    }

    func testTracepointArgsFromProvider() {
        let (checked, errors) = check("tracepoint:syscalls:sys_enter_openat { @[str(args.filename)] = count(); $m = args.mode; }", provider: FakeTracepoints())
        XCTAssertEqual(errors, "")
        XCTAssertEqual(checked.maps[""]?.key, .string(Functions.maxStrlen + 2), "max_strlen characters, one to tell it was cut, the NUL")
        let bad = check("tracepoint:syscalls:sys_enter_openat { print(args.nope); }", provider: FakeTracepoints()).1
        XCTAssertTrue(bad.contains("ERROR: tracepoint tracepoint:syscalls:sys_enter_openat has no field 'nope'"), bad)
    }

    func testMacroExpansionIsHygienic() throws {
        let (checked, errors) = check("macro add(x) { let $y = 1; x + $y } begin { $y = 10; print(add($y)); }")
        XCTAssertEqual(errors, "")
        let printed = Printer.print(checked.program)
        XCTAssertTrue(printed.contains("let $__m1_y = 1;"), printed)
        XCTAssertTrue(printed.contains("$y + $__m1_y"), printed)
    }
}

/// A stack's mode and depth are part of its type, so printing knows them.
final class StackFormatTests: XCTestCase {
    func stackType(_ call: String, positional: [String]? = nil) -> SType? {
        let source = SourceFile(name: "stdin", text: "kprobe:f { @ = \(call); }")
        let (program, _) = Parser.parse(source)
        let checked = Sema.check(program, positional: positional)
        XCTAssertFalse(checked.diagnostics.hasErrors, checked.diagnostics.rendered(in: source))
        guard case .assign(_, _, let value) = checked.program.probes[0].body.statements[0].kind else { return nil }
        return value.type
    }

    func testModesAndDepths() {
        XCTAssertEqual(stackType("kstack"), .kstack(.whole))
        XCTAssertEqual(stackType("kstack(perf, 3)"), .kstack(StackFormat(mode: .perf, limit: 3)))
        XCTAssertEqual(stackType("ustack(raw)"), .ustack(StackFormat(mode: .raw)))
        XCTAssertEqual(stackType("kstack(5)"), .kstack(StackFormat(limit: 5)))
        XCTAssertEqual(stackType("kstack($1)", positional: ["4"]), .kstack(StackFormat(limit: 4)), "a depth from the command line")
        XCTAssertTrue(semaErrors("kprobe:f { @ = kstack(200); }").contains("takes a depth from 0 to 127 frames, not 200"))
        XCTAssertTrue(semaErrors("kprobe:f { @ = kstack(fast); }").contains("unknown stack mode 'fast'"))
    }
}

/// C definitions, directives and config values a C compiler or bpftrace
/// would refuse are errors, never silently something else.
final class DefinitionAndConfigErrorTests: XCTestCase {
    func firstError(_ text: String) -> String {
        String(semaErrors(text).split(separator: "\n").first ?? "")
    }

    func testEnumeratorsThatCCompilersRefuse() {
        XCTAssertEqual(firstError("enum Foo { A = 1, A = 2 } begin { exit(); }"), "stdin:1:1-26: ERROR: redefinition of enumerator 'A'")
        XCTAssertEqual(firstError("enum Foo { A = 5 }; enum Bar { A = 6 } begin { exit(); }"), "stdin:1:21-39: ERROR: redefinition of enumerator 'A'")
        XCTAssertEqual(firstError("enum Foo { A = 99999999999999999999 } begin { exit(); }"),
                       "stdin:1:1-38: ERROR: integer literal is too large to be represented in any integer type: 99999999999999999999")
        XCTAssertEqual(firstError("enum Foo { A = 1 + } begin { exit(); }"),
                       "stdin:1:1-21: ERROR: value of enumerator 'A' is not an integer constant: 1 +")
        // An enumerator may take an earlier one's value, and the next counts on from it.
        let (checked, errors) = check("enum Foo { A = 5, B = A, C } begin { print((B, C)); }")
        XCTAssertEqual(errors, "")
        XCTAssertEqual(checked.enums["Foo"]?[6], "C")
    }

    func testStructTagsMustBeIdentifiers() {
        XCTAssertEqual(firstError("struct @@@x!! { int a; } begin { exit(); }"),
                       "stdin:1:1-25: ERROR: expected identifier or '{' after 'struct', found '@@@x!!'")
        XCTAssertEqual(semaErrors("struct x { int a; } begin { exit(); }"), "")
    }

    func testConditionalDirectivesPairUp() {
        XCTAssertEqual(firstError("#endif\nbegin { exit(); }"), "stdin:1:1-7: ERROR: #endif without #if")
        XCTAssertEqual(firstError("#ifdef FOO\nbegin { exit(); }"), "stdin:1:1-11: ERROR: unterminated conditional directive")
        XCTAssertEqual(firstError("#else\nbegin { exit(); }"), "stdin:1:1-6: ERROR: #else without #if")
        XCTAssertEqual(semaErrors("#ifndef BPFTRACE_HAVE_BTF\n#include <linux/sched.h>\n#else\n#endif\nbegin { exit(); }"), "")
    }

    func testMacroExpansionHasABudget() {
        // Six nested calls of a macro that uses its argument ten times: a million copies.
        let text = "macro a(x) { x+x+x+x+x+x+x+x+x+x }\nbegin { print(a(a(a(a(a(a(1))))))); }"
        let start = Date()
        XCTAssertEqual(firstError(text), "stdin:2:25-29: ERROR: macro 'a' expands to more than 10000 macro calls: do its macros call each other more than once?")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testConfigValuesOfTheWrongTypeOrRange() {
        XCTAssertEqual(firstError(#"config = { max_map_keys = "abc" } begin { exit(); }"#),
                       "stdin:1:27-32: ERROR: Invalid type for max_map_keys. Type: string. Expected Type: integer")
        XCTAssertEqual(firstError("config = { max_map_keys = 18446744073709551615 } begin { exit(); }"),
                       "stdin:1:27-47: ERROR: Invalid value for max_map_keys: 18446744073709551615 is out of range (1 to 4294967295)")
        XCTAssertEqual(firstError("config = { max_strlen = 0 } begin { exit(); }"),
                       "stdin:1:25-26: ERROR: Invalid value for max_strlen: 0 is out of range (1 to 65536)")
        XCTAssertEqual(firstError("config = { print_maps_on_exit = 5 } begin { exit(); }"),
                       "stdin:1:33-34: ERROR: Invalid type for print_maps_on_exit. Type: integer. Expected Type: bool")
        XCTAssertEqual(semaErrors("config = { max_map_keys = 100; print_maps_on_exit = false; perf_rb_pages = 0 } begin { exit(); }"), "")
    }
}
