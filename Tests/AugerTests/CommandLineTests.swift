import XCTest

/// The auger command's flags, as bpftrace's users and test suite expect them.
final class CommandLineTests: AugerTestCase {
    func testUnknownFlagPrintsUsageAndExitsOne() throws {
        let r = try auger(["-idonotexist"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("ERROR: Unknown option '-idonotexist'"), r.stderr)
        XCTAssertTrue(r.stderr.split(separator: "\n").contains("USAGE:"), r.stderr)
    }

    func testHelpAndVersion() throws {
        let help = try auger(["-h"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.hasPrefix("USAGE:\n"), help.stdout)
        XCTAssertTrue(help.stdout.contains("--probe-filter"), help.stdout)
        let version = try auger(["--version"]).stdout
        XCTAssertEqual(try auger(["-V"]).stdout, version)
        // The commit it was built from, which this checkout has.
        let match = try XCTUnwrap(version.wholeMatch(of: /auger v0\.1\.0 \(([0-9a-f]{12})(-dirty)?\)\n/), version)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let git = try auger(["-C", repository, "cat-file", "-e", "\(match.1)^{commit}"], program: "/usr/bin/git")
        XCTAssertEqual(git.status, 0, "\(match.1) is not a commit of \(repository): \(git.stderr)")
    }

    func testProbeFilterKeepsBeginAndEnd() throws {
        let r = try auger(["-q", "--probe-filter", ":200", "-e", #"""
            BEGIN { printf("begin\n"); } interval:ms:100 { printf("bad\n"); exit(); }
            interval:ms:200 { printf("hit\n"); exit(); } END { printf("end\n"); }
            """#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "begin\nhit\nend\n\n")
    }

    func testProbeFilterWithoutMatchesFails() throws {
        let none = try auger(["--probe-filter", "nonexistent_probe", "-e", "kprobe:vfs_read { exit(); }"])
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(none.stderr, "No probes to attach\n")
        let bad = try auger(["--probe-filter", "[invalid", "-e", "BEGIN { exit(); }"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.hasPrefix("ERROR: Invalid --probe-filter regex '[invalid'"), bad.stderr)
    }

    func testNoWarningsSilencesWarnings() throws {
        let script = "BEGIN { 1 + 1; exit(); }"
        XCTAssertTrue(try auger(["-e", script]).stderr.contains("WARNING"))
        let quiet = try auger(["--no-warnings", "-e", script])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertFalse(quiet.stderr.contains("WARNING"), quiet.stderr)
    }

    func testBufferingModes() throws {
        for mode in ["none", "line", "full"] {
            XCTAssertEqual(try run(#"BEGIN { printf("a"); printf("b\n"); exit(); }"#, ["-B", mode]), "ab\n\n", mode)
        }
        let bad = try auger(["-B", "sometimes", "-e", "BEGIN { exit(); }"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "ERROR: Invalid buffer mode: sometimes\nValid modes: 'full', 'line', 'none'\n")
    }

    func testOnlyBeginAndEndEndsByItselfAfterNotifying() throws {
        let r = try auger(["-e", #"BEGIN { printf("begin\n"); } END { printf("end\n"); }"#], timeout: 5,
                          environment: ["__BPFTRACE_NOTIFY_PROBES_ATTACHED": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "__BPFTRACE_NOTIFY_PROBES_ATTACHED\nbegin\nend\n\n")
        XCTAssertEqual(r.stderr, "Attached 2 probes\n")
    }

    func testJSONSaysHowManyProbesAttached() throws {
        let r = try auger(["-f", "json", "-e", "interval:ms:10 { exit(); }"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, #"{"type": "attached_probes", "count": 1, "data": {"probes": 1}}"# + "\n")
    }

    /// Tracepoints and raw tracepoints list sorted by name, as bpftrace lists them (tracefs does not).
    func testListingsAreSorted() throws {
        for pattern in ["tracepoint:*", "rawtracepoint:*"] {
            let lines = try auger(["-l", pattern]).stdout.split(separator: "\n").map(String.init)
            XCTAssertGreaterThan(lines.count, 100, pattern)
            XCTAssertEqual(lines, lines.sorted(), pattern)
        }
    }

    func testListsTimersAndPerfEvents() throws {
        XCTAssertEqual(try auger(["-l", "interval:*"]).stdout, "interval:hz:\ninterval:us:\ninterval:ms:\ninterval:s:\n")
        let ware = try auger(["-l", "*ware:*"]).stdout.split(separator: "\n")
        XCTAssertTrue(ware.contains("software:cpu:") && ware.contains("hardware:cpu-cycles:"), "\(ware)")
        let raw = try auger(["-l", "rawtracepoint:*"]).stdout
        XCTAssertTrue(raw.contains("rawtracepoint:vmlinux:sched_switch\n") && raw.contains("rawtracepoint:vmlinux:sys_enter\n"), raw)
        XCTAssertFalse(raw.contains("sys_enter_getppid"), "per-syscall tracepoints have no raw tracepoints")
    }

    func testListsTheProbesOfAProgram() throws {
        let r = try auger(["-l", "-e", "hardware:cache-misses:10 { exit(); } tracepoint:syscalls:sys_enter_getpp* { } BEGIN { }"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "hardware:cache-misses:\ntracepoint:syscalls:sys_enter_getppid\nbegin\n")
    }

    func testListsTheProbesOfAScriptFile() throws {
        let path = NSTemporaryDirectory() + "auger-list-\(getpid()).bt"
        try "tracepoint:syscalls:sys_enter_getppid { }\ninterval:s:1 { }\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        XCTAssertEqual(try auger(["-l", path]).stdout, "tracepoint:syscalls:sys_enter_getppid\ninterval:s:\n")
        let missing = try auger(["-l", "no_such_script.bt"])
        XCTAssertEqual(missing.stderr, "WARNING: It appears that 'no_such_script.bt' is a filename but the file does not exist. Treating 'no_such_script.bt' as a search pattern.\n")
    }

    func testListsKernelStructs() throws {
        let r = try auger(["-lv", "struct task_struct,struct callback_head"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("vmlinux: struct task_struct {\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n    struct task_struct *real_parent;\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("vmlinux: struct callback_head {\n    struct callback_head *next;\n    void (*func)(struct callback_head *);\n};\n"), r.stdout)
        XCTAssertTrue(try auger(["-l", "struct task_st*"]).stdout.contains("struct task_struct\n"))
    }

    func testListsRawTracepointArguments() throws {
        let r = try auger(["-lv", "rawtracepoint:*sched_switch"])
        XCTAssertEqual(r.stdout, "rawtracepoint:vmlinux:sched_switch\n    bool preempt\n    struct task_struct *prev\n    struct task_struct *next\n    unsigned int prev_state\n")
    }

    func testDebugStageDisPrintsTheInstructions() throws {
        let r = try auger(["-d", "dis", "--dry-run", "-e", "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("(tracepoint:syscalls:sys_enter_getppid):\n0: (bf) r6 = r1\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("call bpf_map_lookup_elem#1"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("(95) exit\n"), r.stderr)
        XCTAssertEqual(try auger(["-d", "nope", "-e", "begin { }"]).stderr, "ERROR: Invalid debug stage: nope\nValid stages: 'dis', 'all'\n")
    }

    func testInfoReportsWhatTheSystemOffers() throws {
        let r = try auger(["--info"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // This machine has tracefs and BTF; kprobes only where the PMU or kprobe_events is.
        XCTAssertTrue(r.stdout.contains("\n  tracepoint: yes\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n  btf: \(access("/sys/kernel/btf/vmlinux", F_OK) == 0 ? "yes" : "no")\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n  ringbuf: yes\n"), r.stdout)
        let kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0 || access("/sys/kernel/tracing/kprobe_events", F_OK) == 0
        XCTAssertTrue(r.stdout.contains("\n  kprobe: \(kprobes ? "yes" : "no")\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n  kprobe_session: "), r.stdout)
    }

    func testNamedProgramOptions() throws {
        let script = #"begin { print((getopt("aa", 20), getopt("bb", -1), getopt("cc", true), getopt("dd"), getopt("ee", "hello"), $1)); }"#
        let r = try auger(["-q", "-e", script, "7", "--", "--dd", "--aa=0xffffffffffffffff", "--bb=-10", "--cc=False"])
        XCTAssertEqual(r.stdout, "(18446744073709551615, -10, false, true, hello, 7)\n\n", r.stderr)
        let bad = try auger(["-e", #"begin { print(getopt("aa", 10)); }"#, "--", "--aa=False"])
        XCTAssertEqual([bad.status], [1])
        XCTAssertEqual(bad.stderr, "ERROR: program command line option --aa invalid integer (value: False)\n")
        let unknown = try auger(["-e", #"begin { print(getopt("aa", 10)); }"#, "--", "--bb=1"])
        XCTAssertEqual(unknown.stderr, "ERROR: unexpected program command line options: --bb\nHINT: expected program options: --aa\n")
        let help = try auger(["-e", #"begin { print((getopt("aa", 10, "Description of aa"), getopt("bb"))); }"#, "--", "--help"])
        XCTAssertEqual(help.status, 1)
        XCTAssertTrue(help.stderr.contains("HINT: expected program options:\n  --aa: Description of aa\n  --bb\n"), help.stderr)
    }

    func testOutputFileAndCatLimit() throws {
        let path = NSTemporaryDirectory() + "auger-output-\(getpid())"
        defer { unlink(path) }
        let r = try auger(["-q", "--output", path, "-e", #"begin { printf("%s %d\n", "SUCCESS", 1); }"#])
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "SUCCESS 1\n\n")
        let cat = try auger(["-q", "-e", #"begin { cat("/proc/version"); }"#], environment: ["BPFTRACE_MAX_CAT_BYTES": "5"])
        XCTAssertEqual(cat.stdout, "Linux\n")
    }
}
