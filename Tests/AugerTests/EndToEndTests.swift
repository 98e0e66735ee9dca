import BPF
import TestSupport
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

    func testJSONKeysWithCommasStayDistinct() throws {
        // Several keys are joined with commas, as bpftrace does; one holding a comma is quoted, CSV-style.
        XCTAssertEqual(try run(#"begin { @["x,a", "b"] = 1; @["x", "a,b"] = 2; @t["curl", 3] = 4; }"#, ["-f", "json"]), #"""
            {"type": "map", "data": {"@": {"\"x,a\",b": 1, "x,\"a,b\"": 2}}}
            {"type": "map", "data": {"@t": {"curl,3": 4}}}

            """#)
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

    /// Probes on one function run in the script's order, though the kernel
    /// runs a uprobe's newest consumer first.
    func testProbesOnOneUserFunctionRunInScriptOrder() throws {
        let w = Self.workload
        let script = #"uprobe:\#(w):auger_workload_probe { printf("first "); } uprobe:\#(w):auger_workload_pro?e { printf("second "); } uprobe:\#(w):auger_workload_probe { printf("third\n"); }"#
        XCTAssertEqual(try run(script, ["-c", "\(w) call 2"]), "first second third\nfirst second third\n\n")
    }

    /// A wildcard over a file's functions: each named by func, usym and
    /// probe; one program behind one uprobe_multi link where the kernel has
    /// them, unless the probe reads `probe`.
    func testUprobeWildcardsNameEachFunction() throws {
        let w = Self.workload
        let r = try auger(["-q", "-c", "\(w) call 20", "-e",
                           #"uprobe:\#(w):auger_workload_probe* { @[func] = count(); @u[usym(reg("ip"))] = count(); }"#])
        XCTAssertEqual(r.stdout, "\n@[auger_workload_probe_other]: 10\n@[auger_workload_probe]: 20\n\n@u[auger_workload_probe_other]: 10\n@u[auger_workload_probe]: 20\n\n", r.stderr)
        let named = try auger(["-q", "-c", "\(w) call 4", "-e", "uretprobe:\(w):auger_workload_probe* { @[probe, func] = count(); }"])
        XCTAssertEqual(named.stdout, "\n@[uretprobe:\(w):auger_workload_probe_other, auger_workload_probe_other]: 2\n@[uretprobe:\(w):auger_workload_probe, auger_workload_probe]: 4\n\n", named.stderr)
        func programs(_ extra: [String]) throws -> Int {
            let d = try auger(["--dry-run", "-d", "dis"] + extra + ["-e", "uprobe:\(w):auger_workload_probe* { @ = count(); }"])
            return d.stderr.split(separator: "\n").filter { $0.hasPrefix("up_") }.count
        }
        XCTAssertEqual(try programs([]), 1)
        XCTAssertEqual(try programs(["--no-feature", "uprobe_multi"]), 2)
        let listed = try auger(["-l", "uprobe:\(w):auger_workload_probe*"])
        XCTAssertEqual(listed.stdout, "uprobe:\(w):auger_workload_probe\nuprobe:\(w):auger_workload_probe_other\n")
        let none = try auger(["-e", "uprobe:\(w):auger_nothing_* { }"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("ERROR: No matches for uprobe \(w):auger_nothing_*."), none.stderr)
    }

    /// USDT markers: arguments from registers and memory as the note says,
    /// a semaphore raised while attached (the guarded marker is reached only
    /// then), probe names, listing, and a marker that does not exist.
    func testUSDTMarkersArgumentsAndSemaphores() throws {
        let w = Self.workload
        let r = try auger(["-q", "-c", "\(w) call 100", "-e",
                           "usdt:\(w):auger:call { @c = count(); @s = sum(arg0); @t = sum(arg1); } U:\(w):auger:guarded { @g[probe] = count(); }"])
        XCTAssertEqual(r.stdout, "\n@c: 100\n\n@g[usdt:\(w):auger:guarded]: 100\n\n@s: 4950\n\n@t: 9900\n\n", r.stderr)
        let any = try auger(["-c", "\(w) call 3", "-e", "usdt:\(w):* { @[probe] = count(); }"])
        XCTAssertTrue(any.stderr.contains("Attached 2 probes"), any.stderr)
        XCTAssertEqual(try auger(["-l", "usdt:\(w):*"]).stdout, "usdt:\(w):auger:call\nusdt:\(w):auger:guarded\n")
        XCTAssertEqual(try auger(["-l", "usdt:\(w):auger:g*"]).stdout, "usdt:\(w):auger:guarded\n")
        let missing = try auger(["-e", "usdt:\(w):auger:nothing { }"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("ERROR: No matches for usdt \(w):auger:nothing."), missing.stderr)
        let tooFar = try auger(["-e", "usdt:\(w):auger:guarded { print(arg1); }"])
        XCTAssertEqual(tooFar.status, 1)
        XCTAssertTrue(tooFar.stderr.contains("usdt:\(w):auger:guarded has 1 argument: arg1 does not exist"), tooFar.stderr)
    }

    /// Arrays in a struct the script defines, read through a pointer: whole
    /// (printed, as map values and keys), by element, by row, and arrays of pointers.
    func testArrayMembersOfScriptStructs() throws {
        let w = Self.workload
        let script = "struct S { int x[4]; int y[2][2]; int *z[2]; } uprobe:\(w):auger_workload_arrays { $s = (struct S *)arg0; "
            + "@x = $s.x; @y = $s.y; @e = $s.x[2] + $s.y[1][0]; @row[$s.y[1]] = 1; @z = *$s.z[1]; $a = $s.x; @v = $a[3]; exit(); }"
        let r = try auger(["-q", "-c", "\(w) call 5", "-e", script])
        XCTAssertEqual(r.stdout, "\n@e: 10\n\n@row[[7,8]]: 1\n\n@v: 4\n\n@x: [1,2,3,4]\n\n@y: [[5,6],[7,8]]\n\n@z: 20\n\n", r.stderr)
        let outside = try auger(["-e", "struct S { int x[4]; } uprobe:\(w):auger_workload_arrays { @ = ((struct S *)arg0).x[5]; }"])
        XCTAssertEqual(outside.status, 1)
        XCTAssertTrue(outside.stderr.contains("ERROR: the index 5 is out of bounds for array of size 4"), outside.stderr)
    }

    /// Iterators run once over every object, after BEGIN, and the run ends
    /// when they are done; ctx is the kernel's struct bpf_iter__NAME.
    func testIteratorsVisitEveryTask() throws {
        // The program runs in the reading process: pid is auger's own, which the iterator also visits.
        let r = try auger(["-q", "-e", #"begin { printf("begin\n"); } iter:task { if (ctx.task->pid == pid) { printf("self %s\n", ctx.task.comm); } @tasks = count(); } end { printf("end\n"); }"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("begin\nself auger\nend\n\n@tasks: "), r.stdout)
        let tasks = Int(r.stdout.split(separator: " ").last?.filter(\.isNumber) ?? "") ?? 0
        XCTAssertGreaterThan(tasks, 1, r.stdout)
        let files = try auger(["-q", "-e", "iter:task_file /ctx.task->tgid == pid/ { @own = count(); }"])
        XCTAssertTrue(files.stdout.hasPrefix("\n@own: "), files.stdout + files.stderr)
        XCTAssertTrue(try auger(["-l", "iter:*"]).stdout.contains("iter:task\niter:task_file\niter:task_vma\n"))
        let missing = try auger(["-e", "iter:nothing { }"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("ERROR: No matches for iter nothing."), missing.stderr)
    }

    /// uaddr(): a variable of the probed file, in a position-independent
    /// executable (the load bias from the probe's own address), typed by its size.
    func testUaddrFindsAVariableOfThePositionIndependentWorkload() throws {
        let w = Self.workload
        let r = try auger(["-q", "-c", "\(w) call 1", "-e", #"uprobe:\#(w):auger_workload_probe { printf("%x %d\n", *uaddr("auger_workload_global"), sizeof(*uaddr("auger_workload_global"))); exit(); }"#])
        XCTAssertEqual(r.stdout, "12345678 4\n\n", r.stderr)
        let missing = try auger(["-e", #"uprobe:\#(w):auger_workload_probe { print(*uaddr("no_such_variable")); }"#])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("Could not resolve symbol"), missing.stderr)
    }

    /// User stacks in perf mode name each frame's file; in build_id mode,
    /// the file's GNU build-id and the offset in it.
    func testUserStackModesNameFilesAndBuildIDs() throws {
        let w = Self.workload
        let perf = try auger(["-q", "-c", "\(w) call 1", "-e", "uprobe:\(w):auger_workload_probe { print(ustack(perf, 1)); exit(); }"])
        let line = perf.stdout.split(separator: "\n").first { $0.hasPrefix("\t") } ?? ""
        XCTAssertTrue(line.hasSuffix(" auger_workload_probe+0 (\(w))"), perf.stdout + perf.stderr)
        let build = try auger(["-q", "-c", "\(w) call 1", "-e", "uprobe:\(w):auger_workload_probe { print(ustack(build_id, 1)); exit(); }"])
        let frame = build.stdout.split(separator: "\n").first { !$0.isEmpty } ?? ""
        let parts = frame.split(separator: " ")
        XCTAssertEqual(parts.count, 2, build.stdout + build.stderr)
        XCTAssertTrue(parts.first.map { $0.count >= 16 && $0.allSatisfy(\.isHexDigit) } ?? false, build.stdout)
        XCTAssertTrue(parts.last?.hasPrefix("0x") ?? false, build.stdout)
    }

    /// Hardware watchpoints on the -c command's memory count its writes exactly.
    func testWatchpointsCountWritesOfTheCommand() throws {
        let w = Self.workload
        let r = try auger(["-q", "-c", "\(w) watch 25", "-e", "watchpoint:0x10000000:8:w { @ = count(); }"])
        XCTAssertEqual(r.stdout, "\n@: 25\n\n", r.stderr)
        let none = try auger(["-e", "watchpoint:0x10000000:8:w { }"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("a watchpoint on a user address needs a process: -p PID or -c COMMAND"), none.stderr)
    }

    /// `watchpoint:FUNC+argN`: armed on the address the function's first call
    /// passes, with the process stopped meanwhile, so not one write is missed;
    /// then the watchpoint sees the writes of every later call too.
    func testWatchpointOnAFunctionsArgument() throws {
        let w = Self.workload
        let r = try auger(["-q", "-c", "\(w) watch 25", "-e", "watchpoint:auger_workload_write+arg0:8:w { @ = count(); @a[probe] = count(); }"])
        XCTAssertEqual(r.stdout, "\n@: 25\n\n@a[watchpoint:auger_workload_write+arg0:8:w]: 25\n\n", r.stderr)
        // Asynchronous: the process runs on meanwhile (here it may even end first); never an error.
        let async = try auger(["-q", "-c", "\(w) watch 25", "-e", "asyncwatchpoint:auger_workload_write+arg0:8:w { @ = count(); }"])
        XCTAssertEqual(async.status, 0, async.stderr)
        for (script, message) in [("watchpoint:no_such_function+arg0:8:w { }", "No function no_such_function in "),
                                  ("watchpoint:auger_workload_write+arg7:8:w { }", "a watchpoint's argument is one of arg0 to arg5"),
                                  ("watchpoint:auger_workload_write+argx:8:w { }", "give an address or FUNCTION+argN")] {
            let bad = try auger(["-c", "\(w) watch 2", "-e", script])
            XCTAssertEqual(bad.status, 1, script)
            XCTAssertTrue(bad.stderr.contains("stdin:1:") && bad.stderr.contains(message), bad.stderr)
        }
        // unwatch(): the first hit removes the watchpoint (writes 20 ms apart; without it all 10 count).
        for script in ["watchpoint:auger_workload_write+arg0:8:w { @ = count(); unwatch(0x10000000); }",
                       "watchpoint:0x10000000:8:w { @ = count(); unwatch(0x10000000); }"] {
            let once = try auger(["-q", "-c", "\(w) watch-slow 10", "-e", script])
            let hits = Int(once.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            XCTAssertTrue(hits >= 1 && hits <= 3, "\(script): \(once.stdout) \(once.stderr)")
        }
        let none = try auger(["-e", "watchpoint:auger_workload_write+arg0:8:w { }"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("a watchpoint on a function's argument needs a process: -p PID or -c COMMAND"), none.stderr)
    }

    /// A process in a mount namespace of its own (a container's): its file,
    /// which our namespace lacks, is found through /proc/PID/root by the path it knows.
    func testUprobeInAnotherMountNamespace() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return try TestGate.require("needs unshare (util-linux)", what: "mount namespaces") }
        let dir = "/tmp/auger-mountns-\(getpid())"
        let inner = Process()
        inner.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        inner.arguments = ["-m", "--propagation", "private", "sh", "-c",
                           "mkdir -p \(dir) && mount -t tmpfs tmpfs \(dir) && cp \(Self.workload) \(dir)/ && exec \(dir)/auger-workload call 4000000000"]
        try inner.run()
        defer { inner.terminate(); inner.waitUntilExit(); rmdir(dir) }
        var pid: Int32 = 0
        for _ in 0..<200 where pid == 0 {
            usleep(10_000)
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(inner.processIdentifier)/exe"), exe.hasPrefix(dir) { pid = inner.processIdentifier }
        }
        XCTAssertNotEqual(pid, 0, "the workload did not start in its namespace")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/auger-workload"), "the tmpfs should be the namespace's only")
        let r = try auger(["-q", "-p", "\(pid)", "-e", "uprobe:\(dir)/auger-workload:auger_workload_probe { @[probe] = count(); exit(); }"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("@[uprobe:\(dir)/auger-workload:auger_workload_probe]: "), r.stdout + r.stderr)
        let listed = try auger(["-l", "-p", "\(pid)"]).stdout
        XCTAssertTrue(listed.contains("uprobe:\(dir)/auger-workload:auger_workload_probe\n"), listed)
    }

    /// Libraries by short name, found where the dynamic linker finds them.
    func testUprobeOnALibraryByShortName() throws {
        // The command has exited when the map is printed: libc, which the
        // dynamic linker mapped after exec, is known from the kernel's mmap records.
        let r = try auger(["-q", "-c", "\(Self.workload) pread 3", "-e", "uprobe:libc:pread* { @[func] = count(); }"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("pread64]: 3"), r.stdout + r.stderr)
    }

    func testUprobesReadKernelStructsFromTheKernel() throws {
        // In a uprobe, pointers are the process's, except those from the kernel (curtask).
        let out = try run("uprobe:\(Self.workload):auger_workload_probe { @[curtask->pid == tid, str(curtask->comm)] = count(); }",
                          ["-c", "\(Self.workload) call 3"])
        XCTAssertEqual(out, "\n@[true, auger-workload]: 3\n\n")
    }

    /// reg() reads the interrupted registers: the first argument is in di,
    /// and the stack pointer is a user address.
    func testRegistersByName() throws {
        let out = try run(#"uprobe:\#(Self.workload):auger_workload_probe { @[reg("di") == arg0, reg("sp") > 0x10000, reg("ip") > 0x10000] = count(); }"#,
                          ["-c", "\(Self.workload) call 4"])
        XCTAssertEqual(out, "\n@[true, true, true]: 4\n\n")
    }

    /// A value used for nothing compiles to nothing, even `args` over
    /// probes whose arguments differ (bpftrace's "mixed probe args").
    func testUnusedValuesOverDifferentArgs() throws {
        let r = try auger(["-e", "rawtracepoint:irq_handler_entry, rawtracepoint:irq_handler_exit { args; nsecs; } interval:ms:50 { exit(); }"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("Attached 3 probes\n"), r.stdout + r.stderr)
    }

    func testSyscallTracepointsReadKernelPointersFromTheKernel() throws {
        // A syscall's arguments point into the process; a pointer reached from curtask does not.
        let r = try auger(["-q", "-c", "\(Self.workload) getppid 2", "-e",
                           "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[str(curtask->mm->exe_file->f_path.dentry->d_name.name)] = count(); }"])
        XCTAssertEqual(r.stdout, "\n@[auger-workload]: 2\n\n", r.stderr)
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

    func testSyscallArgumentArraysAndBoundedStrings() throws {
        // argv is `const char *const *`: its elements are user pointers; str(p, n) keeps n - 1 characters.
        let out = try run(#"tracepoint:syscalls:sys_enter_execve /pid == cpid/ { $n = 5; print((str(args.argv[0]), str(args.argv[1], 5), str(args.argv[1], $n), str(args.argv[2]))); exit(); }"#,
                          ["-c", "/bin/echo zztest two"])
        // echo shares auger's stdout: its own line may come first when it runs before exit() ends the run.
        XCTAssertTrue(out == "(/bin/echo, zzte, zzte, two)\n\n" || out == "zztest two\n(/bin/echo, zzte, zzte, two)\n\n", out)
    }

    func testArgsOfSeveralTracepointsKeepTheirTypes() throws {
        // sys_exit_open and sys_exit_openat share a format: ret stays a signed long (opensnoop's test).
        let out = try run("""
            tracepoint:syscalls:sys_exit_open, tracepoint:syscalls:sys_exit_openat /pid == cpid/ {
                $ret = args.ret; @[$ret >= 0 ? $ret : -1, $ret >= 0 ? 0 : - $ret] = count(); }
            tracepoint:syscalls:sys_enter_open, tracepoint:syscalls:sys_enter_openat* /pid == cpid/ { @names[str(args.filename)] = count(); }
            """, ["-c", "/bin/cat /nonexistent"])
        // Failed opens (ENOENT) count as fd -1, error 2; none as a negative "fd" with error 0.
        XCTAssertTrue(out.contains("\n@[-1, 2]: "), out)
        XCTAssertFalse(out.contains("\n@[-2, 0]: "), out)
        XCTAssertTrue(out.contains("\n@names[/nonexistent]: 1\n"), out)
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

    /// kstack(N) prints N frames; perf mode the address, symbol and object;
    /// raw mode (also the stack_mode setting) addresses only.
    func testStackModesAndDepths() throws {
        let out = try run(#"tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("%s|%s|%s|\n", kstack(2), kstack(perf, 1), kstack(raw, 1)); }"#,
                          ["-c", "\(Self.workload) getppid 1"])
        let parts = out.split(separator: "|").map { $0.split(separator: "\n") }
        XCTAssertEqual(parts.count, 4, out)
        XCTAssertEqual(parts[0].count, 2, "two frames: \(out)")
        XCTAssertTrue(parts[0].allSatisfy { $0.hasPrefix("        ") }, out)
        XCTAssertEqual(parts[1].count, 1, out)
        XCTAssertNotNil(parts[1].first?.wholeMatch(of: /\t[0-9a-f]{16} \w+\+\d+ \(\[kernel\.kallsyms\]\)/), out)
        XCTAssertNotNil(parts[2].first?.wholeMatch(of: /[0-9a-f]{16}/), out)
        let raw = try run("config = { stack_mode = raw } tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @c[kstack] = 1; }",
                          ["-c", "\(Self.workload) getppid 1"])
        XCTAssertNotNil(raw.firstMatch(of: /\n@c\[\n[0-9a-f]{16}\n/), raw)
        // len(): the frames the kernel took, at most the limit.
        let depth = try run("tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @all = len(kstack); @two = len(kstack(2)); @one = len(kstack(raw, 1)); }",
                            ["-c", "\(Self.workload) getppid 1"])
        XCTAssertNotNil(depth.firstMatch(of: /@all: [2-9]\d*\n/), depth)
        XCTAssertTrue(depth.contains("@two: 2\n") && depth.contains("@one: 1\n"), depth)
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

    func testDashPFiltersTracepointsToTheProcess() throws {
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: Self.workload)
        // The first sleep gives auger (about 0.4 s to start here, more on a loaded machine) time to attach.
        worker.arguments = ["sleep", "1500", "getppid", "700", "sleep", "600"]
        try worker.run()
        // raw_syscalls fire for every process (auger's own too); with -p only the worker's count.
        let out = try run("tracepoint:raw_syscalls:sys_enter { @[comm] = count(); } tracepoint:syscalls:sys_enter_getppid { @calls = count(); }",
                          ["-p", "\(worker.processIdentifier)"])
        worker.waitUntilExit()
        let keys = out.split(separator: "\n").filter { $0.hasPrefix("@[") }.map { $0.split(separator: "]")[0] }
        XCTAssertEqual(keys, ["@[auger-workload"], out)
        XCTAssertTrue(out.contains("@calls: 700\n"), out)
    }

    func testPidsAreThoseOfAugersPidNamespace() throws {
        let script = #"begin { printf("%d %d %d %d\n", pid, pid(curr_ns), tid(init) == pid(init), pid(init) > 1); exit() }"#
        let plain = try run(script)
        XCTAssertTrue(plain.hasSuffix(" 1 1\n\n"), plain)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return }
        // In a new pid namespace auger is process 1 there, and another number in the init namespace.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["--fork", "--pid", "--mount-proc", Self.auger, "-q", "-e", script]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        let inside = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(inside, "1 1 1 1\n\n")
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
        let exec = try auger(["-l", "sched_process_exe"]).stdout
        XCTAssertTrue(exec.hasPrefix("tracepoint:sched:sched_process_exec\nrawtracepoint:vmlinux:sched_process_exec\n"), exec)
        // Kernel functions of that name follow, from BTF: the tracepoint's own handlers.
        XCTAssertTrue(exec.contains("\nfentry:vmlinux:__traceiter_sched_process_exec\n"), exec)
        XCTAssertTrue(exec.split(separator: "\n").allSatisfy { $0.contains("sched_process_exe") }, exec)
        // Probes and types in one list: the probes first.
        let mixed = try auger(["-lv", "tracepoint:sched:sched_switch,struct file"]).stdout
        XCTAssertTrue(mixed.hasPrefix("tracepoint:sched:sched_switch\n"), mixed)
        XCTAssertTrue(mixed.contains("\nvmlinux: struct file {\n"), mixed)
        // Several patterns, comma-separated, as bpftrace takes them.
        XCTAssertEqual(try auger(["-l", "tracepoint:sched:sched_process_exe*,tracepoint:sched:sched_switch"]).stdout,
                       "tracepoint:sched:sched_process_exec\ntracepoint:sched:sched_switch\n")
    }

    func testDryRunLoadsButDoesNotRun() throws {
        let r = try auger(["--dry-run", "-e", #"tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args.filename)); }"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
    }
}
