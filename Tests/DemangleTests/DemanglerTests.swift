import Demangle
import TestSupport
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

    func testRustV0Names() {
        let cases: [(String, String)] = [
            ("_RNvC7mycrate3foo", "mycrate::foo"),
            ("_RNvXC7mycrateNtB2_3BarNtNtC4core3fmt5Debug3fmt", "<mycrate::Bar as core::fmt::Debug>::fmt"),
            ("_RINvC7mycrate3fooAhj4_E", "mycrate::foo::<[u8; 4]>"),
            ("_RNCNvC7mycrate4main0", "mycrate::main::{closure#0}"),
            ("_RNvMC7mycrateNtB2_3Bar3new", "<mycrate::Bar>::new"),
            ("_RINvCs6mEINUzFH5k_6shapes4pairRecEB2_", "shapes::pair::<&str, char>"),
            ("_RNvC7mycrate3foo.llvm.123", "mycrate::foo"),
        ]
        for (mangled, expected) in cases {
            XCTAssertEqual(Demangler.demangle(mangled)?.full, expected, mangled)
        }
        for bad in ["_R", "_RNvC7mycrate", "_RB_", "_RNvB0_3foo", "_RINvC1aE"] {
            XCTAssertNil(Demangler.demangle(bad), bad)
        }
    }

    /// A Rust program's v0 names (its own generics, closures, trait impls,
    /// and std's), against binutils' Rust demangler with crate hashes and
    /// const types taken out, as rustc's short form leaves them.
    func testRustV0AgreesWithCppfilt() throws {
        let rustc = ["/root/.cargo/bin/rustc", "/usr/bin/rustc", "/usr/local/bin/rustc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let rustc, FileManager.default.fileExists(atPath: "/usr/bin/c++filt") else { throw XCTSkip("needs rustc and c++filt") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("auger-rust-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("shapes.rs"), binary = dir.appendingPathComponent("shapes")
        try Self.rustProgram.write(to: source, atomically: true, encoding: .utf8)
        _ = try run(rustc, ["-O", "-C", "symbol-mangling-version=v0", "-o", binary.path, source.path])
        let symbols = try run("/usr/bin/nm", ["--defined-only", binary.path]).split(separator: "\n")
            .compactMap { $0.split(separator: " ").last.map(String.init) }.filter { $0.hasPrefix("_R") }
        XCTAssertGreaterThan(symbols.count, 100)
        let expected = try run("/usr/bin/c++filt", ["-s", "rust"], input: symbols.joined(separator: "\n") + "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.replacingOccurrences(of: #"\[[0-9a-f]+\]"#, with: "", options: .regularExpression)
                    .replacingOccurrences(of: #": (usize|isize|[ui](8|16|32|64|128)|bool|char)\b"#, with: "", options: .regularExpression)
            }
        var read = 0, mismatches: [String] = []
        for (symbol, want) in zip(symbols, expected) {
            guard let got = Demangler.demangle(symbol) else { continue }
            read += 1
            if got.full != want { mismatches.append("\(symbol): \(got.full) ≠ \(want)") }
        }
        XCTAssertEqual(Array(mismatches.prefix(5)), [], "\(mismatches.count) of \(read) differ")
        XCTAssertGreaterThan(Double(read) / Double(symbols.count), 0.95, "read \(read) of \(symbols.count)")
    }

    static let rustProgram = #"""
    use std::collections::HashMap;
    use std::fmt;
    pub mod geometry {
        pub struct Circle { pub r: f64 }
        impl Circle { #[inline(never)] pub fn area(&self) -> f64 { 3.14 * self.r * self.r } }
        pub trait Shape { fn name(&self) -> &'static str; }
        impl Shape for Circle { #[inline(never)] fn name(&self) -> &'static str { "circle" } }
    }
    struct Wrapper<T>(T);
    impl<T: fmt::Debug> fmt::Debug for Wrapper<T> { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "W({:?})", self.0) } }
    #[inline(never)] fn twice<T: Copy + std::ops::Add<Output = T>>(x: T) -> T { x + x }
    #[inline(never)] fn sum_array<const N: usize>(a: [u8; N]) -> u32 { a.iter().map(|&x| x as u32).sum() }
    #[inline(never)] fn call_dyn(f: &dyn Fn(i32) -> i32, v: i32) -> i32 { f(v) }
    #[inline(never)] fn pair<A, B>(a: A, b: B) -> (A, B) { (a, b) }
    fn main() {
        use geometry::Shape;
        let c = geometry::Circle { r: 2.0 };
        let mut m: HashMap<String, Vec<(i64, bool)>> = HashMap::new();
        m.insert("a".to_string(), vec![(1, true)]);
        let f = |x: i32| x + 1;
        println!("{} {} {} {} {} {:?} {:?} {}", c.area(), c.name(), twice(3u64), twice(1.5f32), sum_array([1u8, 2, 3, 4]), Wrapper(5), pair("x", 'c'), call_dyn(&f, 4));
        println!("{}", m.len());
    }
    """#

    /// Random bytes after `_Z` and random cuts of real names: never a crash or a hang.
    func testFuzzedInputNeverCrashes() {
        var rng = SeededRandom(seed: 0x5eed)
        let alphabet = Array("_ZNESTIJLXKVrPRObcdfhijlmstvxyz0123456789CDA_M.".utf8)
        let seeds = ["_ZNSt6vectorIiSaIiEE9push_backERKi", "_Z1fIJiiEEvDpT_", "_ZZ4mainE1x", "_Z1fPFviE",
                     "_RNvXC7mycrateNtB2_3BarNtNtC4core3fmt5Debug3fmt", "_RINvCs6mEINUzFH5k_6shapes4pairRecEB2_"]
        for _ in 0..<20_000 {
            var bytes: [UInt8]
            if rng.next() % 2 == 0 {
                bytes = Array((rng.next() % 2 == 0 ? "_Z" : "_R").utf8) + (0..<Int(rng.next() % 40)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            } else {
                bytes = Array(seeds[Int(rng.next() % UInt64(seeds.count))].utf8)
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
