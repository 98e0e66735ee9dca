import BPF
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Timer, software and hardware probes attached to real events.
final class ProbeTypeTests: AugerTestCase {
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

    /// With -p, a software event counts only that process (its perf events are the process's, not the CPUs').
    func testSoftwareEventOfOneProcess() throws {
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: Self.workload)
        busy.arguments = ["getppid", "200000000"]
        try busy.run()
        defer { busy.terminate(); busy.waitUntilExit() }
        let out = try run("software:cpu-clock:1000000 { @[pid] = count(); } interval:ms:500 { exit(); }", ["-p", "\(busy.processIdentifier)"])
        let keys = out.split(separator: "\n").filter { $0.hasPrefix("@[") }
        XCTAssertEqual(keys.count, 1, out)
        XCTAssertTrue(keys.first?.hasPrefix("@[\(busy.processIdentifier)]: ") ?? false, out)
    }

    func testHardwareEventCountsOrSaysThereAreNoCounters() throws {
        let script = "hardware:instructions:100000 /pid == cpid/ { @ = count(); }"
        let r = try auger(["-e", script, "-c", "\(Self.workload) getppid 100000"])
        if FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/cpu") {
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("\n@: "), r.stdout)
        } else {
            XCTAssertEqual(r.status, 1)
            // bpftrace's words, then what the kernel said as the hint.
            XCTAssertTrue(r.stderr.hasPrefix("stdin:1:1-29: ERROR: Unable to attach probe: hardware:instructions:100000. If this is expected, set the 'missing_probes' config variable to 'warn'.\n"), r.stderr)
            XCTAssertTrue(r.stderr.contains("\nHINT: open hardware event instructions: perf_event_open failed: ENOENT"), r.stderr)
            XCTAssertTrue(r.stderr.contains("no hardware performance counters"), r.stderr)
            // missing_probes = "warn": left out with a warning, and the rest runs.
            let warned = try auger(["-e", #"config = { missing_probes = "warn" } hardware:instructions:100000 { } interval:ms:50 { exit(); }"#])
            XCTAssertEqual(warned.status, 0, warned.stderr)
            XCTAssertTrue(warned.stderr.contains("WARNING: Unable to attach probe: hardware:instructions:100000. Skipping.\n"), warned.stderr)
            XCTAssertTrue((warned.stdout + warned.stderr).contains("Attached 1 probe\n"), warned.stdout + warned.stderr)
        }
    }

    func testCtxIsTheProgramsContext() throws {
        // A tracepoint's context is its record: __syscall_nr sits after the 8 bytes of common fields.
        let out = try run("struct rec { unsigned long common; int nr; } tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[((struct rec *)ctx)->nr] = count(); }",
                          ["-c", "\(Self.workload) getppid 5"])
        XCTAssertEqual(out, "\n@[110]: 5\n\n", "getppid is system call 110 on x86_64")
        // A timer's context is a perf event's; reading through it works too.
        XCTAssertTrue(try run("struct x { unsigned long x; } i:ms:1 { printf(\"SUCCESS %lu\\n\", ((struct x *)ctx).x); exit(); }").hasPrefix("SUCCESS "))
    }

    func testRawTracepointArgumentsFromBTF() throws {
        // sys_enter's arguments are (struct pt_regs *regs, long id): the workload's getppid is id 110.
        let out = try run("rawtracepoint:sys_enter /pid == cpid && args.id == 110/ { @ = count(); @regs = args.regs != 0; }",
                          ["-c", "\(Self.workload) getppid 25"])
        XCTAssertEqual(out, "\n@: 25\n\n@regs: true\n\n")
        let switches = try run("rawtracepoint:sched_switch { @[args.prev->pid == tid] = count(); } interval:ms:100 { exit(); }")
        XCTAssertTrue(switches.contains("@[true]: "), "the probe runs as the task switched from: \(switches)")
        XCTAssertFalse(switches.contains("@[false]: "), switches)
    }
}
