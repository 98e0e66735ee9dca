import BPF
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The language's newer corners and bpftrace's later additions, end to end:
/// tseries, bench and self probes, headers, kernel enums, config(), stdlib.
final class LanguageTests: AugerTestCase {
    func testLiteralArithmeticIsExactAndNegativesWidenSigned() throws {
        // The hardening issue's reproducer: these used to print "44 0 255" and 255.
        let out = try run(#"BEGIN { printf("%ld %ld %ld %lu|%lu %u %d\n", 200 + 100, 1024 * 1024, (1 << 32) - 1, 1 << 63, -1, -1, -1); @m[(1 << 40) + 1] = count(); }"#)
        XCTAssertEqual(out, "300 1048576 4294967295 9223372036854775808|18446744073709551615 4294967295 -1\n\n@m[1099511627777]: 1\n\n")
    }

    /// bpftrace 0.24+: no parentheses needed around conditions, counts and loop heads.
    func testConditionsAndLoopHeadsWithoutParentheses() throws {
        XCTAssertEqual(try run(#"Begin { printf("b "); } END { printf("e\n"); } TRACEPOINT:syscalls:sys_enter_getppid { exit(); }"#, ["-c", "\(Self.workload) getppid 1"]), "b e\n\n")
        let out = try run(#"begin { $x = 2; if $x == 1 { printf("one "); } else if $x > 1 && $x < 3 { printf("two "); } for $i : 0..3 { printf("%d", $i); } @m[7] = 8; for $kv : @m { printf(" %d=%d", $kv.0, $kv.1); } $n = 0; while $n < 4 { $n++; } unroll 3 { printf("u"); } if ($x) { printf(" %d\n", $n); } clear(@m); }"#)
        XCTAssertEqual(out, "two 012 7=8uuu 4\n\n")
        let bad = try auger(["-e", "begin { if $x > 1 printf(\"x\"); }"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("stdin:1:"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("expecting '{'"), bad.stderr)
    }

    /// Helpers whose arguments are optional need no parentheses: `ppid` is `ppid()`, of the current task.
    /// The parent's id and name (the -c command's parent is auger), and the thread group leader's.
    func testParentPidAndProcessNameWithoutParentheses() throws {
        var augerPID: Int32 = 0
        let r = try auger(["-q", "-c", "\(Self.workload) getppid 1", "-e",
                           #"tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("%d %s %d %s %s %d\n", ppid, pcomm, ppid(curtask), pcomm(), leader_comm, leader_tid == pid); }"#]) { augerPID = $0.pid }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(augerPID) auger \(augerPID) auger auger-workload 1\n\n")
    }

    /// Type predicates and static_assert, answered while compiling.
    func testTypePredicatesAndStaticAssert() throws {
        let out = try run(#"begin { static_assert(1 + 1 == 2 && is_str("x"), "arithmetic"); printf("%d %d %d %d %d %d %d\n", is_integer(1), is_str("a"), is_ptr(curtask), is_literal(-1), is_unsigned_integer(pid), is_literal(pid), is_integer("a")); }"#)
        XCTAssertEqual(out, "1 1 1 1 1 0 0\n\n")
        let failed = try auger(["-e", #"begin { static_assert(2 < 1, "two is not below one"); }"#])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("stdin:1:9-53: ERROR: static_assert failed: two is not below one"), failed.stderr)
        let unknown = try auger(["-e", "begin { static_assert(pid > 1, \"x\"); }"])
        XCTAssertTrue(unknown.stderr.contains("must be known at compile time"), unknown.stderr)
    }

    /// No probe output after exit() has run: the program raises the stop flag
    /// itself, and records other CPUs emitted after it are dropped; END still prints.
    func testNothingPrintsAfterExitButEnd() throws {
        let r = try auger(["-q", "-c", "\(Self.workload) getppid 200", "-e",
                           #"tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("x\n"); @n = count(); exit(); } end { printf("end\n"); }"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "x\nend\n\n@n: 1\n\n")
    }

    /// SIGUSR1 prints every map and the run goes on (bpftrace's behaviour).
    func testSIGUSR1PrintsTheMapsAndKeepsRunning() throws {
        let r = try auger(["-q", "-c", "\(Self.workload) getppid 5 sleep 4000", "-e",
                           "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); }"], timeout: 60) { running in
            usleep(2_000_000)
            kill(running.pid, SIGUSR1)
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "@n: 5\n").count - 1, 2, "once on SIGUSR1, once at exit: \(r.stdout)")
    }

    /// -p ends when the process is a zombie, not when its parent gets round to reaping it.
    func testPidEndsWhenTheProcessIsAZombie() throws {
        // The shell starts `sleep 1` and becomes `sleep 30`, which never reaps it.
        var out: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&out), 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        let words: [String] = ["/bin/sh", "-c", "sleep 1 & echo $!; exec sleep 30"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        var parent: pid_t = 0
        XCTAssertEqual(posix_spawn(&parent, "/bin/sh", &actions, nil, argv, environ), 0)
        argv.forEach { free($0) }
        close(out[1])
        defer { kill(parent, SIGKILL); waitpid(parent, nil, 0) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = read(out[0], &buffer, buffer.count)
        close(out[0])
        let child = try XCTUnwrap(Int32(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).filter(\.isNumber)))
        let started = Date()
        let r = try auger(["-q", "-p", "\(child)", "-e", "interval:s:20 { printf(\"too late\\n\"); }"], timeout: 40)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("too late"), r.stdout)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "ended with the zombie, not its parent (30 s)")
    }

    /// The -c command exists before BEGIN runs: cpid is its pid there, has_cpid says whether there is one.
    func testCpidIsValidFromBeginOn() throws {
        var augerPID: Int32 = 0
        let r = try auger(["-q", "-c", "\(Self.workload) getppid 1", "-e",
                           #"begin { printf("%d %d\n", has_cpid, cpid > 0); @b = cpid; } tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @t = pid; } end { printf("%d\n", @b == @t); clear(@b); clear(@t); }"#]) { augerPID = $0.pid }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "1 1\n1\n\n", "auger \(augerPID)")
        XCTAssertEqual(try run(#"begin { printf("%d %d\n", has_cpid, has_cpid()); }"#), "0 0\n\n")
    }

    /// `let $x;` takes the type of its first real value.
    func testADeclaredVariableTakesItsFirstValuesType() throws {
        let out = try run(#"begin { let $d; if (pid > 0) { $d = ntop(0x0100007f); } else { $d = ntop(0); } let $n; $n = 5; $n += 2; printf("%s %d\n", $d, $n); }"#)
        XCTAssertEqual(out, "127.0.0.1 7\n\n")
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
        // The predicate keeps a second tick (before exit() is seen, on a loaded machine) from adding more.
        let script = #"BEGIN { @ts = (uint64)1s; } i:ms:1 /@ts > 0/ { $v = -2; while ($v <= 2) { @s["x"] = tseries($v, 1s, 4, "sum"); @s["x"] = tseries($v, 1s, 4, "sum"); @ts += 1s; $v++; } @s["y"] = tseries(7, 1s, 4, "sum"); clear(@ts); exit(); }"#
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
        // A slow tick: a second one must not fire before exit() is seen, even on a loaded machine.
        let out = try auger(["-e", #"begin { print(probetype); warnf("careful %d", 7); } interval:ms:200 { print(probetype); exit(); }"#])
        XCTAssertEqual(out.stdout, "special\ninterval\n\n")
        XCTAssertTrue(out.stderr.contains("WARNING: careful 7"), out.stderr)
        let quiet = try auger(["--no-warnings", "-e", #"begin { warnf("careful"); }"#])
        XCTAssertFalse(quiet.stderr.contains("careful"), quiet.stderr)
    }

    func testDashKWarnsOfMissingMapElements() throws {
        let script = #"i:ms:200 { @[1] = 1; printf("%d\n", @[2]); exit(); }"#
        let r = try auger(["-k", "-e", script])
        XCTAssertEqual(r.stdout, "0\n\n@[1]: 1\n\n")
        XCTAssertTrue(r.stderr.contains("stdin:1:37-41: WARNING: Can't lookup map element because it does not exist.\nAdditional Info - helper: map_lookup_elem, retcode: 0\n"), r.stderr)
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
            // Time to start and attach (about 0.4 s here, more on a loaded machine) before the signal.
            usleep(1_200_000)
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

    /// Script structs: several bitfields in one declaration, a struct member as a value
    /// (a record, as bpftrace prints it), a char array it fills printed whole.
    func testScriptStructDeclarationsAndValues() throws {
        let script = #"""
        struct S { unsigned int a:4, b:8, c:3, d:1, e:16; }
        struct In { int x; int y; }
        struct T { int m; struct In bar; char s[5]; }
        begin {
          $v = (uint32)0xffff5a21;
          $s = (struct S *)&$v;
          printf("%d %d %d %d %d\n", $s->a, $s->b, $s->c, $s->d, $s->e);
          $t = (struct T *)curtask;
          @bar = $t->bar;
          $copy = $t->bar;
          printf("%d\n", $copy.x == @bar.x);
          printf("[%rh]\n", buf($t->s));
          exit();
        }
        """#
        let out = try run(script)
        XCTAssertTrue(out.hasPrefix("1 162 5 0 65535\n1\n"), out)
        XCTAssertTrue(out.contains("@bar: { .x = "), out)
        // buf() of a char[5] without a length: its 5 bytes.
        let bytes = out.split(separator: "\n").first { $0.hasPrefix("[") }?.dropFirst().dropLast().split(separator: " ")
        XCTAssertEqual(bytes?.count, 5, out)
    }

    /// A field of an element of an array of structs, at constant and run-time indexes, read where it lies.
    func testFieldsOfStructArrayElements() throws {
        let types = "struct elem { int a; int b; int c; } struct container { struct elem elems[5]; int extra; }"
        let script = types + #" begin { let $c; $c = (struct container *)curtask; $i = 2; $e = (struct elem *)curtask; print(($c->elems[1].a == *(int32 *)((uint64)curtask + 12), $c->elems[$i].c == *(int32 *)((uint64)curtask + 32), $e[3].b == *(int32 *)((uint64)curtask + 40))); }"#
        XCTAssertEqual(try run(script), "(true, true, true)\n\n")
        let r = try auger(["-e", types + " begin { $c = (struct container *)curtask; print($c->elems[5].a); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("the index 5 is out of bounds for array of size 5"), r.stderr)
    }

    /// str() holds max_strlen characters; one it cut short prints with str_trunc_trailer, wherever it goes.
    func testCutShortStringsPrintWithTheTrailer() throws {
        let script = #"t:syscalls:sys_enter_execve /pid == cpid/ { printf("%s|%-12s|\n", str(args.filename), str(args.filename)); @[str(args.filename)] = count(); print(str(args.filename, 4)); exit(); }"#
        let out = try auger(["-q", "-e", "config = { max_strlen = 5 } " + script, "-c", "/bin/true"])
        XCTAssertEqual(out.stdout, "/bin/..|/bin/..     |\n/bi\n\n@[/bin/..]: 1\n\n", out.stderr)
        let custom = try auger(["-q", "-e", script, "-c", "/bin/true"], environment: ["BPFTRACE_MAX_STRLEN": "8", "BPFTRACE_STR_TRUNC_TRAILER": "~"])
        XCTAssertEqual(custom.stdout, "/bin/tru~|/bin/tru~   |\n/bi\n\n@[/bin/tru~]: 1\n\n", custom.stderr)
        // Short enough, or no trailer asked for: as read.
        XCTAssertEqual(try auger(["-q", "-e", "config = { max_strlen = 9 } " + script, "-c", "/bin/true"]).stdout, "/bin/true|/bin/true   |\n/bi\n\n@[/bin/true]: 1\n\n")
        XCTAssertEqual(try auger(["-q", "-e", #"config = { max_strlen = 5; str_trunc_trailer = "" } "# + script, "-c", "/bin/true"]).stdout, "/bin/|/bin/       |\n/bi\n\n@[/bin/]: 1\n\n")
    }

    func testDebugfWritesToTheTraceBuffer() throws {
        let trace = try Tracefs.locate().root + "/trace"
        try "".write(toFile: trace, atomically: false, encoding: .utf8)  // empties the buffer
        let marker = "auger-debugf-\(getpid())"
        _ = try run(#"begin { debugf("%s %d %x 100%%", ""# + marker + #"", -5, 255); }"#)
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        XCTAssertTrue(text.contains("bpf_trace_printk: \(marker) -5 ff 100%"), text)
        let r = try auger(["-e", #"begin { debugf("%d %d %d %d", 1, 2, 3, 4); }"#])
        XCTAssertTrue(r.stderr.contains("debugf() takes at most 3 values after the format"), r.stderr)
    }

    func testSizeofOfMacroTypeParameters() throws {
        let out = try run("struct Foo { char m; } macro sof(a, b) { sizeof(a[2]) + sizeof(b*) + sizeof(b) } begin { print(sof(typeof(uint64*), typeof(struct Foo))); }")
        XCTAssertEqual(out, "25\n\n", "uint64*[2] is 16 bytes, a pointer 8, struct Foo 1")
    }

    func testWholeStructsPrintAsRecords() throws {
        // *args.rqtp: a struct timespec (from BTF) in the sleeper's memory.
        let out = try run("tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { print(*args.rqtp); @[*args.rqtp] = count(); }",
                          ["-c", "/bin/sleep 0.2"])
        XCTAssertEqual(out, "{ .tv_sec = 0, .tv_nsec = 200000000 }\n\n@[{ .tv_sec = 0, .tv_nsec = 200000000 }]: 1\n\n")
        // Structs the script defines, one nested in the other, laid over the same timespec.
        let nested = try run("struct In { int a; int b; } struct Out { int lo; int hi; struct In in; } tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { print(*(struct Out *)args.rqtp); }",
                             ["-c", "/bin/sleep 1.5"])
        XCTAssertEqual(nested, "{ .lo = 1, .hi = 0, .in = { .a = 500000000, .b = 0 } }\n\n")
    }

    func testBitfieldsOfScriptStructs() throws {
        let out = try run("struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; } begin { $val = (uint64)0x1e; $f = *(struct foo *)(&$val); print($f); }")
        XCTAssertEqual(out, "{ .x_0 = 0, .x_1 = 1, .x_2 = 3 }\n\n")
    }

    func testMessagesFromMacrosSayWhereTheyWereExpanded() throws {
        let r = try auger(["-e", #"macro inner() { warnf("deep"); } macro outer() { inner(); } begin { outer(); }"#])
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("stdin:") }
        XCTAssertEqual(lines, ["stdin:1:17-30: WARNING: deep", "stdin:1:50-57: WARNING: expanded from", "stdin:1:69-76: WARNING: expanded from"], r.stderr)
    }

    func testStdlibIsErrAndContainerOf() throws {
        let out = try run("struct Foo { int m; int n; } begin { $t = container_of(curtask, typeof(struct task_struct), pid); print((is_err(-2), is_err(-4095), is_err(-4096), is_err(0), (uint64)curtask - (uint64)$t == offsetof(struct task_struct, pid), (uint64)container_of((int *)100, typeof(struct Foo), n))); }")
        XCTAssertEqual(out, "(true, true, false, false, true, 96)\n\n")
    }

    func testAssertStopsTheScript() throws {
        let failed = try auger(["-e", #"begin { assert(1 == 2, "100% wrong"); printf("not here\n"); }"#])
        XCTAssertEqual(failed.status, 1)
        XCTAssertFalse(failed.stdout.contains("not here"), failed.stdout)
        XCTAssertTrue(failed.stderr.contains("stdin:1:9-37: ERROR: assert failed: 100% wrong\n"), failed.stderr)
        XCTAssertEqual(try run(#"begin { assert(1 == 1, "fine"); printf("here\n"); }"#), "here\n\n")
    }
}
