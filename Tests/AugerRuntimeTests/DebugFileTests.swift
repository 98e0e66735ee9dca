import ELF
import TestSupport
import Foundation
import XCTest
@testable import AugerRuntime

/// DWARF kept elsewhere than in the binary: separate debug files (by
/// .gnu_debuglink and by build-id), compressed sections, split DWARF.
extension AttachResolutionTests {
    func tool(_ name: String, _ arguments: [String]) throws {
        let status = run("/usr/bin/env", [name] + arguments)
        try TestGate.require(status == 0 ? nil : "\(name) \(arguments.joined(separator: " ")) failed (status \(status))", what: "debug file test")
    }

    func parameters(_ entries: DWARFEntries?) -> [String]? {
        entries?.function(named: "visit")?.parameters.map { "\($0.type.spelling) \($0.name)" }
    }

    static let visitParameters = ["outer_t* o", "const char* label", "unsigned char small", "enum colour c", "long int** many"]

    func testSeparateDebugFilesByLinkBuildIDAndSearchDirectory() throws {
        defer { DebugFiles.setSearchDirectories([]) }
        let built = try buildDebugFixture(["-gdwarf-5", "-Wl,--build-id"])
        let fm = FileManager.default
        // By .gnu_debuglink, in a --debuginfo directory named relative to the binary's.
        let linked = directory + "/linked"
        try fm.createDirectory(atPath: directory + "/ext", withIntermediateDirectories: true)
        try fm.copyItem(atPath: built, toPath: linked)
        try tool("objcopy", ["--only-keep-debug", linked, directory + "/ext/linked.debug"])
        try tool("objcopy", ["--strip-all", "--add-gnu-debuglink=" + directory + "/ext/linked.debug", linked])
        DebugFiles.setSearchDirectories([])
        XCTAssertNil(DebugFiles.entries(for: linked), "ext/ is no standard place")
        XCTAssertNil(DebugFiles.symbols(linked)?.function(named: "visit"))
        DebugFiles.setSearchDirectories(["ext"])
        XCTAssertEqual(parameters(DebugFiles.entries(for: linked)), Self.visitParameters)
        XCTAssertEqual(DebugFiles.symbols(linked)?.function(named: "visit")?.address,
                       DebugFiles.symbols(built)?.function(named: "visit")?.address, "a fully stripped binary's symbols from its debug file")
        XCTAssertNotNil(DebugFiles.sections(for: linked).flatMap { DWARFLines(debug: $0) }?.location(of: try XCTUnwrap(ELFSymbols(path: built)?.function(named: "visit")?.address)))

        // A debug file of another build: its CRC does not match, so it is not used.
        try fm.removeItem(atPath: directory + "/ext/linked.debug")
        try fm.copyItem(atPath: built, toPath: directory + "/ext/linked.debug")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: directory + "/ext/linked.debug"))
        handle.seekToEndOfFile(); handle.write(Data([0])); handle.closeFile()
        DebugFiles.setSearchDirectories(["ext"])
        XCTAssertNil(DebugFiles.entries(for: linked))

        // In .debug/ beside the binary, with no option.
        let dotted = directory + "/dotted"
        try fm.createDirectory(atPath: directory + "/.debug", withIntermediateDirectories: true)
        try fm.copyItem(atPath: built, toPath: dotted)
        try tool("objcopy", ["--only-keep-debug", dotted, directory + "/.debug/dotted.debug"])
        try tool("objcopy", ["--strip-debug", "--add-gnu-debuglink=" + directory + "/.debug/dotted.debug", dotted])
        DebugFiles.setSearchDirectories([])
        XCTAssertEqual(parameters(DebugFiles.entries(for: dotted)), Self.visitParameters)

        // By build-id alone (no link): DIR/.build-id/xx/rest.debug.
        let byID = directory + "/by-id"
        try fm.copyItem(atPath: built, toPath: byID)
        let id = try XCTUnwrap(ELFSections.buildID(Array(Data(contentsOf: URL(fileURLWithPath: built)))))
        let idDirectory = directory + "/ids/.build-id/" + id.prefix(2)
        try fm.createDirectory(atPath: idDirectory, withIntermediateDirectories: true)
        try tool("objcopy", ["--only-keep-debug", byID, idDirectory + "/" + id.dropFirst(2) + ".debug"])
        try tool("objcopy", ["--strip-all", byID])
        DebugFiles.setSearchDirectories([directory + "/ids"])
        XCTAssertEqual(parameters(DebugFiles.entries(for: byID)), Self.visitParameters)
    }

    func testCompressedDebugSections() throws {
        let plain = try buildDebugFixture(["-gdwarf-5"])
        let gz = try buildDebugFixture(["-gdwarf-5", "-gz=zlib"])
        let gnu = directory + "/zdebug"
        try tool("objcopy", ["--compress-debug-sections=zlib-gnu", plain, gnu])
        let plainLines = try XCTUnwrap(DWARFLines(elf: Array(Data(contentsOf: URL(fileURLWithPath: plain)))))
        for binary in [gz, gnu] {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: binary)))
            let elf = try XCTUnwrap(ELFSections(bytes: bytes))
            XCTAssertTrue(elf.sections.contains { $0.name == ".zdebug_info" || ($0.name == ".debug_info" && $0.flags & 0x800 != 0) }, "\(binary) is compressed")
            let debug = try XCTUnwrap(DebugSections(elf: bytes))
            XCTAssertEqual(debug.problems, [])
            XCTAssertEqual(parameters(DWARFEntries(debug: debug)), Self.visitParameters, binary)
            XCTAssertEqual(DWARFLines(debug: debug)?.rows, plainLines.rows, binary)
        }
        // Corrupt compressed streams: a problem named, never a trap.
        let good = try Array(Data(contentsOf: URL(fileURLWithPath: gz)))
        let info = try XCTUnwrap(ELFSections(bytes: good)?.named(".debug_info"))
        var seed: UInt64 = 0x2545F4914F6CDD1D
        func next() -> Int { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return Int(seed % UInt64(Int.max)) }
        var refused = 0
        for _ in 0..<500 {
            var bytes = good
            for _ in 0..<(1 + next() % 4) { bytes[info.offset + 24 + next() % (info.size - 24)] = UInt8(next() & 0xff) }
            if let debug = DebugSections(elf: bytes) {
                if !debug.problems.isEmpty { refused += 1 }
                _ = DWARFEntries(debug: debug).flatMap { parameters($0) }
            }
        }
        XCTAssertGreaterThan(refused, 0)
    }

    func testSplitDWARFFromDWOAndDWP() throws {
        defer { DebugFiles.setSearchDirectories([]) }
        DebugFiles.setSearchDirectories([])
        _ = try buildDebugFixture(["-gdwarf-5"])
        let fm = FileManager.default
        for package in [false, true] {
            let folder = directory + (package ? "/dwp" : "/dwo")
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let binary = folder + "/split"
            let status = run("/usr/bin/env", ["cc", "-O0", "-g", "-gsplit-dwarf", "-o", binary, directory + "/debug_fixture.c"])
            try TestGate.require(status == 0 ? nil : "cc -gsplit-dwarf failed", what: "debug file test")
            XCTAssertNil(DWARFEntries(elf: Array(try Data(contentsOf: URL(fileURLWithPath: binary))))?.function(named: "visit"),
                         "the binary alone holds only the skeleton")
            if package {
                // binutils' dwp crashes on gcc 12's DWARF 5; LLVM's packs it.
                let status = run("/bin/sh", ["-c", "cd \(folder) && llvm-dwp -e split -o split.dwp && rm -f *.dwo"])
                try TestGate.require(status == 0 ? nil : "llvm-dwp could not pack the .dwo", what: "debug file test")
                XCTAssertTrue(fm.fileExists(atPath: binary + ".dwp"))
            }
            XCTAssertEqual(parameters(DebugFiles.entries(for: binary)), Self.visitParameters, package ? "dwp" : "dwo")
        }
    }
}
