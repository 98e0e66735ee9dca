import BPF
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ErrorTests: AugerTestCase {
    func testSyntaxErrorExitsWithLocation() throws {
        let r = try auger(["-e", "begin { $x = ; }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "stdin:1:14-15: ERROR: syntax error, unexpected ';', expecting an expression\nbegin { $x = ; }\n             ~\n")
    }

    func testCommandThatCannotRunIsAnError() throws {
        let missing = try auger(["-e", "i:ms:100 { exit(); }", "-c", "/nonexistent/cmd"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "ERROR: cannot run the -c command: '/nonexistent/cmd' was not found\n")
        let notExecutable = try auger(["-e", "i:ms:100 { exit(); }", "-c", "/etc/passwd"])
        XCTAssertEqual(notExecutable.status, 1)
        XCTAssertTrue(notExecutable.stderr.contains("'/etc/passwd' is not executable"), notExecutable.stderr)
    }

    func testCatReadsAtMostItsLimitAndNeverBlocks() throws {
        let fifo = NSTemporaryDirectory() + "auger-cat-fifo-\(getpid())"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        let r = try auger(["-e", #"config = { max_cat_bytes = 100 } BEGIN { cat("/dev/zero"); cat("\#(fifo)"); printf("|done\n"); }"#], timeout: 10)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.utf8.count, 100 + "|done\n\n".utf8.count, "(a blank line ends the run)")
    }

    func testOutputThatCannotBeWrittenIsAnError() throws {
        let r = try auger(["-e", #"BEGIN { printf("hi\n"); }"#, "-o", "/dev/full"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasSuffix("ERROR: cannot write the output: ENOSPC: No space left on device\n"), r.stderr)
    }

    func testMoreProbesThanMaxProbesIsAnError() throws {
        let r = try auger(["-e", "config = { max_probes = 2 } tracepoint:syscalls:sys_enter_read,tracepoint:syscalls:sys_enter_write { } i:ms:10 { exit(); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("ERROR: Can't attach to 3 probes because it exceeds the current limit of 2 probes.\nHINT:"), r.stderr)
        XCTAssertEqual(try auger(["-e", "i:ms:10 { exit(); }"], environment: ["BPFTRACE_MAX_PROBES": "1"]).status, 0)
    }

    func testBadSettingsInTheEnvironmentAreErrors() throws {
        let r = try auger(["-e", "BEGIN { }"], environment: ["BPFTRACE_MAX_MAP_KEYS": "abc"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "ERROR: BPFTRACE_MAX_MAP_KEYS=abc: expected a number from 1 to 4294967295\n")
    }

    /// Run as nobody, auger says what it lacks, for scripts, -l and --info alike.
    func testWithoutPrivilegesTheMessageSaysWhatIsMissing() throws {
        // A copy nobody can execute: the build directory may be closed to other users.
        let dir = NSTemporaryDirectory() + "auger-unprivileged-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Self.auger, toPath: dir + "/auger")
        chmod(dir, 0o755)
        chmod(dir + "/auger", 0o755)
        for (arguments, action) in [(["-e", "tracepoint:sched:sched_switch { }"], "auger (loading and attaching BPF programs)"),
                                    (["-l", "tracepoint:sched:*"], "-l (listing probes from tracefs and the kernel's symbols)"),
                                    (["--info"], "--info (probing the kernel's features)")] {
            let r = try auger(["--reuid=65534", "--regid=65534", "--clear-groups", dir + "/auger"] + arguments, program: "/usr/bin/setpriv")
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr, "ERROR: \(action) needs root privileges (or the CAP_BPF and CAP_PERFMON capabilities); run it with sudo\n")
            XCTAssertEqual(r.stdout, "")
        }
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

    func testProbesOnFunctionsTheKernelDoesNotHave() throws {
        // A function missing from the kernel is reported first, as bpftrace reports it.
        let r = try auger(["-e", "fentry:vfs_read,fentry:nonsense { exit(); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("stdin:1:17-32: ERROR: No matches for fentry nonsense.\n"), r.stderr)
        let order = try auger(["-e", "kprobe:vfs_read { exit(); } t:syscalls:nonsense { exit(); }"])
        XCTAssertTrue(order.stderr.hasPrefix("stdin:1:29-48: ERROR: No matches for tracepoint syscalls:nonsense.\n"), order.stderr)
    }

    /// On kernels without trampolines (these VMs) fentry is one located sentence
    /// naming what is missing and what works instead; elsewhere it counts.
    func testFentryWhereTheKernelRefusesTrampolines() throws {
        let hasFentry = try auger(["--info"]).stdout.contains("  fentry: yes")
        let r = try auger(["-e", "fentry:ksys_read { @ = count(); exit(); }"])
        if hasFentry {
            XCTAssertEqual(r.status, 0, r.stderr)
            return
        }
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("stdin:1:1-17: ERROR: fentry probes need BPF trampolines, which this kernel refuses"), r.stderr)
        XCTAssertTrue(r.stderr.contains("tracepoint:syscalls:sys_enter_read sees the same event\n"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 3, "one sentence, the line, the marker: \(r.stderr)")
    }

    /// A wildcard that would load more programs than max_bpf_progs stops
    /// before loading any, at its attach point, with bpftrace's words.
    func testTooManyProgramsIsAnErrorBeforeAnythingLoads() throws {
        let r = try auger(["-e", "tracepoint:syscalls:sys_enter_* { @[probe] = count(); }"], environment: ["BPFTRACE_MAX_BPF_PROGS": "20"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, """
            stdin:1:1-32: ERROR: Your program is trying to generate more than 20 BPF programs, which exceeds the current limit of 20
            tracepoint:syscalls:sys_enter_* { @[probe] = count(); }
            ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
            HINT: You can increase the limit through the BPFTRACE_MAX_BPF_PROGS environment variable.

            """)
    }

    /// Files that never end or never open are read no further than needed.
    func testScriptsAndHeadersThatNeverEnd() throws {
        let script = try auger(["/dev/zero"], timeout: 30)
        XCTAssertEqual(script.status, 1)
        XCTAssertEqual(script.stderr, "ERROR: failed to open file '/dev/zero': File too large\n")
        let fifo = NSTemporaryDirectory() + "auger-include-fifo-\(getpid())"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        for header in ["/dev/zero", fifo] {
            let r = try auger(["-q", "-e", "#include \"\(header)\"\nBEGIN { printf(\"ok\\n\"); }"], timeout: 30)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "ok\n\n")
        }
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

    /// Hundreds of perf-event attachments take seconds to detach (an RCU
    /// grace period each): auger ends as soon as its maps are printed, its
    /// children detach the rest, then nothing is left, and an auger started
    /// meanwhile counts exactly.
    func testManyProbesDetachAfterAugerHasExited() throws {
        let before = programsNamedByAuger()
        let linksBefore = Set((try? LoadedObjects.linkIDs()) ?? [])
        var interrupted = Date(), attached = 0
        // As perf events (syscall dispatch would serve them all with one attachment).
        let r = try auger(["--no-feature", "syscall_dispatch", "-e", "tracepoint:syscalls:sys_enter_* { @[probe] = count(); }"], timeout: 120) { process in
            // Attached once the links stop growing.
            var last = -1
            for _ in 0..<600 {
                usleep(100_000)
                attached = Set((try? LoadedObjects.linkIDs()) ?? []).subtracting(linksBefore).count
                if attached > 100 && attached == last { break }
                last = attached
            }
            interrupted = Date()
            process.interrupt()
        }
        let took = Date().timeIntervalSince(interrupted)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertGreaterThan(attached, 100)
        XCTAssertTrue(r.stdout.contains("@[tracepoint:syscalls:sys_enter_"), r.stdout.prefix(300).description)
        XCTAssertLessThan(took, 2, "auger took \(took) s to end after SIGINT with \(attached) probes attached")
        let meanwhile = try run("tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @ = count(); }", ["-c", "\(Self.workload) getppid 100"])
        XCTAssertEqual(meanwhile, "\n@: 100\n\n")
        // Everything goes once the children are done.
        var left: Set<UInt32> = []
        for _ in 0..<600 {
            left = programsNamedByAuger().subtracting(before)
            if left.isEmpty { break }
            usleep(100_000)
        }
        XCTAssertEqual(left, [], "programs still loaded a minute after auger exited")
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
