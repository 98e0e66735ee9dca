import BPF
import Foundation
import XCTest

/// The auger command on real scripts, compared with the text bpftrace prints.
final class EndToEndTests: AugerTestCase {
    /// A histogram row as bpftrace lays it out.
    func row(_ label: String, _ count: Int, bar: Int) -> String {
        label.padding(toLength: 16, withPad: " ", startingAt: 0) + String(repeating: " ", count: 8 - String(count).count) + "\(count) |"
            + String(repeating: "@", count: bar) + String(repeating: " ", count: 52 - bar) + "|\n"
    }

    func testMapsPrintSortedByValue() throws {
        XCTAssertEqual(try run("begin { @[1] = 3; @[2] = 1; @[3] = 2; exit(); }"), "\n@[2]: 1\n@[3]: 2\n@[1]: 3\n\n")
    }

    func testHistogram() throws {
        let out = try run("begin { for ($i : 0..10) { @h = hist($i); } exit(); }")
        XCTAssertEqual(out, "\n@h:\n" + row("[0]", 1, bar: 13) + row("[1]", 1, bar: 13) + row("[2, 4)", 2, bar: 26)
                       + row("[4, 8)", 4, bar: 52) + row("[8, 16)", 2, bar: 26) + "\n")
    }

    func testLinearHistogramWithOutliers() throws {
        let out = try run("begin { @l = lhist(-1, 0, 30, 10); @l = lhist(5, 0, 30, 10); @l = lhist(25, 0, 30, 10); @l = lhist(25, 0, 30, 10); @l = lhist(99, 0, 30, 10); exit(); }")
        XCTAssertEqual(out, "\n@l:\n" + row("(..., 0)", 1, bar: 26) + row("[0, 10)", 1, bar: 26) + row("[10, 20)", 0, bar: 0)
                       + row("[20, 30)", 2, bar: 52) + row("[30, ...)", 1, bar: 26) + "\n")
    }

    func testStatsAverageMinMaxSum() throws {
        let out = try run("begin { @s = stats(10); @s = stats(20); @a = avg(3); @a = avg(4); @mn = min(-5); @mn = min(7); @mx = max(-5); @mx = max(7); @sum = sum(-3); @sum = sum(10); exit(); }")
        XCTAssertEqual(out, "\n@a: 3\n\n@mn: -5\n\n@mx: 7\n\n@s: { .count = 2, .average = 15, .total = 30 }\n\n@sum: 7\n\n")
    }

    func testPrintfConversions() throws {
        let out = try run(#"begin { printf("%d|%5d|%-5d|%05d|%x|%X|%o|%u|%s|%6s|%-6s|%c|%%\n", -7, 42, 42, 42, 255, 255, 8, 3, "ab", "ab", "ab", 65); exit(); }"#)
        XCTAssertEqual(out, "-7|   42|42   |00042|ff|FF|10|3|ab|    ab|ab    |A|%\n\n")
    }

    func testPlainPrintfConversionsFromRecordBytes() throws {
        let out = try run(#"begin { $s = "abc"; printf("%s|%d|%hhd|%d|%lld|%s|%d\n", $s, (uint8)200, 511, (int16)-3, 0xffffffffffffffff, comm, (uint64)0xffffffffffffffff); }"#)
        XCTAssertEqual(out, "abc|200|-1|-3|18446744073709551615|auger|-1\n\n")
    }

    func testVariablesTuplesAndStrings() throws {
        let out = try run(#"begin { $t = (1, "two", -3); $s = "abc"; if ($s == "abc") { printf("%d %s %d %s\n", $t.0, $t.1, $t.2, $s); } @k["x", 2] = 7; exit(); }"#)
        XCTAssertEqual(out, "1 two -3 abc\n\n@k[x, 2]: 7\n\n")
    }

    func testNestedIfExpressionsHaveTheirBranchValues() throws {
        let out = try run(#"begin { $x = 1; $y = 0; $n = if ($x) { if ($y) { 5 } else { 6 } } else { 0 }; $s = if ($y) { "a" } else { if ($x) { "b" } else { "c" } }; printf("%d %s\n", $n, $s); }"#)
        XCTAssertEqual(out, "6 b\n\n")
    }

    func testPointerArithmeticCountsElements() throws {
        let out = try run(#"begin { @a = (int16 *)0x32; @a += 1; @b = (int64 *)0x32; @b++; $p = (int32 *)0x10; $p--; $p -= 2; printf("%p\n", $p + 1); }"#)
        XCTAssertEqual(out, "0x8\n\n@a: 0x34\n\n@b: 0x3a\n\n")
    }

    func testDivisionByZeroGivesOne() throws {
        let out = try run(#"begin { @zero = 0; printf("%d %d %d %d\n", 10 / @zero, (uint64)10 % (uint64)@zero, -7 / 2, 7 % 3); clear(@zero); }"#)
        XCTAssertEqual(out, "1 1 -3 1\n\n")
        let r = try auger(["-q", "-e", "begin { @zero = 0; print(10 / @zero); clear(@zero); }"])
        XCTAssertTrue(r.stderr.hasPrefix("stdin:1:26-36: WARNING: Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.\n"), r.stderr)
    }

    func testStrncmpAndStrcontains() throws {
        let out = try run(#"begin { $n = "ell"; printf("%d %d %d %d|", strncmp("hello", "hell", 4), strncmp("hello", "hell", 5), strncmp("one", "one ", 4), strncmp("wow", comm, 17)); printf("%d %d %d %d %d\n", strcontains("hello", $n), strcontains("ababac", "abac"), strcontains("hello\0world", "world"), strcontains(comm, "auger"), strcontains("x", "")); }"#)
        XCTAssertEqual(out, "0 1 1 1|1 1 0 1 1\n\n")
    }

    func testStrcontainsOnTracepointStrings() throws {
        let r = try auger(["-q", "-c", "/bin/cat /nonexistent/auger-needle-file", "-e",
                           #"tracepoint:syscalls:sys_enter_openat /pid == cpid && strcontains(str(args.filename), "needle")/ { printf("%s\n", str(args.filename)); }"#])
        XCTAssertEqual(r.stdout, "/nonexistent/auger-needle-file\n\n", r.stderr)
    }

    func testLenCountsMapKeys() throws {
        let out = try run(#"begin { @c[1] = count(); @c[2] = count(); @c[3] = count(); $n = len(@c); if ($n > 2) { delete(@c, 2); } printf("%d %d\n", $n, len(@c)); clear(@c); }"#)
        XCTAssertEqual(out, "3 2\n\n")
        let r = try auger(["-e", "begin { @ = 0; print(len(@)); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("ERROR: call to len() expects a map with explicit keys (non-scalar map)"), r.stderr)
    }

    func testLoopsReuseAVariableNameWithAnotherType() throws {
        let out = try run(#"begin { @a[16] = 32; @b[64] = "aa"; $v = 123; for ($kv : @a) { print($kv); $v *= 2; } for ($kv : @b) { print($kv); $v *= 2; } print($v); clear(@a); clear(@b); }"#)
        XCTAssertEqual(out, "(16, 32)\n(64, aa)\n492\n\n")
    }

    func testStrftimeFormatsInUserSpace() throws {
        let out = try run(#"begin { printf("%s|%s\n", strftime("%s.%f", 1000123000), strftime("%s.%f", 0)); @t[strftime("%Y", nsecs)] = (1, strftime("%%", 0)); }"#)
        let lines = out.split(separator: "\n")
        let stamps = lines[0].split(separator: "|").map { Double($0)! }
        XCTAssertEqual(stamps[0] - stamps[1], 1.000123, accuracy: 0.0000005)
        var now = time(nil), parts = tm()
        localtime_r(&now, &parts)
        XCTAssertEqual(String(lines[1]), "@t[\(parts.tm_year + 1900)]: (1, %)")
    }

    func testRecordsPrintAsBpftracesNewest() throws {
        let out = try run(#"begin { $v = (x=1, y=2); print((a=0, c="str", d=(5, 6), e=$v)); }"#)
        XCTAssertEqual(out, "{ .a = 0, .c = str, .d = (5, 6), .e = { .x = 1, .y = 2 } }\n\n")
    }

    func testEnumValuesPrintAsTheirNames() throws {
        let out = try run(#"enum Foo { ONE = 1, TWO = 2 }; begin { $one = ONE; printf("%d %s %s %s|", $one, $one, (enum Foo)2, (enum Foo)7); @k[TWO] = 1; @v = (ONE, 5); @sum[ONE + 1] = TWO - 1; }"#)
        XCTAssertEqual(out, "1 ONE TWO 7|\n@k[TWO]: 1\n\n@sum[2]: 1\n\n@v: (ONE, 5)\n\n")
    }

    func testRangeLoopsWithRunTimeBoundsUseBPFLoop() throws {
        let out = try run(#"begin { $e = 5; for ($i : 1..$e) { if ($i == 2) { continue; } if ($i == 4) { break; } printf("%d ", $i); } for ($i : 1..4) { for ($j : 1..$i) { printf("%d", $j); if ($j == 2) { return; } } } printf("not reached"); }"#)
        XCTAssertEqual(out, "1 3 112\n")
        let r = try auger(["-q", "-c", "\(Self.workload) getppid 10", "-e",
                           "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { $n = (pid & 0) + 3; for ($i : 0..$n) { @c = count(); } }"])
        XCTAssertEqual(r.stdout, "\n@c: 30\n\n", r.stderr)
    }

    func testUserStacksAreSymbolized() throws {
        // The child sleeps after its calls, so its mappings are read while it lives.
        let r = try auger(["-q", "-c", "\(Self.workload) getppid 3 sleep 300", "-e",
                           "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[ustack] = count(); }"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\n        getppid+"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("]: 3\n\n"), r.stdout)
    }

    func testBuffersPrintEscaped() throws {
        let out = try run(#"begin { $b = buf("abcdefghijk", 11); printf("%r|%rx|%rh|%d\n", $b, buf("\x01A", 2), buf("Hi", 2), $b == buf("abcdefghijk", 11)); @[buf("key", 4), 1] = count(); }"#)
        XCTAssertEqual(out, "abcdefghijk|\\x01\\x41|48 69|1\n\n@[key\\x00, 1]: 1\n\n")
        let r = try auger(["-q", "-c", "/bin/echo buffered-text", "-e", #"tracepoint:syscalls:sys_enter_write /pid == cpid/ { printf("<%r>\n", buf(args.buf, args.count)); }"#])
        XCTAssertTrue(r.stdout.contains("<buffered-text\\x0a>\n"), r.stdout)
    }

    func testNtopAndPton() throws {
        let out = try run(#"begin { printf("%s %s %s %s\n", ntop(2, pton("10.1.2.3")), ntop(pton("fe80::1:2")), ntop(0x0100007f), ntop(pton("2001:db8::"))); @[ntop(pton("1.2.3.4"))] = 1; }"#)
        XCTAssertEqual(out, "10.1.2.3 fe80::1:2 127.0.0.1 2001:db8::\n\n@[1.2.3.4]: 1\n\n")
        XCTAssertEqual(try run(#"begin { print(ntop(pton("1.2.3.4"))); }"#, ["-f", "json"]), #"{"type": "value", "data": "1.2.3.4"}"# + "\n")
    }

    func testKernelStructFieldsThroughBTF() throws {
        let r = try auger(["-q", "-e", #"begin { printf("%d %d %s %d\n", curtask->pid == pid, curtask->real_parent->pid, curtask->comm, (*curtask).mm->task_size > 0); }"#])
        XCTAssertEqual(r.stdout, "1 \(getpid()) auger 1\n\n", r.stderr)
        // A syscall's struct pointer argument points into user memory.
        let sleep = try auger(["-q", "-c", "\(Self.workload) sleep 20", "-e",
                               #"tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { printf("%d %d\n", args.rqtp->tv_sec, args.rqtp->tv_nsec); }"#])
        XCTAssertEqual(sleep.stdout, "0 20000000\n\n", sleep.stderr)
        let bad = try auger(["-e", "begin { print(curtask->no_such_field); }"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("ERROR: struct task_struct has no field named 'no_such_field'"), bad.stderr)
    }

    func testTimersStartAfterBegin() throws {
        XCTAssertEqual(try run("begin { @start = nsecs; } interval:ms:200 { printf(\"%d\\n\", (nsecs - @start) >= 200000000); clear(@start); exit(); }"), "1\n\n")
    }

    func testJSONKeepsNumbersAndUnsignedKeys() throws {
        XCTAssertEqual(try run("enum { FOO = 333 }; begin { @p = (int16 *)0x32; @e = FOO; }", ["-f", "json"]),
                       #"{"type": "map", "data": {"@e": 333}}"# + "\n" + #"{"type": "map", "data": {"@p": 50}}"# + "\n")
        XCTAssertEqual(try run("begin { @a[18446744073709551615] = 0; }"), "\n@a[18446744073709551615]: 0\n\n")
    }

    func testStrerrorBswapOfAByteAndUsym() throws {
        XCTAssertEqual(try run(#"begin { printf("%s|%x|%x\n", strerror(7), bswap((int8)0x12), bswap((uint16)0x1234)); @u = usym(1); }"#),
                       "Argument list too long|12|3412\n\n@u: 0x1\n\n")
    }

    func testStrlenAndArrayToIntegerCasts() throws {
        XCTAssertEqual(try run(#"begin { $s = "four"; printf("%x %d %d %d\n", (uint32)pton("127.0.0.1"), strlen("hello"), strlen($s), strlen(comm)); }"#),
                       "100007f 5 4 5\n\n")
    }

    func testArgsAsARecordAndUsername() throws {
        let r = try auger(["-q", "-c", "\(Self.workload) sleep 10", "-e",
                           "tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { print(args); printf(\"%s\\n\", username); }"])
        XCTAssertTrue(r.stdout.hasPrefix("{ .__syscall_nr = 230, .which_clock = 0, .flags = 0, .rqtp = 0x"), r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix(", .rmtp = 0x0 }\nroot\n\n"), r.stdout)
    }

    func testCgroupidMatchesTheCurrentCgroup() throws {
        // Our cgroup2 path and where cgroup2 is mounted: auger, our child, shares the cgroup.
        let mounts = try String(contentsOfFile: "/proc/mounts", encoding: .utf8).split(separator: "\n")
        guard let mount = mounts.first(where: { $0.split(separator: " ").count > 2 && $0.split(separator: " ")[2] == "cgroup2" })?.split(separator: " ")[1],
              let own = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8).split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw XCTSkip("no cgroup2 hierarchy here")
        }
        let path = String(mount) + String(own.dropFirst(3))
        XCTAssertEqual(try run("begin { printf(\"%d\\n\", cgroup == cgroupid(\"\(path)\")); }"), "1\n\n")
        let name = mount.split(separator: "/").last!
        XCTAssertEqual(try run("begin { print(cgroup_path(cgroup)); }"), "\(name):\(own.dropFirst(3))\n\n")
    }

    func testStringsIndexedAtRunTime() throws {
        XCTAssertEqual(try run(#"begin { $a = "foo"; $i = (uint64)10; $j = (uint64)1; printf("%d %c %c\n", $a[$i], $a[$j], $a[0]); }"#), "0 o f\n\n")
    }

    func testUprobesCountCallsArgumentsAndReturnValues() throws {
        let w = Self.workload
        let r = try auger(["-q", "-c", "\(w) call 1000", "-e",
                           "uprobe:\(w):auger_workload_probe { @c = count(); @s = sum(arg0); } uretprobe:\(w):auger_workload_probe { @r = sum(retval); }"])
        XCTAssertEqual(r.stdout, "\n@c: 1000\n\n@r: 1000000\n\n@s: 499500\n\n", r.stderr)
        let missing = try auger(["-e", "uprobe:\(w):no_such_function { }"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("ERROR: No matches for uprobe \(w):no_such_function."), missing.stderr)
    }

    func testTracepointStringFieldsAsKeysAndInComparisons() throws {
        // auger forks once, for -c (cpid is not known yet when the fork fires).
        let r = try auger(["-q", "-c", "\(Self.workload) sleep 10", "-e",
                           #"tracepoint:sched:sched_process_fork /args.parent_comm == "auger"/ { @[args.parent_comm, args.child_pid > 0] = count(); }"#])
        XCTAssertEqual(r.stdout, "\n@[auger, true]: 1\n\n", r.stderr)
    }

    func testAddressOfVariables() throws {
        let out = try run(#"begin { $a = 1; $b = &$a; $a += 4; $a++; $t = (1, "hello", 2); $s = "hi"; $c = (int8 *)&$s; printf("%d %s %c%c\n", *$b, (*(&$t)).1, *$c, *($c + 1)); }"#)
        XCTAssertEqual(out, "6 hello hi\n\n")
    }

    func testStructsDefinedInTheScript() throws {
        let out = try run(#"struct foo { int x; char y; int z; } struct bar { int x; char y; int z; } __attribute__((packed)) struct task_struct { int flags; } begin { printf("%d %d %d %d\n", sizeof(struct foo), sizeof(struct bar), sizeof((*(struct foo *)0).y), curtask.flags == curtask->flags); }"#)
        XCTAssertEqual(out, "12 9 1 1\n\n")
    }

    func testPointerArithmeticScalesByStructSizes() throws {
        // Script structs and the kernel's (from BTF) both scale; pointer - pointer counts elements.
        let out = try run(#"struct A { int32_t a; int32_t b; char c[28] } begin { $a = (struct A *)1024; $t = (struct task_struct *)curtask; printf("%lu %lu %d %d\n", $a - 5, sizeof(struct A), (uint64)($t + 1) - (uint64)$t == sizeof(struct task_struct), ($t + 3) - $t); }"#)
        XCTAssertEqual(out, "844 36 1 3\n\n")
    }

    func testManyNewKeysInOneProbeFiringAreAllKept() throws {
        // From a timer interrupt, 300 new keys at once: none may be dropped.
        let out = try run("interval:ms:10 { $i = 0; while ($i < 300) { @p[$i] = 1; @c[$i] = count(); @s[$i] = sum($i); $i++; } exit(); } END { print((len(@p), len(@c), len(@s))); clear(@p); clear(@c); clear(@s); }")
        XCTAssertEqual(out, "(300, 300, 300)\n\n")
    }

    func testTimeSeriesDrawsTheNewestIntervals() throws {
        // bpftrace's test clock (BPFTRACE_DUMMY_TS_MAP) makes the times exact.
        let script = #"BEGIN { @ts = (uint64)1s; } i:ms:1 { $v = -2; while ($v <= 2) { @s["x"] = tseries($v, 1s, 4, "sum"); @s["x"] = tseries($v, 1s, 4, "sum"); @ts += 1s; $v++; } @s["y"] = tseries(7, 1s, 4, "sum"); clear(@ts); exit(); }"#
        let env = ["TZ": "UTC", "BPFTRACE_DUMMY_TS_MAP": "@ts"]
        let text = try auger(["-e", script], environment: env)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout, """

            @s[x]:
                     0                                                   4
            hh:mm:ss |___________________________________________________|
            00:00:03 *                                                   | 0
            00:00:04 |                         *                         | 2
            00:00:05 |                                                   * 4
            00:00:06 |                                                   | -
                     v___________________________________________________v
                     0                                                   4

            @s[y]:
                               6                                                   8
            hh:mm:ss.ns        |___________________________________________________|
            00:00:06.000000000 |                         *                         | 7
                               v___________________________________________________v
                               6                                                   8


            """)
        let json = try auger(["-f", "json", "-q", "-e", script], environment: env)
        XCTAssertEqual(json.stdout, #"{"type": "tseries", "data": {"@s": {"x": [{"interval_start": "1970-01-01 00:00:03.000000000", "value": 0}, {"interval_start": "1970-01-01 00:00:04.000000000", "value": 2}, {"interval_start": "1970-01-01 00:00:05.000000000", "value": 4}], "y": [{"interval_start": "1970-01-01 00:00:06.000000000", "value": 7}]}}}"# + "\n")
    }

    func testTimeSeriesOnTheRealClock() throws {
        let out = try run("interval:ms:100 { @a = tseries(@n, 100ms, 3, \"max\"); @n++; if (@n == 5) { clear(@n); exit(); } }")
        // The last three intervals (one may hold two ticks), values rising to 4.
        let rows = out.split(separator: "\n").filter { $0.first?.isNumber == true && $0.contains(":") }
        XCTAssertTrue((2...3).contains(rows.count), out)
        XCTAssertTrue(rows.last?.hasSuffix(" 4") ?? false, out)
        XCTAssertTrue(out.contains("hh:mm:ss.ms  |___"), out)
    }

    func testProbetypeAndWarnf() throws {
        let out = try auger(["-e", #"begin { print(probetype); warnf("careful %d", 7); } interval:ms:1 { print(probetype); exit(); }"#])
        XCTAssertEqual(out.stdout, "special\ninterval\n\n")
        XCTAssertTrue(out.stderr.contains("WARNING: careful 7"), out.stderr)
        let quiet = try auger(["--no-warnings", "-e", #"begin { warnf("careful"); }"#])
        XCTAssertFalse(quiet.stderr.contains("careful"), quiet.stderr)
    }

    func testDashKWarnsOfMissingMapElements() throws {
        let script = #"i:ms:10 { @[1] = 1; printf("%d\n", @[2]); exit(); }"#
        let r = try auger(["-k", "-e", script])
        XCTAssertEqual(r.stdout, "0\n\n@[1]: 1\n\n")
        XCTAssertTrue(r.stderr.contains("stdin:1:36-40: WARNING: Can't lookup map element because it does not exist.\nAdditional Info - helper: map_lookup_elem, retcode: 0\n"), r.stderr)
        XCTAssertFalse(try auger(["-e", script]).stderr.contains("WARNING"), "only with -k")
    }

    func testFullMapsWarnWhereTheUpdateIs() throws {
        let r = try auger(["-e", "let @a = hash(1); let @c = percpuhash(1); begin { @a[1] = 1; @a[2] = 2; @c[1] = count(); @c[2] = count(); }"])
        XCTAssertEqual(r.stdout, "\n@a[1]: 1\n\n@c[1]: 1\n\n")
        XCTAssertTrue(r.stderr.contains("stdin:1:62-71: WARNING: Map full; can't update element.\nAdditional Info - helper: map_update_elem, retcode: -7\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("stdin:1:90-105: WARNING: Map full"), r.stderr)
        let lru = try auger(["-e", "let @a = lruhash(1); begin { @a[1] = 1; @a[2] = 2; }"])
        XCTAssertFalse(lru.stderr.contains("Map full"), lru.stderr)
    }

    func testBenchModeTimesEachBenchProbe() throws {
        let out = try run(#"begin { printf("begin\n"); } bench:fast { @a = count(); } bench:slow { $i = 0; while ($i < 50) { @b[$i] = $i; $i++; } } end { printf("end\n"); clear(@b); }"#, ["--mode", "bench"])
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(Array(lines.prefix(3)), ["begin", "Benchmark                                Time(ns)       Iterations", String(repeating: "-", count: 66)], out)
        let rows = lines.dropFirst(3).prefix(2).map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.map { $0.first }, ["fast", "slow"], out)
        let fast = Int(rows[0][1]) ?? -1, slow = Int(rows[1][1]) ?? -1, runs = Int(rows[0][2]) ?? -1
        XCTAssertGreaterThan(slow, fast, "50 map updates cost more than one count: \(out)")
        // @a counted every run of bench:fast.
        XCTAssertTrue(out.contains("end\n\n@a: \(runs)\n"), out)
    }

    func testSelfSignalProbesRunOnTheSignal() throws {
        let r = try auger(["-e", #"self:signal:SIGUSR1 { printf("first"); } self:signal:SIGUSR1 { printf(" second\n"); exit(); }"#]) { process in
            usleep(300_000)
            kill(process.processIdentifier, SIGUSR1)
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "first second\n\n")
        let bad = try auger(["-e", "self:signal:SIGHUP { }"])
        XCTAssertTrue(bad.stderr.contains("self:signal probes take SIGUSR1 or SIGUSR2, not 'SIGHUP'"), bad.stderr)
    }

    func testDeleteSaysWhetherItDeletedAndAveragesCompareSigned() throws {
        let out = try run(#"begin { @ = 1; @b[1, 2] = 2; @v = avg(-1); @v = avg(-10); printf("%d %d %d %d\n", delete(@), delete(@b, (1, 2)), delete(@b, (5, 6)), @v == -5); clear(@v); }"#)
        XCTAssertEqual(out, "1 1 0 1\n\n")
    }

    func testUnsafeCallsNeedTheFlag() throws {
        let r = try auger(["-e", #"tracepoint:syscalls:sys_enter_openat { write_user(args.filename, "x", 1); }"#])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("stdin:1:40-73: ERROR: write_user() is unsafe. To use you need the --unsafe flag\n"), r.stderr)
    }

    func testStdlibSignalNamePpidAndKaddr() throws {
        let ppid = getpid()  // auger's parent is this test process
        let out = try run(#"begin { print(signal_name(2)); print(signal_name(1024)); printf("%d %d\n", ppid(curtask), kaddr("vfs_read") == kaddr(str($1))); }"#, ["vfs_read"])
        XCTAssertEqual(out, "Interrupt\nN/A\n\(ppid) 1\n\n")
        let r = try auger(["-e", #"begin { print(kaddr("asdfzzzzzzz")) }"#])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "stdin:1:15-35: ERROR: Failed to resolve kernel symbol: asdfzzzzzzz\nbegin { print(kaddr(\"asdfzzzzzzz\")) }\n              ~~~~~~~~~~~~~~~~~~~~\n")
    }

    func testIncludedHeadersGiveTheirConstants() throws {
        let script = "#define MINE (1 << 4)\n#include <sys/socket.h>\nbegin { print((MINE, AF_INET6, strerror(EPERM))); }"
        XCTAssertEqual(try run(script, ["--include", "errno.h"]), "(16, 10, Operation not permitted)\n\n")
        let missing = try auger(["-e", "#include <lol/no.h>\nbegin { }"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "definitions.h:2:10: fatal error: 'lol/no.h' file not found\n")
    }

    func testCastsToArraysSeeTheValuesBytes() throws {
        let out = try run(#"begin { printf("%x %x\n", ((int8[8])12345)[0], ((int8[])12345)[1]); print((int8[])"hi"); print((uint8[4])0x01020304); @a = (bool[2])(uint16)1; }"#)
        XCTAssertEqual(out, "39 30\n[104,105,0]\n[4,3,2,1]\n\n@a: [true,false]\n\n")
    }

    func testSizeofTuplesIsTheirCLayout() throws {
        // Naturally aligned fields, as bpftrace (and C) lay them out.
        let out = try run(#"begin { print((sizeof(((int8)1, (int16)1, (int32)1)), sizeof(((int32)1, (int16)1, (int8)1)), sizeof(((int8)1, "abcdef", (int64)2)), sizeof((a = (int8)1, b = (int32)2)))); }"#)
        XCTAssertEqual(out, "(8, 8, 16, 8)\n\n")
    }

    func testKernelEnumConstantsAndEnumFieldsPrintByName() throws {
        // Constants from BTF: of a named enum (prints by name), of an anonymous one (a number).
        let out = try run(#"begin { printf("%d %s %d\n", SKB_DROP_REASON_NO_SOCKET, SKB_DROP_REASON_NO_SOCKET, TASK_COMM_LEN); }"#)
        XCTAssertEqual(out, "3 SKB_DROP_REASON_NO_SOCKET 16\n\n")
        // A tracepoint field of an enum type: a datagram to a closed local port is dropped for NO_SOCKET.
        let lo = Process()
        lo.executableURL = URL(fileURLWithPath: "/bin/sh")
        lo.arguments = ["-c", "ip link set lo up 2>/dev/null || true"]
        try lo.run()
        lo.waitUntilExit()
        let script = #"tracepoint:skb:kfree_skb /args.reason == SKB_DROP_REASON_NO_SOCKET/ { $r = args.reason; printf("%d %s\n", args.reason, $r); exit(); }"#
        let drops = try run(script, ["-c", "/bin/bash -c 'sleep 0.2; for i in 1 2 3; do echo x > /dev/udp/127.0.0.1/9; sleep 0.1; done'"])
        XCTAssertTrue(drops.hasPrefix("3 SKB_DROP_REASON_NO_SOCKET\n"), drops)
    }

    func testPercpuKaddrOrWhyNot() throws {
        // The loader finds per-CPU variables by name: only kernels that list data symbols can.
        let listed = ((try? String(contentsOfFile: "/proc/kallsyms", encoding: .utf8)) ?? "").contains(" runqueues\n")
        let r = try auger(["-e", #"begin { $rq = (struct rq *)percpu_kaddr("runqueues", 0); printf("%d\n", $rq != 0 && $rq->cpu == 0); }"#])
        if listed {
            XCTAssertEqual(r.stdout, "1\n\n", r.stderr)
        } else {
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.contains("ERROR: cannot find the per-CPU variable 'runqueues': it must be in the kernel's BTF and in /proc/kallsyms"), r.stderr)
        }
    }

    func testConfigReadsTheSettingsInEffect() throws {
        let script = #"config = { stack_mode = perf } begin { print((config().max_strlen, config().stack_mode, __builtin_config.cpp_demangle)); }"#
        XCTAssertEqual(try run(script), "(1024, perf, true)\n\n")
        let env = try auger(["-q", "-e", script], environment: ["BPFTRACE_MAX_STRLEN": "99"])
        XCTAssertEqual(env.stdout, "(99, perf, true)\n\n", "the environment's setting wins")
    }

    func testRecordFieldsEvaluateInWrittenOrder() throws {
        let out = try run(#"begin { $a = (foo = { printf("a"); 1 }, bar = { printf("b"); 2 }); $a = (bar = { printf("c"); 3 }, foo = { printf("d\n"); 4 }); print($a); }"#)
        XCTAssertEqual(out, "abcd\n{ .foo = 4, .bar = 3 }\n\n")
    }

    func testForLoopOverMapReachesProbeVariables() throws {
        let out = try run(#"begin { @c["a"] = count(); @c["b"] = count(); @c["b"] = count(); $total = 0; for ($kv : @c) { $total += $kv.1; if ($kv.0 == "b") { printf("b=%d\n", $kv.1); } } printf("total=%d\n", $total); clear(@c); exit(); }"#)
        XCTAssertEqual(out, "b=2\ntotal=3\n\n")
    }

    func testClearZeroAndDelete() throws {
        let out = try run("begin { @a[1] = 1; @a[2] = 2; delete(@a[1]); @b = 5; clear(@b); @c[1] = count(); zero(@c); exit(); }")
        XCTAssertEqual(out, "\n@a[2]: 2\n\n@c[1]: 0\n\n")
    }

    func testIntegerMapsOrderByValueThenKey() throws {
        let out = try run("begin { @[-2] = 5; @[3] = 5; @[1] = 7; @[-9] = -1; @s = sum(-7); @c[(int8)-1] = count(); @c[(int8)1] = count(); @c[(int8)1] = count(); }")
        XCTAssertEqual(out, "\n@[-9]: -1\n@[-2]: 5\n@[3]: 5\n@[1]: 7\n\n@c[-1]: 1\n@c[1]: 2\n\n@s: -7\n\n")
    }

    func testPrintWithTopAndDivisor() throws {
        let out = try run("begin { @m[1] = 10; @m[2] = 20; @m[3] = 30; print(@m, 2, 10); clear(@m); exit(); }")
        XCTAssertEqual(out, "@m[2]: 2\n@m[3]: 3\n\n\n")
    }

    func testExitCode() throws {
        let r = try auger(["-q", "-e", "begin { exit(3); }"])
        XCTAssertEqual(r.status, 3)
    }

    func testEndProbeRunsAfterExit() throws {
        XCTAssertEqual(try run(#"begin { @x = 1; exit(); } end { printf("end %d\n", @x); }"#), "end 1\n\n@x: 1\n\n")
    }

    func testCountsExactCallsOfChildCommand() throws {
        let out = try run("tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @ = count(); @c[comm] = count(); }",
                          ["-c", "\(Self.workload) getppid 1000"])
        XCTAssertEqual(out, "\n@: 1000\n\n@c[auger-workload]: 1000\n\n")
    }

    func testTracepointArgumentsAndStrings() throws {
        let out = try run(#"tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @[str(args.filename)] = count(); }"#,
                          ["-c", "/bin/cat /etc/hostname /etc/hostname"])
        XCTAssertTrue(out.contains("@[/etc/hostname]: 2\n"), out)
    }

    func testIntervalRunsAndSIGINTPrintsMaps() throws {
        let r = try auger(["-e", "interval:ms:20 { @ticks = count(); }"]) { process in
            usleep(600_000)
            process.interrupt()
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("Attached 1 probe"), r.stderr)
        let ticks = r.stdout.split(separator: "\n").first { $0.hasPrefix("@ticks: ") }.flatMap { Int($0.dropFirst(8)) }
        XCTAssertNotNil(ticks, r.stdout)
        XCTAssertGreaterThan(ticks ?? 0, 10)
    }

    func testProfileProbeFiresOnEveryCPU() throws {
        // Idle CPUs take no timer samples, so keep each one busy.
        let spinners = try CPU.online.map { cpu -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            p.arguments = ["-c", "\(cpu)", "/bin/sh", "-c", "while :; do :; done"]
            try p.run()
            return p
        }
        defer { spinners.forEach { $0.terminate() } }
        let out = try run("profile:hz:99 { @[cpu] = count(); } interval:ms:500 { exit(); }")
        XCTAssertEqual(out.split(separator: "\n").filter { $0.hasPrefix("@[") }.count, CPU.online.count, out)
    }

    func testSoftwareEventCountsPageFaults() throws {
        let out = try run("software:page-faults:1 /pid == cpid/ { @faults = count(); }", ["-c", "\(Self.workload) touch 3000"])
        let faults = out.split(separator: "\n").first { $0.hasPrefix("@faults: ") }.flatMap { Int($0.dropFirst(9)) }
        XCTAssertNotNil(faults, out)
        // 3,000 touched pages plus the program's own start-up faults.
        XCTAssertGreaterThanOrEqual(faults ?? 0, 3000, out)
        XCTAssertLessThan(faults ?? .max, 6000, out)
    }

    func testHardwareEventCountsOrSaysThereAreNoCounters() throws {
        let script = "hardware:instructions:100000 /pid == cpid/ { @ = count(); }"
        let r = try auger(["-e", script, "-c", "\(Self.workload) getppid 100000"])
        if FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/cpu") {
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("\n@: "), r.stdout)
        } else {
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.hasPrefix("ERROR: Error attaching probe: hardware:instructions:100000: "), r.stderr)
            XCTAssertTrue(r.stderr.contains("no hardware performance counters"), r.stderr)
        }
    }

    func testJoinPrintsExecArguments() throws {
        let out = try run(#"tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args.argv, ","); }"#, ["-c", "/bin/echo one 'two words' three"])
        XCTAssertTrue(out.contains("/bin/echo,one,two words,three\n"), out)
    }

    func testKernelStacksAreSymbolized() throws {
        let out = try run("tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack] = count(); }", ["-c", "\(Self.workload) getppid 10"])
        // A frame per line, indented by eight: `        do_syscall_64+99`.
        let frames = out.split(separator: "\n").filter { $0.hasPrefix("        ") && $0.contains("+") }
        XCTAssertFalse(frames.isEmpty, out)
        XCTAssertTrue(out.hasPrefix("\n@[\n        "), out)
        XCTAssertTrue(out.hasSuffix("]: 10\n\n"), out)
    }

    func testJSONOutput() throws {
        let out = try run(#"begin { printf("hi\n"); @x = 1; @h = hist(2); @m["a"] = 3; exit(); }"#, ["-f", "json"])
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, [
            #"{"type": "printf", "data": "hi\n"}"#,
            #"{"type": "hist", "data": {"@h": [{"min": 2, "max": 3, "count": 1}]}}"#,
            #"{"type": "map", "data": {"@m": {"a": 3}}}"#,
            #"{"type": "map", "data": {"@x": 1}}"#,
        ])
        for line in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8))) }
    }

    func testNotifiesWhenAttached() throws {
        let r = try auger(["-q", "-e", "interval:ms:100 { exit(); }"], environment: ["__BPFTRACE_NOTIFY_PROBES_ATTACHED": "1"])
        XCTAssertEqual(r.stdout, "__BPFTRACE_NOTIFY_PROBES_ATTACHED\n\n")
    }

    func testPositionalIntegersReadAsC() throws {
        let out = try run(#"begin { printf("%d %o 0x%x %lu %d\n", $1, $2, $3, $4, $5); }"#, ["--", "123", "0775", "0x123", "0xffffffffffffffff", "-5"])
        XCTAssertEqual(out, "123 775 0x123 18446744073709551615 -5\n\n")
    }

    func testPositionalParametersInAttachPoints() throws {
        XCTAssertEqual(try run(#"BEG$1 { printf("%s\n", str($1)); } i:ms:$2 /$2 == 50/ { printf("$2 %d\n", $2); exit(); } // $1"#, ["IN", "50"]),
                       "IN\n$2 50\n\n")
        XCTAssertEqual(try run(#"$1 { printf("hit\n"); exit(); }"#, ["interval:ms:100"]), "hit\n\n")
    }

    func testPositionalParameters() throws {
        XCTAssertEqual(try run(#"begin { printf("%d %s %d\n", $1 + 1, str($2), $#); exit(); }"#, ["41", "hello"]), "42 hello 2\n\n")
    }

    func testStringParametersAreStringValues() throws {
        // A parameter that is not a C integer is a string: printable, comparable, a key.
        XCTAssertEqual(try run(#"begin { print(($1, $2)); if ($1 == "pos1") { printf("%s\n", str($1 + 2)); } @[$1] = lhist(5, 0, $2, $3); }"#, ["pos1", "100", "10"]),
                       "(pos1, 100)\ns1\n\n@[pos1]:\n[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n")
    }

    func testTracesProcessUntilItExits() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: Self.workload)
        sleeper.arguments = ["sleep", "700"]
        try sleeper.run()
        let start = Date()
        let out = try run("interval:ms:50 { @ticks = count(); }", ["-p", "\(sleeper.processIdentifier)"])
        XCTAssertTrue(out.hasPrefix("\n@ticks: "), out)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testBadPids() throws {
        XCTAssertEqual(try auger(["-p", "a1111", "-e", "begin { }"]).stderr, "ERROR: Failed to parse pid: invalid integer: a1111\n")
        XCTAssertEqual(try auger(["-p", "111a1", "-e", "begin { }"]).stderr, "ERROR: Failed to parse pid: invalid trailing bytes: 111a1\n")
        XCTAssertEqual(try auger(["-p", "5000000", "-e", "begin { }"]).stderr, "ERROR: Pid out of range: 5000000\n")
    }

    func testListsTracepointsWithFields() throws {
        let r = try auger(["-lv", "tracepoint:syscalls:sys_enter_openat"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "tracepoint:syscalls:sys_enter_openat\n    int __syscall_nr\n    int dfd\n    const char * filename\n    int flags\n    umode_t mode\n")
        let all = try auger(["-l", "sys_enter_getpp"]).stdout
        XCTAssertEqual(all, "tracepoint:syscalls:sys_enter_getppid\n")
        XCTAssertEqual(try auger(["-l", "sched_process_exe"]).stdout, "tracepoint:sched:sched_process_exec\nrawtracepoint:vmlinux:sched_process_exec\n")
    }

    func testDryRunLoadsButDoesNotRun() throws {
        let r = try auger(["--dry-run", "-e", #"tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args.filename)); }"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
    }
}

final class ErrorTests: AugerTestCase {
    func testSyntaxErrorExitsWithLocation() throws {
        let r = try auger(["-e", "begin { $x = ; }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "stdin:1:14-15: ERROR: syntax error, unexpected ';', expecting an expression\nbegin { $x = ; }\n             ~\n")
    }

    func testMissingTracepoint() throws {
        let r = try auger(["-e", "tracepoint:syscalls:sys_enter_nonexistent { }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("stdin:1:1-42: ERROR: No matches for tracepoint syscalls:sys_enter_nonexistent."), r.stderr)
    }

    func testMissingProbesConfigWarnsOrIgnores() throws {
        let warn = try auger(["-e", "config = { missing_probes=warn } tracepoint:nonsense:nonsense { @x = 1; } interval:ms:10 { @y = 2; exit(); }"])
        XCTAssertEqual(warn.status, 0, warn.stderr)
        XCTAssertTrue(warn.stderr.contains("stdin:1:34-62: WARNING: No matches for tracepoint nonsense:nonsense. Skipping."), warn.stderr)
        XCTAssertTrue(warn.stderr.contains("WARNING: Probe has no valid attach points. It is being removed"), warn.stderr)
        XCTAssertEqual(warn.stdout, "\n@y: 2\n\n")
        let ignore = try auger(["-e", "config = { missing_probes=ignore } tracepoint:nonsense:nonsense { exit(); }"])
        XCTAssertEqual(ignore.status, 1)
        XCTAssertEqual(ignore.stderr, "No probes to attach\n")
    }

    func testRawTracepointsThatDoNotExist() throws {
        let plain = try auger(["-e", #"rawtracepoint:nonsense { print("hit"); }"#])
        XCTAssertEqual(plain.status, 1)
        XCTAssertTrue(plain.stderr.hasPrefix("stdin:1:1-23: ERROR: Probe has no valid attach points.\n"), plain.stderr)
        let module = try auger(["-e", "rawtracepoint:nonsense:sys_exit { }"])
        XCTAssertTrue(module.stderr.hasPrefix("stdin:1:1-32: ERROR: No matches for rawtracepoint nonsense:sys_exit.\n"), module.stderr)
        // Only BEGIN left when the rest is skipped: it still runs.
        let begin = try auger(["-e", #"config = { missing_probes=ignore } rawtracepoint:nonsense { } begin { printf("ran\n"); exit(); }"#])
        XCTAssertEqual(begin.stdout, "ran\n\n", begin.stderr)
    }

    func testVerifierRejectionPointsAtTheLoop() throws {
        let r = try auger(["-e", "begin { $i = 0;\n  while ($i < 1) { @x = 1; }\n  exit(); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("ERROR: the kernel's BPF verifier rejected the program for begin"), r.stderr)
        XCTAssertTrue(r.stderr.contains("stdin:2:"), r.stderr)
    }

    func testMissingFile() throws {
        let r = try auger(["/nonexistent/script.bt"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "ERROR: failed to open file '/nonexistent/script.bt': No such file or directory\n")
    }
}

/// Nothing stays loaded once auger ends, however it ends.
final class CleanupTests: AugerTestCase {
    func programsNamedByAuger() -> Set<UInt32> {
        Set((try? LoadedObjects.programIDs()) ?? [])
    }

    /// Waits for the kernel to free objects (it does so after an RCU grace period).
    func assertGone(_ before: Set<UInt32>, file: StaticString = #filePath, line: UInt = #line) {
        var extra: Set<UInt32> = []
        for _ in 0..<100 {
            extra = programsNamedByAuger().subtracting(before)
            if extra.isEmpty { return }
            usleep(20_000)
        }
        XCTFail("programs still loaded: \(extra.sorted())", file: file, line: line)
    }

    func testAfterExit() throws {
        let before = programsNamedByAuger()
        try run("tracepoint:syscalls:sys_enter_getppid { @ = count(); } interval:ms:50 { exit(); }")
        assertGone(before)
    }

    func testAfterSIGINT() throws {
        let before = programsNamedByAuger()
        try auger(["-e", "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"]) { process in
            usleep(500_000)
            process.interrupt()
        }
        assertGone(before)
    }

    func testAfterSIGKILL() throws {
        let before = programsNamedByAuger()
        var loadedWhileRunning = 0
        try auger(["-e", "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"]) { process in
            usleep(600_000)
            loadedWhileRunning = self.programsNamedByAuger().subtracting(before).count
            kill(process.processIdentifier, SIGKILL)
        }
        XCTAssertGreaterThan(loadedWhileRunning, 0)
        assertGone(before)
    }
}
