import AugerCompiler
import AugerScript
import BPF
import XCTest
@testable import AugerRuntime

/// The kind table: every spelling, every capability a probe's code depends on.
final class ProbeKindTests: XCTestCase {
    func testEverySpellingNamesItsKind() {
        for kind in ProbeKind.allCases {
            XCTAssertEqual(kind.spellings.first, kind.name)
            for spelling in kind.spellings { XCTAssertEqual(ProbeKind(written: spelling), kind, spelling) }
        }
        XCTAssertEqual(ProbeKind(written: "kfunc"), .fentry)
        XCTAssertEqual(ProbeKind(written: "U"), .usdt)
        XCTAssertEqual(ProbeKind(written: "u"), .uprobe)
        XCTAssertNil(ProbeKind(written: "kprobes"))
        XCTAssertEqual(Set(ProbeKind.allCases.flatMap(\.spellings)).count, ProbeKind.allCases.flatMap(\.spellings).count, "a spelling names two kinds")
    }

    func testReturnValuesAndArguments() {
        XCTAssertEqual(ProbeKind.allCases.filter(\.hasRetval), [.kretprobe, .fexit, .uretprobe])
        XCTAssertEqual(ProbeKind.allCases.filter { $0.argumentSource == .registers }, [.kprobe, .uprobe, .usdt])
        XCTAssertEqual(ProbeKind.rawtracepoint.argumentSource, .contextWords)
        XCTAssertTrue(ProbeKind.tracepoint.hasArgs)
        XCTAssertFalse(ProbeKind.kprobe.hasArgs)
    }

    func testWhereProbesRun() {
        XCTAssertEqual(ProbeKind.allCases.filter(\.runsInAuger), [.begin, .end, .selfSignal, .bench, .test])
        XCTAssertEqual(ProbeKind.allCases.filter(\.isTimer), [.profile, .interval])
        XCTAssertEqual(ProbeKind.allCases.filter(\.tracesUserSpace), [.uprobe, .uretprobe, .usdt])
        XCTAssertTrue(ProbeKind.tracepoint.filteredByPID)
        XCTAssertFalse(ProbeKind.uprobe.filteredByPID, "uprobes are opened for the process itself")
        XCTAssertEqual(ProbeKind.begin.probetypeName, "special")
        XCTAssertEqual(ProbeKind.uretprobe.probetypeName, "uretprobe")
    }

    func testProgramTypes() {
        XCTAssertEqual(ProbeKind.tracepoint.programType, .tracepoint)
        XCTAssertEqual(ProbeKind.uprobe.programType, .kprobe)
        XCTAssertEqual(ProbeKind.profile.programType, .perfEvent)
        XCTAssertEqual(ProbeKind.begin.programType, .rawTracepoint)
        XCTAssertEqual(ProbeKind.fexit.programType, .tracing)
        XCTAssertEqual(ProbeKind.fexit.attachType, .traceFexit)
    }

    func testAttachPointArityComesFromTheKind() {
        let (_, diagnostics) = Parser.parse(SourceFile(name: "stdin", text: "interval:s:1:2 { }"))
        XCTAssertTrue(diagnostics.rendered(in: SourceFile(name: "stdin", text: "interval:s:1:2 { }"))
            .contains("interval probes take 1 to 2 arguments after the provider, not 3, e.g. interval:s:1"))
        let (program, unknown) = Parser.parse(SourceFile(name: "stdin", text: "nonsense:x { }"))
        XCTAssertTrue(unknown.hasErrors)
        XCTAssertEqual(program.probes.first?.attachPoints.count ?? 0, 0)
    }
}
