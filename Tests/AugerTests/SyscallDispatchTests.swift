import BPF
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `tracepoint:syscalls:sys_enter_*` and `sys_exit_*` served from the raw
/// sys_enter/sys_exit tracepoints: one attachment per direction, the same
/// counts, arguments and names as the per-call perf events give.
final class SyscallDispatchTests: AugerTestCase {
    func newLinks(since before: Set<UInt32>) -> Int { Set((try? LoadedObjects.linkIDs()) ?? []).subtracting(before).count }

    func testAWildcardIsOneAttachmentAndCountsExactly() throws {
        let script = "tracepoint:syscalls:sys_enter_* /pid == cpid/ { @[probe] = count(); }"
        for feature in [[], ["--no-feature", "syscall_dispatch"]] {
            let before = Set((try? LoadedObjects.linkIDs()) ?? [])
            var links = 0
            let r = try auger(feature + ["-e", script, "-c", "\(Self.workload) sleep 1500 getppid 1000"], timeout: 60) { _ in
                // Attached once links appear and stop growing.
                var last = -1
                for _ in 0..<400 {
                    usleep(50_000)
                    links = self.newLinks(since: before)
                    if links > 0 && links == last { break }
                    last = links
                }
            }
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("@[tracepoint:syscalls:sys_enter_getppid]: 1000\n"), r.stdout)
            let attached = try XCTUnwrap(r.stderr.firstMatch(of: /Attached (\d+) probes/).flatMap { Int($0.1) }, r.stderr)
            XCTAssertGreaterThan(attached, 300)
            if feature.isEmpty { XCTAssertEqual(links, 1, "one raw sys_enter attachment") } else { XCTAssertGreaterThan(links, 300) }
        }
    }

    func testArgumentsNumbersAndReturnValues() throws {
        let script = """
            tracepoint:syscalls:sys_enter_getppid,tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @nr[args.__syscall_nr] = count(); }
            tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @file[str(args.filename)] = count(); }
            tracepoint:syscalls:sys_exit_getppid /pid == cpid/ { @ret[args.ret] = count(); }
            """
        for feature in [[], ["--no-feature", "syscall_dispatch"]] {
            var auger: pid_t = 0
            let r = try self.auger(feature + ["-q", "-e", script, "-c", "\(Self.workload) getppid 100"]) { auger = $0.pid }
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("@nr[110]: 100\n"), "getppid is 110: \(r.stdout)")
            XCTAssertTrue(r.stdout.contains("@ret[\(auger)]: 100\n"), "getppid returns auger's pid \(auger): \(r.stdout)")
            let r2 = try self.auger(feature + ["-q", "-e", script, "-c", "/bin/cat /etc/hostname"])
            XCTAssertTrue(r2.stdout.contains("@file[/etc/hostname]: 1\n"), r2.stdout)
            XCTAssertTrue(r2.stdout.contains("@nr[257]: "), "openat is 257: \(r2.stdout)")
        }
    }

    /// One dispatcher serves the whole script; probes on one call share its
    /// slot's program, and each counts.
    func testProbesSharingACallBothCountIt() throws {
        let script = """
            tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @a = count(); }
            tracepoint:syscalls:sys_enter_getppid,tracepoint:syscalls:sys_enter_getpid /pid == cpid/ { @b = count(); }
            tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @c = count(); }
            """
        let r = try auger(["-e", script, "-c", "\(Self.workload) getppid 100"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("Attached 4 probes"), r.stderr)
        for map in ["@a", "@b", "@c"] { XCTAssertTrue(r.stdout.contains("\(map): 100\n"), r.stdout) }
    }

    /// The kernel runs at most 64 programs on a tracepoint and a table slot
    /// holds one: 100 probes on one call share programs (in chunks of at
    /// most 64 maps), and every probe counts every call, on both paths.
    func testAHundredProbesOnOneCallEachCountEveryCall() throws {
        var script = (0..<100).map { "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @c\($0) = count(); @s\($0) = sum(\($0)); }" }
        // Stack-heavy: too deep to be called from a shared program's stub, so it keeps its own.
        script.append("tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @big = count(); " +
                      (0..<60).map { "$v\($0) = \($0);" }.joined(separator: " ") + " @t = " + (0..<60).map { "$v\($0)" }.joined(separator: " + ") + "; }")
        for feature in [[], ["--no-feature", "syscall_dispatch"]] {
            let r = try auger(feature + ["-e", script.joined(separator: "\n"), "-c", "\(Self.workload) getppid 50"], timeout: 120)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("Attached 101 probes"), r.stderr)
            for i in [0, 1, 31, 63, 64, 99] {
                XCTAssertTrue(r.stdout.contains("@c\(i): 50\n"), "\(feature) @c\(i): \(r.stdout.prefix(300))")
                XCTAssertTrue(r.stdout.contains("@s\(i): \(50 * i)\n"), "\(feature) @s\(i)")
            }
            XCTAssertTrue(r.stdout.contains("@big: 50\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("@t: \((0..<60).reduce(0, +))\n"), r.stdout)
        }
    }

    /// A 32-bit system call's number is another table's: ia32 getpid is 20,
    /// writev in the 64-bit table. Syscall tracepoints never see such calls.
    func testCompatSystemCallsAreNotMistakenForOthers() throws {
        let script = """
            tracepoint:syscalls:sys_enter_writev,tracepoint:syscalls:sys_enter_getpid,tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[probe] = count(); }
            rawtracepoint:sys_enter /pid == cpid && arg1 == 20/ { @raw20 = count(); }
            """
        let r = try auger(["-q", "-e", script, "-c", "\(Self.workload) compat 100 getppid 7"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("@raw20: 100\n"), "the 32-bit calls were made: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("@[tracepoint:syscalls:sys_enter_getppid]: 7\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("sys_enter_writev"), r.stdout)
        XCTAssertFalse(r.stdout.contains("sys_enter_getpid]"), r.stdout)
    }
}
