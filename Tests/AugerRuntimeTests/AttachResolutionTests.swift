import AugerCompiler
import AugerScript
import BPF
import Foundation
import TestSupport
import XCTest
@testable import AugerRuntime
@testable import ELF

/// Attach points resolved against fixture files, not the running kernel:
/// a tracefs tree written by the test, an ELF file compiled by it.
final class AttachResolutionTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "auger-resolution-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let formats = [
            ("syscalls", "sys_enter_openat", 782, "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"),
            ("syscalls", "sys_exit_openat", 781, "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n"),
            ("sched", "sched_process_exec", 365, "\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"),
            ("sched", "sched_switch", 300, "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"),
        ]
        for (category, name, id, fields) in formats {
            let dir = "\(directory)/events/\(category)/\(name)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let common = "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
            try "name: \(name)\nID: \(id)\nformat:\n\(common)\(fields)\nprint fmt: \"\"\n".write(toFile: dir + "/format", atomically: true, encoding: .utf8)
            try "\(id)\n".write(toFile: dir + "/id", atomically: true, encoding: .utf8)
        }
        try formats.map { "\($0.0):\($0.1)\n" }.joined().write(toFile: directory + "/available_events", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var system: ProbeSystem {
        let tracefs = Tracefs(root: directory)
        let types = TracepointTypes(tracefs: tracefs)
        var system = ProbeSystem(tracefs: tracefs, types: types, kernel: KernelTypes(tracepoints: types), onlineCPUs: [0, 1, 2])
        system.sysfs = directory + "/sys"
        return system
    }

    func point(_ text: String) throws -> AttachPoint {
        let (program, diagnostics) = Parser.parse(SourceFile(name: "stdin", text: text + " { }"))
        XCTAssertFalse(diagnostics.hasErrors, diagnostics.rendered(in: SourceFile(name: "stdin", text: text)))
        return try XCTUnwrap(program.probes.first?.attachPoints.first)
    }

    func resolve(_ text: String) throws -> [AttachTarget] {
        try AttachPointResolver(system).resolve(try point(text))
    }

    func failure(_ text: String) throws -> AttachError {
        do {
            let targets = try resolve(text)
            XCTFail("\(text) resolved to \(targets.map(\.name))")
            throw XCTSkip("failed above")
        } catch let error as AttachError {
            return error
        }
    }

    func testTracepointCarriesItsFormat() throws {
        let targets = try resolve("tracepoint:syscalls:sys_enter_openat")
        XCTAssertEqual(targets.map(\.name), ["tracepoint:syscalls:sys_enter_openat"])
        guard case .tracepoint(let category, let name, let format) = targets[0].location else { return XCTFail("\(targets[0].location)") }
        XCTAssertEqual([category, name], ["syscalls", "sys_enter_openat"])
        XCTAssertEqual(format.id, 782)
        XCTAssertEqual(format.ownFields.map(\.name), ["__syscall_nr", "filename"])
        XCTAssertEqual(targets[0].programType, .tracepoint)
    }

    func testTracepointWildcardsExpand() throws {
        XCTAssertEqual(try resolve("t:syscalls:sys_*_openat").map(\.name), ["tracepoint:syscalls:sys_enter_openat", "tracepoint:syscalls:sys_exit_openat"])
        XCTAssertEqual(try resolve("tracepoint:sched:sched_process_?xec").map(\.name), ["tracepoint:sched:sched_process_exec"])
        XCTAssertEqual(try resolve("tracepoint:*:sched_switch").count, 1)
    }

    func testMissingTracepointIsANoMatchAtTheAttachPoint() throws {
        let error = try failure("tracepoint:syscalls:sys_enter_nonexistent")
        XCTAssertTrue(error.isNoMatch)
        XCTAssertEqual(error.message, "No matches for tracepoint syscalls:sys_enter_nonexistent.")
        XCTAssertEqual(AttachError.rendered(error, in: SourceFile(name: "stdin", text: "tracepoint:syscalls:sys_enter_nonexistent { }")).split(separator: "\n").first,
                       "stdin:1:1-42: ERROR: No matches for tracepoint syscalls:sys_enter_nonexistent.")
        XCTAssertTrue(try failure("tracepoint:nope:*").isNoMatch)
    }

    func testRawTracepointsShareTracepointNamesButNotPerSyscallOnes() throws {
        XCTAssertEqual(try resolve("rawtracepoint:sched_*").map(\.name), ["rawtracepoint:sched_process_exec", "rawtracepoint:sched_switch"])
        XCTAssertEqual(try failure("rawtracepoint:sys_enter_openat").message, "Probe has no valid attach points.")
        // A module without BTF (the fixture sysfs has none) matches nothing.
        XCTAssertEqual(try failure("rawtracepoint:nonsense:sched_switch").message, "No matches for rawtracepoint nonsense:sched_switch.")
        XCTAssertEqual(try resolve("rawtracepoint:vmlinux:sched_switch").map(\.programType), [.rawTracepoint])
    }

    func testTimersAndCountersResolveToPerfEvents() throws {
        func source(_ text: String) throws -> PerfEventSource {
            let targets = try resolve(text)
            guard targets.count == 1, case .perfEvent(let source) = targets[0].location else { throw XCTSkip("not a perf event: \(targets)") }
            return source
        }
        XCTAssertEqual(try source("interval:s:2"), PerfEventSource(counter: .software(.cpuClock), rate: .period(2_000_000_000), cpus: [0]))
        XCTAssertEqual(try source("i:100ms"), PerfEventSource(counter: .software(.cpuClock), rate: .period(100_000_000), cpus: [0]))
        XCTAssertEqual(try source("profile:hz:99"), PerfEventSource(counter: .software(.cpuClock), rate: .frequency(99), cpus: [0, 1, 2]))
        XCTAssertEqual(try source("software:faults:100"), PerfEventSource(counter: .software(.pageFaults), rate: .period(100), cpus: [0, 1, 2]))
        XCTAssertEqual(try source("s:cpu-clock"), PerfEventSource(counter: .software(.cpuClock), rate: .period(1_000_000), cpus: [0, 1, 2]))
        XCTAssertEqual(try source("hardware:cache-misses:1e6"), PerfEventSource(counter: .hardware(.cacheMisses), rate: .period(1_000_000), cpus: [0, 1, 2]))
        XCTAssertEqual(try resolve("interval:ms:5")[0].name, "interval:ms:5")
    }

    func testRatesThatOverflowAreErrorsNotCrashes() throws {
        XCTAssertEqual(try failure("interval:s:18446744074").message, "invalid rate '18446744074': too large")
        XCTAssertEqual(try failure("interval:ms:1e18").message, "invalid rate '1e18': too large")
        XCTAssertEqual(try failure("interval:s:100000").message, "invalid rate 's:100000': periods are at most 86400 s")
        XCTAssertFalse(try failure("interval:s:100000").isNoMatch)
    }

    func testInProcessKinds() throws {
        XCTAssertEqual(try resolve("BEGIN").map(\.name), ["begin"])
        guard case .bench(let name) = try resolve("bench:lookup")[0].location else { return XCTFail() }
        XCTAssertEqual(name, "lookup")
        XCTAssertEqual(try resolve("self:signal:SIGUSR1")[0].name, "self:signal:SIGUSR1")
        XCTAssertEqual(try failure("self:signal:SIGKILL").message, "self:signal probes take SIGUSR1 or SIGUSR2, not 'SIGKILL'")
    }

    /// Gives the fixture a kprobe PMU and ftrace's list of traceable functions.
    func withKprobes() throws {
        try FileManager.default.createDirectory(atPath: directory + "/sys/bus/event_source/devices/kprobe", withIntermediateDirectories: true)
        try "vfs_read\nvfs_readv\nvfs_write\n__do_sys_getppid\ntcp_connect\nnf_hook_slow [nf_tables]\nrcu_note_context_switch\nrcu_idle_exit\n"
            .write(toFile: directory + "/available_filter_functions", atomically: true, encoding: .utf8)
    }

    func testKprobesResolveAgainstFtracesList() throws {
        try withKprobes()
        let exact = try resolve("kprobe:vfs_read")
        XCTAssertEqual(exact.map(\.name), ["kprobe:vfs_read"])
        guard case .kernelFunction(let name, let offset) = exact[0].location else { return XCTFail("\(exact[0].location)") }
        XCTAssertEqual([name, String(offset)], ["vfs_read", "0"])
        XCTAssertEqual(exact[0].programType, .kprobe)
        XCTAssertEqual(try resolve("kprobe:vfs_*").map(\.name), ["kprobe:vfs_read", "kprobe:vfs_readv", "kprobe:vfs_write"])
        XCTAssertEqual(try resolve("kr:vfs_rea?").map(\.name), ["kretprobe:vfs_read"])
        XCTAssertEqual(try resolve("kprobe:nf_tables:nf_*").map(\.name), ["kprobe:nf_tables:nf_hook_slow"])
        guard case .kernelFunction(_, let plus) = try resolve("kprobe:vfs_read+0x10")[0].location else { return XCTFail() }
        XCTAssertEqual(plus, 16)
        XCTAssertEqual(try resolve("kprobe:0xffffffff81000000").map(\.name), ["kprobe:18446744071578845184"], "named in decimal, as bpftrace does")
    }

    func testKprobeMistakes() throws {
        try withKprobes()
        XCTAssertEqual(try failure("kprobe:nothing_*").message, "No matches for kprobe nothing_*.")
        XCTAssertTrue(try failure("kprobe:nothing_*").isNoMatch)
        XCTAssertEqual(try failure("kretprobe:vfs_read+4").message, "kretprobes attach to a function's start, not an offset")
        XCTAssertEqual(try failure("kprobe:vfs_read+x").message, "invalid offset in 'vfs_read+x'")
        // As bpftrace: a warning that it is not traceable, then that nothing matched.
        let missing = try failure("kprobe:vmlinux:nothing_xyz_fn")
        XCTAssertEqual(missing.message, "No matches for kprobe vmlinux:nothing_xyz_fn.")
        XCTAssertEqual(missing.warning, "nothing_xyz_fn is not traceable (either non-existing, inlined, or marked as \"notrace\"); attaching to it will likely fail")
        XCTAssertEqual(missing.diagnostics.all.count, 2)
        // RCU's functions: never by wildcard (the probe is then left empty), never by name.
        XCTAssertEqual(try failure("kprobe:rcu_*").message, "Probe has no valid attach points.")
        XCTAssertFalse(try resolve("kprobe:*").map(\.name).contains { $0.contains("rcu_") })
        XCTAssertEqual(try resolve("kprobe:*").count, 6)
        XCTAssertEqual(try failure("kprobe:rcu_idle_exit").message, "rcu_idle_exit cannot be probed: kprobes on RCU functions can hang or crash the kernel")
        XCTAssertEqual(try failure("kprobe:nonsense:vfs_read").message, "specified module nonsense in probe kprobe:nonsense:vfs_read is not loaded.")
        XCTAssertEqual(try resolve("kprobe:nf_tables:nf_hook_slow").map(\.name), ["kprobe:nf_tables:nf_hook_slow"])
    }

    /// A probe's kprobes are served by one kprobe_multi link where the kernel
    /// has them, unless the probe reads `probe` (then each needs its own name).
    func testKprobeWildcardsCombineIntoOneMultiLinkTarget() throws {
        try withKprobes()
        func combined(_ text: String, multi: Bool = true, disabled: Set<KernelFeature> = []) throws -> [AttachTarget] {
            var system = self.system
            system.assumeKprobeMulti = multi
            system.disabled = disabled
            let (program, diagnostics) = Parser.parse(SourceFile(name: "stdin", text: text))
            XCTAssertFalse(diagnostics.hasErrors, diagnostics.rendered(in: SourceFile(name: "stdin", text: text)))
            let resolver = AttachPointResolver(system)
            let probe = program.probes[0]
            return resolver.combine(try probe.attachPoints.flatMap { try resolver.resolve($0) }, of: probe)
        }
        let one = try combined("kprobe:vfs_* { @ = count(); }")
        XCTAssertEqual(one.map(\.name), ["kprobe:vfs_*"])
        guard case .kernelFunctions(let names) = one[0].location else { return XCTFail("\(one[0].location)") }
        XCTAssertEqual(names, ["vfs_read", "vfs_readv", "vfs_write"])
        XCTAssertEqual(one[0].probeCount, 3)
        XCTAssertTrue(one[0].isMultiFunction)
        // Entries and returns are separate links; a function named twice is attached once.
        let mixed = try combined("kprobe:vfs_read*,kretprobe:vfs_write,kretprobe:tcp_connect,kprobe:vfs_read { }")
        XCTAssertEqual(mixed.map(\.name), ["kprobe:vfs_read*,kprobe:vfs_read", "kretprobe:vfs_write,kretprobe:tcp_connect"])
        XCTAssertEqual(mixed.map(\.probeCount), [2, 2])
        XCTAssertEqual(mixed.map(\.kind), [.kprobe, .kretprobe])
        // Offsets and addresses need a kprobe each; so does a probe that reads `probe`.
        XCTAssertEqual(try combined("kprobe:vfs_read+4,kprobe:vfs_write+4 { }").count, 2)
        XCTAssertEqual(try combined("kprobe:vfs_* { @[probe] = count(); }").map(\.name), ["kprobe:vfs_read", "kprobe:vfs_readv", "kprobe:vfs_write"])
        XCTAssertEqual(try combined("kprobe:vfs_* /probe == \"x\"/ { }").count, 3)
        XCTAssertEqual(try combined("kprobe:vfs_* { @[func] = count(); }").count, 1)
        // Without kprobe_multi, or with --no-feature kprobe_multi: one each.
        XCTAssertEqual(try combined("kprobe:vfs_* { }", multi: false).count, 3)
        XCTAssertEqual(try combined("kprobe:vfs_* { }", disabled: [.kprobeMulti]).count, 3)
        XCTAssertEqual(try combined("kprobe:vfs_read { }").count, 1)
    }

    /// A kprobe probe and a kretprobe probe written for the same functions
    /// become one kprobe_session target pair where the kernel has sessions.
    func testKprobeAndKretprobeOnTheSameFunctionsPairIntoASession() throws {
        try withKprobes()
        func paired(_ text: String, session: Bool = true, disabled: Set<KernelFeature> = []) throws -> ([SessionPair], [[AttachTarget]]) {
            var system = self.system
            system.assumeKprobeMulti = true
            system.assumeKprobeSession = session
            system.disabled = disabled
            let (program, diagnostics) = Parser.parse(SourceFile(name: "stdin", text: text))
            XCTAssertFalse(diagnostics.hasErrors, diagnostics.rendered(in: SourceFile(name: "stdin", text: text)))
            let resolver = AttachPointResolver(system)
            var targets = try program.probes.map { probe in resolver.combine(try probe.attachPoints.flatMap { try resolver.resolve($0) }, of: probe) }
            let pairs = resolver.sessions(program.probes, &targets)
            return (pairs, targets)
        }
        let (pairs, targets) = try paired("kprobe:vfs_* { @e = count(); } begin { } kretprobe:vfs_* { @r = count(); }")
        XCTAssertEqual(pairs, [SessionPair(entry: 0, exit: 2)])
        guard case .kernelFunctionSession(let names) = targets[0][0].location else { return XCTFail("\(targets[0])") }
        XCTAssertEqual(names, ["vfs_read", "vfs_readv", "vfs_write"])
        XCTAssertEqual(targets[2].map(\.kind), [.kretprobe])
        XCTAssertEqual(targets[0].map(\.probeCount), [3])
        // One function by name pairs too (bpftrace's session_retval test).
        XCTAssertEqual(try paired("kprobe:vfs_read { } kretprobe:vfs_read { }").0, [SessionPair(entry: 0, exit: 1)])
        // Not: different functions, predicates, `probe`, offsets, two attach points, two candidate returns.
        XCTAssertEqual(try paired("kprobe:vfs_read { } kretprobe:vfs_write { }").0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read /pid == 1/ { } kretprobe:vfs_read { }").0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read { } kretprobe:vfs_read /pid == 1/ { }").0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read { print(probe); } kretprobe:vfs_read { }").0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read+4 { } kretprobe:vfs_read { }").0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read,kprobe:vfs_write { } kretprobe:vfs_read { }").0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read { } kretprobe:vfs_read { } kretprobe:vfs_read { }").0, [])
        // Two entries, one return: the first pairs.
        XCTAssertEqual(try paired("kprobe:vfs_read { } kprobe:vfs_read { } kretprobe:vfs_read { }").0, [SessionPair(entry: 0, exit: 2)])
        // Without sessions, or with --no-feature kprobe_session or kprobe_multi: separate programs.
        XCTAssertEqual(try paired("kprobe:vfs_read { } kretprobe:vfs_read { }", session: false).0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read { } kretprobe:vfs_read { }", disabled: [.kprobeSession]).0, [])
        XCTAssertEqual(try paired("kprobe:vfs_read { } kretprobe:vfs_read { }", disabled: [.kprobeMulti]).0, [])
    }

    /// fentry and fexit name their function by its id in the running kernel's BTF.
    func testFentryResolvesToTheFunctionsBTFIDAndSignature() throws {
        try withKprobes()
        var system = self.system
        system.assumeTrampolines = true
        func resolve(_ text: String) throws -> [AttachTarget] { try AttachPointResolver(system).resolve(try point(text)) }
        func failure(_ text: String) throws -> AttachError {
            do { _ = try resolve(text) } catch let error as AttachError { return error }
            XCTFail("\(text) resolved")
            throw XCTSkip("failed above")
        }
        guard let btf = try? KernelBTF(), let id = btf.function(named: "vfs_read") else {
            return try TestGate.require("the kernel has no BTF describing vfs_read", what: "fentry resolution")
        }
        let exact = try resolve("fentry:vfs_read")
        XCTAssertEqual(exact.map(\.name), ["fentry:vmlinux:vfs_read"])
        guard case .tracedFunction(let name, nil, let btfID, let signature) = exact[0].location else { return XCTFail("\(exact[0].location)") }
        XCTAssertEqual(name, "vfs_read")
        XCTAssertEqual(btfID, id)
        XCTAssertEqual(signature.parameters.map(\.name), ["file", "buf", "count", "pos"])
        XCTAssertEqual(signature.slots, [0, 1, 2, 3])
        XCTAssertEqual(signature.returnSlot, 4)
        XCTAssertEqual(signature.returnType, .i64)
        XCTAssertEqual(exact[0].programType, .tracing)
        // Wildcards match BTF's functions that ftrace can trace (the fixture's list).
        XCTAssertEqual(try resolve("fexit:vfs_rea*").map(\.name), ["fexit:vmlinux:vfs_read", "fexit:vmlinux:vfs_readv"])
        XCTAssertEqual(try resolve("kfunc:vmlinu?:vfs_write").map(\.name), ["fentry:vmlinux:vfs_write"])
        XCTAssertEqual(try failure("fentry:nonsense_xyz").message, "No matches for fentry nonsense_xyz.")
        XCTAssertEqual(try failure("fentry:nothing_*").message, "No matches for fentry nothing_*.")
        // A module that is not loaded (the fixture has no module BTF).
        XCTAssertEqual(try failure("fentry:nf_tables:nf_hook_slow").message, "No matches for fentry nf_tables:nf_hook_slow.")
    }

    /// Without kprobes or trampolines, the error names a probe that sees the same event.
    func testUnavailableKernelFunctionsSuggestTheTracepointThatCoversThem() throws {
        XCTAssertEqual(KernelFunctionSupport.syscallName("__x64_sys_openat"), "openat")
        XCTAssertEqual(KernelFunctionSupport.syscallName("ksys_read"), "read")
        XCTAssertNil(KernelFunctionSupport.syscallName("vfs_read"))
        XCTAssertNil(KernelFunctionSupport.syscallName("__x64_sys_"))
        XCTAssertEqual(KernelFunctionSupport.alternatives(to: "__se_sys_openat", for: .kretprobe, in: system), ["tracepoint:syscalls:sys_exit_openat"])
        XCTAssertEqual(KernelFunctionSupport.alternatives(to: "sched_switch", for: .kprobe, in: system).last, "tracepoint:sched:sched_switch")
        XCTAssertEqual(KernelFunctionSupport.alternatives(to: "vfs_read", for: .fentry, in: system), [])
        try withKprobes()
        XCTAssertEqual(KernelFunctionSupport.alternatives(to: "vfs_read", for: .fexit, in: system), ["kretprobe:vfs_read"])
        XCTAssertTrue(KernelFunctionSupport.suggestion("vfs_*", .fentry, system).contains("auger -l 'tracepoint:*'"))
    }

    func testKernelFunctionsNeedKprobesWhichTheFixtureLacks() throws {
        let error = try failure("kprobe:*_read")
        XCTAssertFalse(error.isNoMatch)
        XCTAssertTrue(error.message.contains("CONFIG_KPROBES is off"), error.message)
        guard case .breakpoint(0x1000, 8, let access) = try resolve("watchpoint:0x1000:8:rw")[0].location else { return XCTFail() }
        XCTAssertEqual(BreakpointAccess(rawValue: access), [.read, .write])
        XCTAssertEqual(try failure("watchpoint:vfs_read+arg1:8:w").message, "a watchpoint on a function's argument needs a process: -p PID or -c COMMAND")
        XCTAssertEqual(try failure("watchpoint:nonsense:8:w").message, "invalid watchpoint address 'nonsense': give an address or FUNCTION+argN")
    }

    /// Builds a small ELF file with two functions; skips (or fails under CI) without a C compiler.
    func buildELF() throws -> String {
        let source = directory + "/fixture.c", binary = directory + "/fixture"
        try "int fixture_one(int x) { return x + 1; }\nint fixture_two(int x) { return x * 2; }\nint main(void) { return fixture_one(1) + fixture_two(2); }\n"
            .write(toFile: source, atomically: true, encoding: .utf8)
        let status = run("/usr/bin/env", ["cc", "-O0", "-o", binary, source])
        try TestGate.require(status == 0 ? nil : "cc could not build a fixture ELF file (status \(status))", what: "fixture test")
        return binary
    }

    func run(_ tool: String, _ arguments: [String], output: UnsafeMutablePointer<String>? = nil) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)  // not the caller's, which may be unreadable
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        output?.pointee = String(decoding: data, as: UTF8.self)
        return process.terminationStatus
    }

    func testUprobeFindsTheFunctionsFileOffset() throws {
        let binary = try buildELF()
        // In a gcc-built executable the text segment's file offset equals its
        // address, so a function's file offset is the symbol's value (nm).
        var symbols = ""
        XCTAssertEqual(run("/usr/bin/env", ["nm", binary], output: &symbols), 0)
        let line = try XCTUnwrap(symbols.split(separator: "\n").first { $0.hasSuffix(" fixture_two") })
        let value = try XCTUnwrap(UInt64(line.split(separator: " ")[0], radix: 16))
        let targets = try resolve("uprobe:\(binary):fixture_two")
        XCTAssertEqual(targets.map(\.name), ["uprobe:\(binary):fixture_two"])
        guard case .userFunction(let path, let symbol, let offset) = targets[0].location else { return XCTFail("\(targets[0].location)") }
        XCTAssertEqual(path, binary)
        XCTAssertEqual(symbol, "fixture_two")
        XCTAssertEqual(offset, value)
        guard case .userFunction(_, _, let plus) = try resolve("uretprobe:\(binary):fixture_two+4")[0].location else { return XCTFail() }
        XCTAssertEqual(plus, value + 4)
        XCTAssertEqual(try resolve("ur:\(binary):fixture_one")[0].kind, .uretprobe)
    }

    func testHostileELFHeadersGiveNoSymbolsNeverATrap() throws {
        let good = try Array(Data(contentsOf: URL(fileURLWithPath: try buildELF())))
        XCTAssertNotNil(ELFSymbols(bytes: good)?.fileOffset(ofFunction: "fixture_one"))
        func patched(_ at: Int, _ value: UInt64) -> [UInt8] {
            var bytes = good
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(at..<at + 8, with: $0) }
            return bytes
        }
        XCTAssertNil(ELFSymbols(bytes: patched(40, .max)), "section headers at 0xffff…")   // e_shoff
        XCTAssertNil(ELFSymbols(bytes: patched(40, UInt64(good.count - 10))))
        _ = ELFSymbols(bytes: patched(32, .max))?.fileOffset(ofFunction: "fixture_one")    // e_phoff
        // Every section's offset and size set to nonsense, one at a time.
        let shoff = Int(good[40..<48].reversed().reduce(0) { $0 << 8 | UInt64($1) })
        let shnum = Int(good[60]) | Int(good[61]) << 8
        for i in 0..<shnum {
            for field in [24, 32, 56] {
                for value: UInt64 in [.max, 1 << 62, UInt64(good.count)] {
                    _ = ELFSymbols(bytes: patched(shoff + i * 64 + field, value))?.symbol(atFileOffset: 0x1000)
                }
            }
        }
        // Random bytes over the headers and tables, with a fixed seed.
        var seed: UInt64 = 0x2545F4914F6CDD1D
        func next() -> Int { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return Int(seed % UInt64(Int.max)) }
        for _ in 0..<2000 {
            var bytes = good
            for _ in 0..<8 { bytes[next() % min(bytes.count, 4096) ] = UInt8(next() & 0xff) }
            for _ in 0..<4 { bytes[shoff + next() % (shnum * 64)] = UInt8(next() & 0xff) }
            if let elf = ELFSymbols(bytes: bytes) {
                _ = elf.fileOffset(ofFunction: "fixture_two")
                _ = elf.symbol(atFileOffset: UInt64(next() % bytes.count))
            }
        }
    }

    /// Wildcards match the file's functions (each once, sorted); addresses
    /// are nm's; functions without a size need --unsafe, as in bpftrace.
    func testUprobeWildcardsAddressesAndUnsizedFunctions() throws {
        let binary = try buildELF()
        XCTAssertEqual(try resolve("uprobe:\(binary):fixture_*").map(\.name), ["uprobe:\(binary):fixture_one", "uprobe:\(binary):fixture_two"])
        XCTAssertEqual(try failure("uprobe:\(binary):nothing_*").message, "No matches for uprobe \(binary):nothing_*.")
        var symbols = ""
        XCTAssertEqual(run("/usr/bin/env", ["nm", binary], output: &symbols), 0)
        let line = try XCTUnwrap(symbols.split(separator: "\n").first { $0.hasSuffix(" fixture_two") })
        let address = String(line.split(separator: " ")[0])
        guard case .userFunction(_, _, let byAddress) = try resolve("uprobe:\(binary):0x\(address)")[0].location,
              case .userFunction(_, _, let byName) = try resolve("uprobe:\(binary):fixture_two")[0].location else { return XCTFail() }
        XCTAssertEqual(byAddress, byName)
        XCTAssertEqual(try failure("uprobe:\(binary):_init").message,
                       "Could not determine boundary for _init (symbol has size 0). Use --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process.")
        XCTAssertEqual(try failure("uprobe:\(binary):fixture_two+4096").message.hasPrefix("Offset outside the function bounds ('fixture_two' size is "), true)
        var unsafe = system
        unsafe.unsafe = true
        XCTAssertEqual(try AttachPointResolver(unsafe).resolve(try point("uprobe:\(binary):_init")).count, 1)
        // A file of bare code (no ELF): with --unsafe an address is its offset; without, an error.
        let flat = FileManager.default.temporaryDirectory.appendingPathComponent("auger-flat-\(getpid()).bin").path
        try Data([0x0f, 0x05, 0xc3, 0x90]).write(to: URL(fileURLWithPath: flat))
        defer { unlink(flat) }
        guard case .userFunction(_, _, 2) = try AttachPointResolver(unsafe).resolve(try point("uprobe:\(flat):0x2"))[0].location else { return XCTFail() }
        XCTAssertEqual(try failure("uprobe:\(flat):0x2").message, "Could not resolve address: \(flat):0x2")
        // One uprobe_multi target per file and kind, unless the probe reads `probe`.
        func combined(_ text: String) throws -> [AttachTarget] {
            var system = self.system
            system.assumeUprobeMulti = true
            let (program, _) = Parser.parse(SourceFile(name: "stdin", text: text))
            let resolver = AttachPointResolver(system)
            let probe = program.probes[0]
            return resolver.combine(try probe.attachPoints.flatMap { try resolver.resolve($0) }, of: probe)
        }
        let one = try combined("uprobe:\(binary):fixture_* { }")
        guard case .userFunctions(let path, let names, let offsets) = one.first?.location, one.count == 1 else { return XCTFail("\(one)") }
        XCTAssertEqual(path, binary)
        XCTAssertEqual(names, ["fixture_one", "fixture_two"])
        XCTAssertEqual(offsets.count, 2)
        XCTAssertEqual(one[0].probeCount, 2)
        XCTAssertEqual(try combined("uprobe:\(binary):fixture_* { print(probe); }").count, 2)
        XCTAssertEqual(try combined("uprobe:\(binary):fixture_*,uretprobe:\(binary):fixture_* { }").map(\.kind), [.uprobe, .uretprobe])
        XCTAssertEqual(ProbeLister().userFunctions(["uprobe:\(binary):fixture_*"]), "uprobe:\(binary):fixture_one\nuprobe:\(binary):fixture_two\n")
        XCTAssertEqual(ProbeLister().userFunctions(["uretprobe:\(binary):fixture_o*"]), "uretprobe:\(binary):fixture_one\n")
    }

    /// A file with USDT notes (the workload's marker macros), its notes
    /// read back, then read from corrupted copies: never a trap.
    func testUSDTNotesAndHostileCopiesOfThem() throws {
        let include = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("WorkloadProbe/include").path
        let source = directory + "/usdt.c", binary = directory + "/usdt"
        try """
        #include "auger_sdt.h"
        AUGER_SDT_SEMAPHORE(fixture, two);
        long global = 7;
        int main(int argc, char **argv) {
            AUGER_SDT(fixture, one, 0, "-4@%0 8@%1", "r"(argc), "r"(argv));
            if (fixture_two_semaphore) AUGER_SDT(fixture, two, fixture_two_semaphore, "-8@%0", "m"(global));
            return 0;
        }
        """.write(toFile: source, atomically: true, encoding: .utf8)
        let status = run("/usr/bin/env", ["cc", "-O1", "-I", include, "-o", binary, source])
        try TestGate.require(status == 0 ? nil : "cc could not build a USDT fixture (status \(status))", what: "USDT notes test")
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: binary)))
        let markers = USDTNotes.markers(in: bytes)
        XCTAssertEqual(markers.map { "\($0.provider):\($0.name)" }, ["fixture:one", "fixture:two"])
        XCTAssertEqual(markers.first?.semaphore, 0)
        XCTAssertNotEqual(markers.last?.semaphore, 0)
        XCTAssertEqual(markers.last?.arguments.hasPrefix("-8@global"), true, markers.last?.arguments ?? "")
        let targets = try resolve("usdt:\(binary):fixture:*")
        XCTAssertEqual(targets.map(\.name), ["usdt:\(binary):fixture:one", "usdt:\(binary):fixture:two"])
        XCTAssertEqual(targets.first?.usdtArguments?.arguments.map(\.size), [4, 8])
        XCTAssertEqual(try resolve("usdt:\(binary):t*").map(\.name), ["usdt:\(binary):fixture:two"])
        var seed: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Int { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return Int(seed % UInt64(Int.max)) }
        // Bytes anywhere, and in the notes themselves (sizes, strings, addresses).
        let notes = try XCTUnwrap(ELFSections(bytes: bytes)?.named(".note.stapsdt"))
        for _ in 0..<1000 {
            var copy = bytes
            for _ in 0..<8 { copy[next() % copy.count] = UInt8(next() & 0xff) }
            for _ in 0..<8 { copy[notes.offset + next() % notes.size] = UInt8(next() & 0xff) }
            _ = USDTNotes.markers(in: copy)
        }
    }

    func testUprobePathsMustBeRegularFiles() throws {
        XCTAssertNil(ELFSymbols(path: "/dev/zero"), "a device is never read")
        XCTAssertEqual(try failure("uprobe:/dev/zero:f").message, "'/dev/zero' is not an ELF file with symbols")
    }

    func testUprobeOfAMissingFunctionOrBinary() throws {
        let binary = try buildELF()
        XCTAssertEqual(try failure("uprobe:\(binary):no_such_function").message, "No matches for uprobe \(binary):no_such_function.")
        XCTAssertEqual(try failure("uprobe:/nonexistent/bin:f").message, "cannot find binary '/nonexistent/bin'")
        XCTAssertEqual(try failure("uprobe:\(binary):0xffffffffffffffff").message, "Could not resolve address: \(binary):0xffffffffffffffff")
        XCTAssertEqual(try failure("uprobe:\(binary):10").message, "Could not resolve address: \(binary):0xa")
        XCTAssertEqual(try failure("uprobe:\(directory)/available_events:f").message, "'\(directory)/available_events' is not an ELF file with symbols")
    }
}
