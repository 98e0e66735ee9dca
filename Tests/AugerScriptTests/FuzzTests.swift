import XCTest
import AugerScript
import TestSupport

/// Feeds random and mutated scripts to the parser: each must parse or
/// report errors with ranges inside the text, and never crash or hang.
final class FuzzTests: XCTestCase {
    static let fragments = [
        "begin", "end", "{", "}", "(", ")", "[", "]", ";", ",", ":", "/", "?", "=", "==", "+", "-", "*", "&", "!",
        "++", "--", "->", ".", "..", "$x", "$1", "$#", "@", "@m", "@m[1]", "pid", "comm", "count()", "\"s\"", "\"",
        "0x", "1", "99999999999999999999", "1e", "if", "else", "while", "for", "unroll", "let", "macro", "config",
        "struct", "typeof", "sizeof", "offsetof", "return", "tracepoint:syscalls:sys_enter_read", "kprobe:f",
        "uprobe:/bin/sh:main", "#include <x>", "/*", "*/", "//", "\n", " ", "(uint8)", "(struct x *)", "\\", "\0", "é",
    ]

    func testHundredThousandInputsNeverCrash() throws {
        var rng = SeededRandom(seed: 42)
        var seeds = (ConformanceCorpus.load() ?? []).map(\.program)
        seeds += ["begin { @x[pid] = count(); }", "kprobe:f /arg0 > 1/ { printf(\"%d\\n\", arg0); }"]
        var parsed = 0, rejected = 0
        for i in 0..<100_000 {
            var text: String
            if i % 4 == 0 {
                text = (0..<Int.random(in: 1...30, using: &rng)).map { _ in Self.fragments.randomElement(using: &rng)! }.joined(separator: " ")
            } else {
                text = mutate(seeds.randomElement(using: &rng)!, &rng)
            }
            let source = SourceFile(name: "stdin", text: text)
            if ProcessInfo.processInfo.environment["FUZZ_TRACE"] != nil { try? text.write(toFile: "/tmp/fuzz-last", atomically: false, encoding: .utf8) }
            let (_, diagnostics) = Parser.parse(source)
            if diagnostics.hasErrors {
                rejected += 1
                let size = text.utf8.count
                for d in diagnostics.all where d.range.start < 0 || d.range.end > size {
                    XCTFail("diagnostic out of range for input #\(i): \(d)")
                }
                _ = diagnostics.rendered(in: source)
            } else {
                parsed += 1
            }
        }
        XCTAssertGreaterThan(parsed, 1000, "mutations should leave many scripts valid")
        XCTAssertGreaterThan(rejected, 1000)
    }

    func mutate(_ seed: String, _ rng: inout SeededRandom) -> String {
        var bytes = Array(seed.utf8)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(UInt8.random(in: 0...127, using: &rng), at: at)
            case 2: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 3: bytes.insert(contentsOf: Array(Self.fragments.randomElement(using: &rng)!.utf8), at: at)
            default: bytes = Array(bytes[..<at])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let text = "begin { $x = " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + "; }"
        let s = SourceFile(name: "stdin", text: text)
        XCTAssertTrue(Parser.parse(s).diagnostics.rendered(in: s).contains("nested too deeply"))
        let blocks = "begin " + String(repeating: "{ ", count: 5_000) + String(repeating: "} ", count: 5_000)
        XCTAssertTrue(Parser.parse(SourceFile(name: "stdin", text: blocks)).diagnostics.hasErrors)
    }
}
