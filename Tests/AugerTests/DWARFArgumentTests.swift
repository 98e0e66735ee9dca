import Foundation
import XCTest

/// uprobe arguments by name and type from the workload's DWARF (SwiftPM builds its C with -g).
final class DWARFArgumentTests: AugerTestCase {
    var w: String { Self.workload }

    func testArgumentsByNameOnEveryCall() throws {
        let out = try run("uprobe:\(w):auger_workload_probe { @s = sum(args.value); @n = count(); @[args.value] = count(); }", ["-c", "\(w) call 4"])
        XCTAssertEqual(out, "\n@[0]: 1\n@[1]: 1\n@[2]: 1\n@[3]: 1\n\n@n: 4\n\n@s: 6\n\n")
    }

    /// A parameter's struct comes from DWARF: through args, and in a cast the script does not define.
    func testStructsFromDebugInfo() throws {
        let out = try run(#"uprobe:\#(w):auger_workload_arrays { printf("%d %d %d %d\n", args.a->x[2], args.a->y[1][0], *args.a->z[1], ((struct auger_arrays *)arg0)->x[3]); print(args); exit(); }"#, ["-c", "\(w) call 3"])
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first, "3 7 20 4", out)
        XCTAssertTrue(lines.count > 1 && lines[1].hasPrefix("{ .a = 0x"), out)
        // The script's own definition wins over the binary's.
        let own = try run(#"struct auger_arrays { int first; } uprobe:\#(w):auger_workload_arrays { printf("%d\n", ((struct auger_arrays *)arg0)->first); exit(); }"#, ["-c", "\(w) call 1"])
        XCTAssertEqual(own, "1\n\n")
    }

    func testVerboseListingNamesParametersAsCDeclaresThem() throws {
        let out = try auger(["-lv", "uprobe:\(w):auger_workload_write"]).stdout + (try auger(["-lv", "uprobe:\(w):auger_workload_arrays"]).stdout)
        XCTAssertEqual(out, """
            uprobe:\(w):auger_workload_write
                volatile long* where
                long value
            uprobe:\(w):auger_workload_arrays
                struct auger_arrays* a

            """)
    }

    func testAParameterTheFunctionDoesNotHaveIsAnError() throws {
        let r = try auger(["-e", "uprobe:\(w):auger_workload_probe { print(args.nosuch); }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("stdin:1:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("has no field 'nosuch'"), r.stderr)
    }

    /// `BIN@file.c:LINE` from the line table: line 9 is auger_workload_probe's body, run once per call.
    func testSourceLineAttachPoints() throws {
        XCTAssertEqual(try run("uprobe:\(w)@workload_probe.c:9 { @ = count(); }", ["-c", "\(w) call 6"]), "\n@: 6\n\n")
        let r = try auger(["-e", "uprobe:\(w)@workload_probe.c:2 { }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("No code in \(w) comes from workload_probe.c:2"), r.stderr)
    }

    /// bpftrace's stack mode names each user frame's source line; show_debug_info=false leaves it off.
    func testUserStacksSaySourceLines() throws {
        let script = "uprobe:\(w):auger_workload_probe { @[ustack(1)] = count(); }"
        let with = try run(script, ["-c", "\(w) call 2"])
        XCTAssertTrue(with.contains("        auger_workload_probe+0@") && with.contains("workload_probe.c:8\n]: 2"), with)
        let without = try run("config = { show_debug_info = false } " + script, ["-c", "\(w) call 2"])
        XCTAssertEqual(without, "\n@[\n        auger_workload_probe+0\n]: 2\n\n")
    }
}
