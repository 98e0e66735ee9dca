import AugerCompiler
import AugerScript
import BPF
import XCTest

/// What the compiler emits, checked without a kernel.
final class PrologueTests: XCTestCase {
    func compile(_ text: String, _ target: AttachTarget = AttachTarget(kind: .interval, location: .perfEvent(PerfEventSource(counter: .software(.cpuClock), rate: .period(1_000_000), cpus: [0])), name: "interval:ms:1")) throws -> ProgramSpec {
        let (program, parsed) = Parser.parse(SourceFile(name: "test", text: text))
        XCTAssertFalse(parsed.hasErrors)
        let checked = Sema.check(program)
        XCTAssertFalse(checked.diagnostics.hasErrors, checked.diagnostics.rendered(in: SourceFile(name: "test", text: text)))
        return try Compiler(checked).compile(targets: [[target]]).programs[0].spec
    }

    /// Whether the program reads the stop flag straight from the globals
    /// map's value (ld_imm64 of BPF_PSEUDO_MAP_VALUE, offset in the next slot).
    func checksStopFlag(_ spec: ProgramSpec) -> Bool {
        spec.mapReferences.contains { at, name in
            name == CompiledScript.globalsName && spec.instructions[at].src == 2
                && spec.instructions[at + 1].imm == Int32(CompiledScript.stoppedOffset)
        }
    }

    func testProbesButNotBeginCheckTheStopFlag() throws {
        XCTAssertTrue(checksStopFlag(try compile("interval:ms:1 { @ = count(); }")))
        XCTAssertTrue(checksStopFlag(try compile("interval:ms:1 { @[comm] = count(); }")))
        XCTAssertFalse(checksStopFlag(try compile("begin { @ = count(); }", AttachTarget(kind: .begin, location: .inProcess, name: "begin"))))
    }

    /// The ring buffer is as big as the output needs: 8 MiB when events
    /// print, 1 MiB when only begin/end do (or a map may warn), 64 KiB otherwise.
    func testRingBufferSizedToTheOutput() throws {
        func size(_ text: String) throws -> UInt32 {
            let source = SourceFile(name: "test", text: text)
            let (program, _) = Parser.parse(source)
            let checked = Sema.check(program)
            XCTAssertFalse(checked.diagnostics.hasErrors, checked.diagnostics.rendered(in: source))
            let targets = program.probes.map { probe -> [AttachTarget] in
                probe.attachPoints[0].kind == .begin || probe.attachPoints[0].kind == .end
                    ? [AttachTarget(kind: probe.attachPoints[0].kind, location: .inProcess, name: probe.attachPoints[0].kind.name)]
                    : [AttachTarget(kind: .interval, location: .perfEvent(PerfEventSource(counter: .software(.cpuClock), rate: .period(1_000_000), cpus: [0])), name: "interval:ms:1")]
            }
            return try Compiler(checked).compile(targets: targets).ringBufferSize
        }
        XCTAssertEqual(try size("interval:ms:1 { exit(); }"), 1 << 16)
        // A map may warn that it is full, on any event; a keyless count is an array, never full.
        XCTAssertEqual(try size("interval:ms:1 { @[pid] = count(); }"), 1 << 20)
        XCTAssertEqual(try size("interval:ms:1 { @ = count(); }"), 1 << 16)
        XCTAssertEqual(try size(#"begin { printf("hello\n"); } interval:ms:1 { @ = count(); } end { print(@); }"#), 1 << 20)
        XCTAssertEqual(try size(#"begin { printf("hello\n"); } interval:ms:1 { printf("%d\n", pid); }"#), 1 << 23)
    }

    func usesScratch(_ spec: ProgramSpec) -> Bool {
        spec.mapReferences.values.contains(CompiledScript.scratchName)
    }

    func testProgramsWithoutScratchSkipItsLookup() throws {
        let count = try compile("interval:ms:1 { @ = count(); }")
        XCTAssertFalse(usesScratch(count))
        XCTAssertFalse(count.instructions.contains { $0.dst == 7 || $0.src == 7 })
        XCTAssertEqual(count.instructions.first, Instruction.mov(.r6, .r1))
        XCTAssertFalse(usesScratch(try compile("interval:ms:1 { @s[pid, cpu] = sum(pid); @h[tid] = hist(nsecs % 1000); @l = lhist(cpu, 0, 8, 1); }")))
    }

    /// `@ = count()` lives in a one-element per-CPU array: its lookup is
    /// inlined by the verifier and nothing is ever inserted.
    func testAKeylessCountIsAnArrayNeverInsertedInto() throws {
        func compiled(_ text: String) throws -> CompiledScript {
            let checked = Sema.check(Parser.parse(SourceFile(name: "test", text: text)).0)
            return try Compiler(checked).compile(targets: [[AttachTarget(kind: .interval, location: .perfEvent(PerfEventSource(counter: .software(.cpuClock), rate: .period(1_000_000), cpus: [0])), name: "interval:ms:1")]])
        }
        let count = try compiled("interval:ms:1 { @ = count(); }")
        XCTAssertEqual(count.maps[0].spec.type, .percpuArray)
        XCTAssertEqual(count.maps[0].spec.keySize, 4)
        XCTAssertFalse(count.programs[0].spec.instructions.contains(.call(.mapUpdateElem)))
        for other in ["interval:ms:1 { @[pid] = count(); }", "interval:ms:1 { @ = sum(pid); }", "interval:ms:1 { @ = min(pid); }"] {
            let c = try compiled(other)
            XCTAssertEqual(c.maps[0].spec.type, .percpuHash, other)
            XCTAssertTrue(c.programs[0].spec.instructions.contains(.call(.mapUpdateElem)), other)
        }
    }

    func testProgramsWithStringsKeepIt() throws {
        XCTAssertTrue(usesScratch(try compile("interval:ms:1 { @[comm] = count(); }")))
        XCTAssertTrue(usesScratch(try compile(#"interval:ms:1 { @[1] = 1; for ($kv : @) { print($kv); } }"#)))
    }

    /// kprobe_session: both probes in one program; the kfunc's answer picks
    /// the part, each part's jumps and map references kept where they point.
    func testSessionPairIsOneProgramThatAsksWhichRunItIs() throws {
        let text = "kprobe:vfs_read { @e = count(); } kretprobe:vfs_read { @r[retval] = count(); }"
        let (program, _) = Parser.parse(SourceFile(name: "test", text: text))
        let checked = Sema.check(program)
        XCTAssertFalse(checked.diagnostics.hasErrors)
        let targets = [ProbeKind.kprobe, .kretprobe].map { [AttachTarget(kind: $0, location: .kernelFunctionSession(names: ["vfs_read"]), name: "\($0.name):vfs_read")] }
        func compile(sessions: [SessionPair]) throws -> CompiledScript {
            let compiler = Compiler(checked)
            compiler.sessions = sessions
            compiler.sessionIsReturnID = 777
            return try compiler.compile(targets: targets)
        }
        let separate = try Compiler(checked).compile(targets: targets).programs.map(\.spec)
        let merged = try compile(sessions: [SessionPair(entry: 0, exit: 1)])
        XCTAssertEqual(merged.programs.count, 1)
        XCTAssertEqual(merged.programs[0].target.probeCount, 1)
        let spec = merged.programs[0].spec
        XCTAssertEqual(spec.expectedAttachType, .traceKprobeSession)
        let entry = separate[0].instructions, exit = separate[1].instructions
        XCTAssertEqual(Array(spec.instructions.prefix(4)),
                       [.mov(.r6, .r1), .callKernelFunction(btfID: 777), .mov(.r1, .r6), .jump(.jne, .r0, 0, Int16(entry.count))])
        XCTAssertEqual(Array(spec.instructions[4..<(4 + entry.count)]), entry)
        XCTAssertEqual(Array(spec.instructions.suffix(exit.count)), exit)
        XCTAssertEqual(spec.instructions.count, 4 + entry.count + exit.count)
        XCTAssertEqual(spec.mapReferences.count, separate[0].mapReferences.count + separate[1].mapReferences.count)
        for (slot, map) in separate[0].mapReferences { XCTAssertEqual(spec.mapReferences[slot + 4], map) }
        for (slot, map) in separate[1].mapReferences { XCTAssertEqual(spec.mapReferences[slot + 4 + entry.count], map) }
        XCTAssertEqual(spec.instructions[1].text(), "call kernel function btf#777")
    }

    /// USDT argument specs as compilers write them into .note.stapsdt.
    func testUSDTArgumentSpecs() throws {
        func parse(_ spec: String) -> USDTArgument? { try? USDTArgument.parse(spec[...], symbol: { $0 == "counter" ? 0x4010 : nil }).get() }
        XCTAssertEqual(parse("-4@%edi"), USDTArgument(location: .register(offset: 112, byte: 0), size: 4, signed: true))
        XCTAssertEqual(parse("8@%r13"), USDTArgument(location: .register(offset: 16, byte: 0), size: 8, signed: false))
        XCTAssertEqual(parse("1@%ah"), USDTArgument(location: .register(offset: 80, byte: 1), size: 1, signed: false))
        XCTAssertEqual(parse("2@%r9w"), USDTArgument(location: .register(offset: 64, byte: 0), size: 2, signed: false))
        XCTAssertEqual(parse("-8@$-16"), USDTArgument(location: .constant(-16), size: 8, signed: true))
        XCTAssertEqual(parse("4@$0x10"), USDTArgument(location: .constant(16), size: 4, signed: false))
        XCTAssertEqual(parse("-8@-24(%rbp)"), USDTArgument(location: .memory(base: 32, index: nil, scale: 1, displacement: -24), size: 8, signed: true))
        XCTAssertEqual(parse("8@(%rsp)"), USDTArgument(location: .memory(base: 152, index: nil, scale: 1, displacement: 0), size: 8, signed: false))
        XCTAssertEqual(parse("4@8(%rax,%rdx,4)"), USDTArgument(location: .memory(base: 80, index: 96, scale: 4, displacement: 8), size: 4, signed: false))
        XCTAssertEqual(parse("8@counter+8(%rip)"), USDTArgument(location: .ripRelative(address: 0x4010, displacement: 8), size: 8, signed: false))
        for bad in ["8@", "3@%rax", "8@%xmm0", "8@nothing(%rip)", "8@4(%rax,%rdx,3)", "x@%rax", "8@$q", "%rax"] {
            XCTAssertNil(parse(bad), bad)
        }
    }

    /// vfs_read(struct file *file, char *buf, size_t count, loff_t *pos), as BTF gives it.
    static let vfsRead = FunctionSignature(
        parameters: [RecordField(name: "file", type: .pointer(.cType("struct file"))), RecordField(name: "buf", type: .pointer(.i8)),
                     RecordField(name: "count", type: .u64), RecordField(name: "pos", type: .pointer(.i64))],
        slots: [0, 1, 2, 3], returnType: .i64, returnSlot: 4)

    func traced(_ kind: ProbeKind) -> AttachTarget {
        AttachTarget(kind: kind, location: .tracedFunction(name: "vfs_read", module: nil, btfID: 4242, signature: Self.vfsRead),
                     name: "\(kind.name):vmlinux:vfs_read")
    }

    /// A load of context word `n` (8-byte words) into any register.
    func readsContextWord(_ spec: ProgramSpec, _ n: Int) -> Bool {
        spec.instructions.contains { $0 == .load(.u64, Register(rawValue: $0.dst)!, .r6, Int16(8 * n)) }
    }

    func testFentryAndFexitNameTheirFunctionAndReadArgumentsFromContextWords() throws {
        let entry = try compile("fentry:vfs_read { @ = sum(args.count); }", traced(.fentry))
        XCTAssertEqual(entry.type, .tracing)
        XCTAssertEqual(entry.expectedAttachType, .traceFentry)
        XCTAssertEqual(entry.attachBTFID, 4242)
        XCTAssertTrue(readsContextWord(entry, 2))
        XCTAssertFalse(readsContextWord(entry, 4))
        let exit = try compile("fexit:vfs_read { @ = sum(retval); }", traced(.fexit))
        XCTAssertEqual(exit.expectedAttachType, .traceFexit)
        XCTAssertTrue(readsContextWord(exit, 4), "retval follows the four arguments")
        // func: the trampoline's own answer, not a register.
        XCTAssertTrue(try compile("fentry:vfs_read { @[func] = count(); }", traced(.fentry)).instructions.contains(.call(.getFuncIp)))
    }

    /// One program behind a kprobe_multi link loads for that link and asks
    /// the kernel which function fired; one kprobe reads the instruction pointer.
    func testMultiFunctionKprobesLoadForTheirLinkAndAskForTheFunction() throws {
        let multi = AttachTarget(kind: .kprobe, location: .kernelFunctions(names: ["vfs_read", "vfs_write"]), name: "kprobe:vfs_*")
        let spec = try compile("kprobe:vfs_* { @[func] = count(); }", multi)
        XCTAssertEqual(spec.type, .kprobe)
        XCTAssertEqual(spec.expectedAttachType, .traceKprobeMulti)
        XCTAssertTrue(spec.instructions.contains(.call(.getFuncIp)))
        let single = try compile("kprobe:vfs_read { @[func] = count(); }",
                                 AttachTarget(kind: .kprobe, location: .kernelFunction(name: "vfs_read", offset: 0), name: "kprobe:vfs_read"))
        XCTAssertEqual(single.expectedAttachType, AttachType.none)
        XCTAssertFalse(single.instructions.contains(.call(.getFuncIp)))
    }
}
