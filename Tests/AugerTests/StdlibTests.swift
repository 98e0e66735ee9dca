import Foundation
import XCTest

/// bpftrace's newer stdlib: find, memcmp, strstr, strcap, default_str_length, fail, syscall_name.
final class StdlibTests: AugerTestCase {
    func testFindSetsTheVariableOnlyWhenTheKeyIsThere() throws {
        let out = try run(#"begin { @m[2] = 5; @t[1] = (7, "seven"); let $v; $x = (0, "none"); printf("%d %d ", find(@m, 2, $v), $v); printf("%d %d ", find(@m, 3, $v), $v); if find(@t, 1, $x) { print($x); } clear(@m); clear(@t); }"#)
        XCTAssertEqual(out, "1 5 0 5 (7, seven)\n\n")
        let scalar = try auger(["-e", "begin { @s = 1; $v = 0; print(find(@s, 1, $v)); }"])
        XCTAssertEqual(scalar.status, 1)
        XCTAssertTrue(scalar.stderr.contains("expects a map with explicit keys"), scalar.stderr)
    }

    func testStringSearchAndComparison() throws {
        let out = try run(#"begin { $c = comm; $n = "ge"; printf("%d %d %d %d %d|%d %d %d|%d %d %d\n", strstr("hello", "ll"), strstr("hello", "z"), strstr($c, "ug"), strstr($c, "x"), strstr($c, $n), memcmp("abc", "abd", 3) < 0, memcmp("abc", "abd", 2), memcmp($c, comm, 16), strcap("hello"), strcap($c), default_str_length); }"#)
        XCTAssertEqual(out, "2 -1 1 -1 2|1 0 0|6 16 1024\n\n")
        let over = try auger(["-e", #"begin { print(memcmp("abc", "abd", 9)); }"#])
        XCTAssertEqual(over.status, 1)
        XCTAssertTrue(over.stderr.contains("stdin:1:36-37: ERROR: memcmp() would read 9 bytes of a value that holds 4"), over.stderr)
    }

    /// fail() stops compilation only where the program reaches it: here, as decided by $1.
    func testFailStopsCompilationWhereItIsReached() throws {
        let script = #"begin { if ($1 < 2) { fail("Expected the first positional param to be greater than 1. Got %d", $1); } printf("ok %d\n", $1); }"#
        XCTAssertEqual(try run(script, ["3"]), "ok 3\n\n")
        let r = try auger(["-e", script, "1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("stdin:1:23-99: ERROR: Expected the first positional param to be greater than 1. Got 1"), r.stderr)
    }

    func testSyscallNamesOfRealCalls() throws {
        let out = try run(#"tracepoint:raw_syscalls:sys_enter /pid == cpid && args.id == 110/ { @[syscall_name(args.id)] = count(); } end { printf("%s %s %s\n", syscall_name(4), syscall_name(166), syscall_name(9999)); }"#,
                          ["-c", "\(Self.workload) getppid 7"])
        XCTAssertEqual(out, "stat umount2 9999\n\n@[getppid]: 7\n\n")
    }
}

extension StdlibTests {
    /// signal() and signal_thread() reach the process the probe fired in: the workload dies at its first call.
    func testSignalKillsTheTracedProcess() throws {
        for call in [#"signal("SIGKILL")"#, "signal_thread(9)", #"signal("KILL")"#] {
            let out = try run("tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); \(call); }", ["--unsafe", "-c", "\(Self.workload) getppid 5"])
            XCTAssertEqual(out, "\n@n: 1\n\n", call)
        }
        let safe = try auger(["-e", #"tracepoint:syscalls:sys_enter_getppid { signal("SIGKILL"); }"#])
        XCTAssertEqual(safe.status, 1)
        XCTAssertTrue(safe.stderr.contains("signal() is unsafe"), safe.stderr)
        let bad = try auger(["--unsafe", "-e", #"tracepoint:syscalls:sys_enter_getppid { signal("SIGFOO"); }"#])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("stdin:1:48-56: ERROR: signal(): 'SIGFOO' is not a signal"), bad.stderr)
    }
}

extension StdlibTests {
    /// macaddr() of a char array, a string and a pointer, printed, as a key and as a value.
    func testMacaddrOfArraysStringsAndPointers() throws {
        let out = try run(#"begin { $s = "ABCDEFGH"; printf("%s %s\n", macaddr($s), macaddr(curtask->comm)); @[macaddr(curtask->comm)] = 1; @v = macaddr((uint64)curtask + offsetof(struct task_struct, comm)); exit(); }"#)
        XCTAssertEqual(out, "41:42:43:44:45:46 61:75:67:65:72:00\n\n@[61:75:67:65:72:00]: 1\n\n@v: 61:75:67:65:72:00\n\n")
    }
}

extension StdlibTests {
    /// path() through bpf_d_path on an iterator's file: the whole path, and its end when the size is short.
    func testPathOfAnOpenFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("auger-path-\(getpid()).txt")
        FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        let fd = open(file.path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let out = try run(#"iter:task_file /ctx.task.pid == $1 && ctx.fd == $2/ { $p = path(ctx.file.f_path, 8); printf("%s|%s|%d\n", path(ctx.file.f_path), $p, sizeof($p)); }"#, ["\(getpid())", "\(fd)"])
        XCTAssertEqual(out, "\(file.path)|\(file.path.suffix(7))|8\n\n")
        let bad = try auger(["-e", #"iter:task_file { print(path(ctx.task)); }"#])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("path() needs a struct path"), bad.stderr)
    }
}

extension StdlibTests {
    /// comm(pid) through bpf_task_from_pid, where the kernel allows it (tracing programs).
    func testCommOfAnotherProcess() throws {
        XCTAssertEqual(try run(#"iter:task /ctx.task.pid == 2/ { printf("%s|%s|\n", comm(ctx.task.pid), comm(999999999)); } iter:task { @ = comm(pid); }"#), "kthreadd||\n\n@: auger\n\n")
        let r = try auger(["-e", "begin { print(comm(1)); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("stdin:1:15-22: ERROR: comm(pid) works in fentry, fexit and iter probes"), r.stderr)
    }

    /// kfunc_exist() from the kernel's BTF: a tagged kfunc, a plain kernel function, nothing.
    func testKfuncExistAsksTheKernelsBTF() throws {
        let out = try run(#"begin { printf("%d %d %d\n", kfunc_exist("bpf_task_from_pid"), kfunc_exist("vfs_read"), kfunc_exist("no_such_kfunc")); if (kfunc_exist("bpf_task_from_pid")) { print("yes"); } }"#)
        XCTAssertEqual(out, "1 0 0\nyes\n\n")
        let r = try auger(["-e", "begin { $n = \"x\"; print(kfunc_exist($n)); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("stdin:1:"), r.stderr)
    }

    /// printf's %gr names GFP flags from this kernel's BTF bit numbers, composites first, the rest in hex.
    func testPrintfNamesGFPFlags() throws {
        let out = try run(#"begin { printf("%gr|%gr|%gr|%gr|%-12gr|\n", 0x1, 0xcc0, 0x820, (1 << 40) | 0x1, 0x40); }"#)
        XCTAssertEqual(out, "GFP_DMA|GFP_KERNEL|GFP_ATOMIC|GFP_DMA|0x10000000000|__GFP_IO    |\n\n")
    }
}
