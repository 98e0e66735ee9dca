import BPF
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A running script is readable from the kernel by another process: `auger
/// ps` lists it, `auger source PID` prints its text byte for byte, and its
/// programs carry the script's lines as BTF line info.
final class SessionSourceTests: AugerTestCase {
    func testAnotherAugerListsTheSessionAndPrintsItsSourceUntilItExits() throws {
        let marker = "session-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let text = """
            // \(marker): tabs\tand "quotes" stay as written
            tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
              @calls = count();
              @by[comm] = count();
            }

            """
        let file = NSTemporaryDirectory() + "\(marker).bt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        var listing = "", source = "", lines: [LoadedSourceLine] = [], augerPID: pid_t = 0, recordMap: MapSpec?, writable = true
        let r = try auger(["-q", file, "first", "-c", "\(Self.workload) sleep 4000 getppid 3"], timeout: 60) { running in
            augerPID = running.pid
            for _ in 0..<200 {
                usleep(50_000)
                guard let ps = try? self.auger(["ps"]), ps.status == 0 else { continue }
                listing = ps.stdout
                if listing.split(separator: "\n").contains(where: { $0.hasPrefix("\(running.pid) ") && !$0.contains(" - ") }) { break }
            }
            source = (try? self.auger(["source", "\(running.pid)"]))?.stdout ?? ""
            let map = ((try? LoadedObjects.mapIDs()) ?? []).compactMap { try? Map.open(id: $0) }
                .first { $0.spec.name == "auger_\(running.pid)" }
            recordMap = map?.spec
            // Frozen once attached: nobody can rewrite what it says.
            if let map { writable = (try? map.update(key: [0, 0, 0, 0], value: [UInt8](repeating: 0, count: Int(map.spec.valueSize)))) != nil }
            for id in (try? LoadedObjects.programIDs()) ?? [] {
                // The call's program and its dispatcher: each starts at a script line.
                if let l = try? Program.sourceLines(programID: id), l.contains(where: { $0.fileName == file }) {
                    XCTAssertEqual(l.first?.instruction, 0)
                    lines += l
                }
            }
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("@calls: 3\n"), r.stdout)
        let row = try XCTUnwrap(listing.split(separator: "\n").first { $0.hasPrefix("\(augerPID) ") }, listing)
        XCTAssertTrue(listing.hasPrefix("PID "), listing)
        XCTAssertTrue(row.contains("\(file) first"), String(row))
        XCTAssertTrue(row.contains(" 1 "), "one probe attached: \(row)")
        XCTAssertTrue(row.contains("@calls "), String(row))
        XCTAssertTrue(row.contains("@by "), String(row))
        XCTAssertEqual(source, text, "the text exactly as written")
        XCTAssertEqual(recordMap?.flags, .readOnlyProgram, "a map named for the session, read-only to programs")
        XCTAssertFalse(writable, "frozen")
        // Line info: the script's own lines, with their numbers and columns.
        XCTAssertTrue(lines.contains { $0.line == 3 && $0.text == "  @calls = count();" && $0.column == 3 }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.line == 4 && $0.text == "  @by[comm] = count();" }, "\(lines)")
        // Gone with its process.
        let after = try auger(["ps"])
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertFalse(after.stdout.split(separator: "\n").contains { $0.hasPrefix("\(augerPID) ") }, after.stdout)
        let missing = try auger(["source", "\(augerPID)"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("process \(augerPID) runs no Auger script"), missing.stderr)
        XCTAssertEqual(missing.stdout, "")
    }

    func testAOneLinerIsListedByItsFirstLine() throws {
        var listing = ""
        let r = try auger(["-q", "-e", "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @ = count(); }",
                           "-c", "\(Self.workload) sleep 3000 getppid 1"], timeout: 60) { running in
            for _ in 0..<200 {
                usleep(50_000)
                listing = (try? self.auger(["ps"]))?.stdout ?? ""
                if listing.contains("\n\(running.pid) ") { break }
            }
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(listing.contains("-e 'tracepoint:syscalls:sys_enter_getppid..."), listing)
    }

    func testAPidThatRunsNoScriptIsAnError() throws {
        let r = try auger(["source", "\(getpid())"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("runs no Auger script"), r.stderr)
        let bad = try auger(["source", "nope"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.hasPrefix("ERROR: "), bad.stderr)
    }
}

/// `-f folded`: maps keyed by stacks as `frame;…;frame COUNT`, outermost
/// frame first, the same stacks the text format prints.
final class FoldedOutputTests: AugerTestCase {
    /// The text format's stacks turned into folded lines by hand: frames
    /// reversed, offsets dropped, the other keys first.
    func foldedFromText(_ text: String) -> [String] {
        var lines: [String] = []
        for block in text.components(separatedBy: "\n\n") {
            guard let open = block.range(of: "@["), let close = block.range(of: "]: ", options: .backwards) else { continue }
            let inside = block[open.upperBound..<close.lowerBound]
            let parts = inside.split(separator: ",", maxSplits: 1)
            let comm = String(parts[0])
            let frames = parts[1].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .map { $0.split(separator: "+").first.map(String.init) ?? $0 }
            lines.append(([comm] + frames.reversed()).joined(separator: ";") + " " + block[close.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return lines.sorted()
    }

    func testUserStacksFoldAsTheTextFormatPrintsThem() throws {
        let script = "uprobe:\(Self.workload):auger_workload_probe { @[comm, ustack(2)] = count(); }"
        let folded = try auger(["-q", "-f", "folded", "-c", "\(Self.workload) call 7 sleep 300", "-e", script])
        let text = try auger(["-q", "-c", "\(Self.workload) call 7 sleep 300", "-e", script])
        XCTAssertEqual(folded.status, 0, folded.stderr)
        let lines = folded.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, foldedFromText(text.stdout), "text: \(text.stdout)")
        XCTAssertEqual(lines.count, 1, folded.stdout)
        XCTAssertTrue(lines[0].hasPrefix("auger-workload;"), lines[0])
        XCTAssertTrue(lines[0].hasSuffix(";auger_workload_probe 7"), lines[0])
        XCTAssertEqual(lines[0], "auger-workload;main;auger_workload_probe 7")
    }

    func testKernelStacksFoldAndOtherMapsStayText() throws {
        let script = """
            tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @k[kstack(4)] = count(); @n = count(); }
            end { print(@k); clear(@k); }
            """
        let r = try auger(["-q", "-f", "folded", "-c", "\(Self.workload) getppid 5", "-e", script])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let stacks = lines.filter { $0.contains(";") }
        XCTAssertEqual(stacks.count, 1, r.stdout)
        XCTAssertTrue(stacks[0].hasSuffix(" 5"), stacks[0])
        XCTAssertEqual(stacks[0].dropLast(2).split(separator: ";").count, 4, stacks[0])
        XCTAssertFalse(stacks[0].contains("+"), "no offsets: \(stacks[0])")
        XCTAssertTrue(r.stdout.contains("@n: 5\n"), "maps without stacks print as text: \(r.stdout)")
    }
}
