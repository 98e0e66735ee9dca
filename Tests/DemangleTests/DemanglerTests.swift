import Demangle
import Foundation
import XCTest

final class DemanglerTests: XCTestCase {
    /// Names as the C++ runtime's demangler (and c++filt) prints them.
    func testCppNames() {
        let cases: [(String, String)] = [
            ("_Z3foov", "foo()"),
            ("_Z3fooi", "foo(int)"),
            ("_Z3fooPKcRi", "foo(char const*, int&)"),
            ("_ZN2ns5Class6methodEv", "ns::Class::method()"),
            ("_ZNK2ns5Class6methodEi", "ns::Class::method(int) const"),
            ("_ZN2ns5ClassC2Ev", "ns::Class::Class()"),
            ("_ZN2ns5ClassD1Ev", "ns::Class::~Class()"),
            ("_Z3maxIiET_S0_S0_", "int max<int>(int, int)"),
            ("_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"),
            ("_ZN1AplERKS_", "A::operator+(A const&)"),
            ("_Z1fPFviE", "f(void (*)(int))"),
            ("_Z1fRA3_i", "f(int (&) [3])"),
            ("_Z1fM1AFivE", "f(int (A::*)())"),
            ("_ZN12_GLOBAL__N_13fooEv", "(anonymous namespace)::foo()"),
            ("_ZZ4mainE1x", "main::x"),
            ("_Z3foov.cold", "foo() [clone .cold]"),
            ("_ZTV1A", "vtable for A"),
            ("_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv",
             "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::size() const"),
            ("_ZNSsC1Ev", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string()"),
            ("_Z1fIJiiEEvDpT_", "void f<int, int>(int, int)"),
            ("_Z1fILi5EEvv", "void f<5>()"),
            ("_Z3fooB5cxx11v", "foo[abi:cxx11]()"),
        ]
        for (mangled, expected) in cases {
            XCTAssertEqual(Demangler.demangle(mangled)?.full, expected, mangled)
        }
        XCTAssertEqual(Demangler.demangle("_ZNK2ns5Class6methodEi")?.function, "ns::Class::method")
        XCTAssertEqual(Demangler.demangle("_Z3maxIiET_S0_S0_")?.function, "max<int>")
    }

    func testRustLegacyNames() {
        XCTAssertEqual(Demangler.demangle("_ZN4core3fmt5write17h0123456789abcdefE")?.full, "core::fmt::write")
        XCTAssertEqual(Demangler.demangle("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE")?.full,
                       "std::rt::lang_start::{{closure}}")
        XCTAssertEqual(Demangler.demangle("_ZN42_$LT$$RF$T$u20$as$u20$core..fmt..Debug$GT$3fmt17h0123456789abcdefE")?.full,
                       "<&T as core::fmt::Debug>::fmt")
    }

    func testNamesThatAreNotMangledOrNotUnderstood() {
        for symbol in ["main", "_Z", "_Z3fo", "_Z3fooS_", "_Z1fT_", "_ZN3fooEE", "_Z1fI"] {
            XCTAssertNil(Demangler.demangle(symbol), symbol)
        }
    }

    /// Every C++ symbol of the C++ runtime, against binutils' c++filt: where
    /// both read a name they agree, and this parser reads nearly all of them.
    func testAgreesWithCppfiltOnTheCppRuntime() throws {
        // DEMANGLE_CORPUS names another library to compare on (libLLVM's templates, say).
        let library = ProcessInfo.processInfo.environment["DEMANGLE_CORPUS"] ?? "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
        guard FileManager.default.fileExists(atPath: library), FileManager.default.fileExists(atPath: "/usr/bin/c++filt"),
              FileManager.default.fileExists(atPath: "/usr/bin/nm") else {
            throw XCTSkip("needs libstdc++, nm and c++filt (binutils)")
        }
        let corpus = ProcessInfo.processInfo.environment["DEMANGLE_CORPUS"] != nil
        let symbols = try run("/usr/bin/nm", (corpus ? [] : ["-D"]) + ["--defined-only", library]).split(separator: "\n")
            .compactMap { $0.split(separator: " ").last.map(String.init) }.filter { $0.hasPrefix("_Z") }
        XCTAssertGreaterThan(symbols.count, 1000)
        let bare = symbols.map { $0.split(separator: "@").first.map(String.init) ?? $0 }
        let expected = try run("/usr/bin/c++filt", [], input: bare.joined(separator: "\n") + "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var read = 0, mismatches: [String] = []
        for (symbol, want) in zip(symbols, expected) {
            let bare = String(symbol.split(separator: "@").first ?? "")
            guard let got = Demangler.demangle(bare) else { continue }
            read += 1
            if got.full != want { mismatches.append("\(bare): \(got.full) ≠ \(want)") }
        }
        XCTAssertEqual(Array(mismatches.prefix(5)), [], "\(mismatches.count) of \(read) differ")
        XCTAssertGreaterThan(Double(read) / Double(symbols.count), 0.95, "read \(read) of \(symbols.count)")
    }

    /// Random bytes after `_Z` and random cuts of real names: never a crash or a hang.
    func testFuzzedInputNeverCrashes() {
        var rng = SplitMix(seed: 0x5eed)
        let alphabet = Array("_ZNESTIJLXKVrPRObcdfhijlmstvxyz0123456789CDA_M.".utf8)
        let seeds = ["_ZNSt6vectorIiSaIiEE9push_backERKi", "_Z1fIJiiEEvDpT_", "_ZZ4mainE1x", "_Z1fPFviE"]
        for _ in 0..<20_000 {
            var bytes: [UInt8]
            if rng.next() % 2 == 0 {
                bytes = Array("_Z".utf8) + (0..<Int(rng.next() % 40)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            } else {
                bytes = Array(seeds[Int(rng.next() % 4)].utf8)
                for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            }
            _ = Demangler.demangle(String(decoding: bytes, as: UTF8.self))
        }
        // A name of references to references stops instead of printing 2^n characters.
        let doubling = "_Z1fP1A" + String(repeating: "PS0_", count: 1) + (0..<60).map { "S\($0)_" }.joined()
        _ = Demangler.demangle(doubling)
    }

    private func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let out = Pipe(), inPipe = Pipe()
        p.standardOutput = out
        if input != nil { p.standardInput = inPipe }
        try p.run()
        if let input {
            // Written from another thread: c++filt answers as it reads, and a full pipe would stall both.
            let writer = inPipe.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(Data(input.utf8))
                try? writer.close()
            }
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
