import Foundation
import XCTest

/// uprobes on a C++ program by the names its source uses, and its stacks
/// printed demangled. The program is compiled here with the system's c++.
final class CppSymbolTests: AugerTestCase {
    static let source = #"""
    #include <cstdlib>
    namespace shapes {
    struct Circle {
        int r;
        __attribute__((noinline)) int area(int scale) const { return 3 * r * r * scale; }
    };
    }
    template <typename T> __attribute__((noinline)) T twice(T x) { return x + x; }
    __attribute__((noinline)) int overload(int x) { return x; }
    __attribute__((noinline)) int overload(int x, int y) { return x + y; }
    int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 1;
        shapes::Circle c{2};
        long total = 0;
        for (int i = 0; i < n; i++) total += c.area(i) + twice<int>(i) + overload(i) + overload(i, 1);
        return total == 12345;
    }
    """#

    /// Built once per run; nil (with the reason) where there is no C++ compiler.
    static let program: Swift.Result<String, Error> = Swift.Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("auger-cpp-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let src = dir.appendingPathComponent("shapes.cpp"), bin = dir.appendingPathComponent("shapes")
        try source.write(to: src, atomically: true, encoding: .utf8)
        guard let compiler = ["/usr/bin/c++", "/usr/bin/g++", "/usr/bin/clang++"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("needs a C++ compiler (c++, g++ or clang++) to build the test program")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: compiler)
        p.arguments = ["-O1", "-g", "-fno-omit-frame-pointer", "-o", bin.path, src.path]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("\(compiler) could not build the test program") }
        return bin.path
    }


    func testAttachByQualifiedNameWithCppPrefix() throws {
        let bin = try Self.program.get()
        let out = try run(#"uprobe:\#(bin):cpp:"shapes::Circle::area" { @ = count(); }"#, ["-c", "\(bin) 5"])
        XCTAssertEqual(out, "\n@: 5\n\n")
        // Unquoted, and without `cpp:`: a name with `::` is a C++ name.
        XCTAssertEqual(try run("uprobe:\(bin):cpp:shapes::Circle::area { @ = count(); }", ["-c", "\(bin) 3"]), "\n@: 3\n\n")
        XCTAssertEqual(try run(#"uprobe:\#(bin):"shapes::Circle::area" { @ = count(); }"#, ["-c", "\(bin) 2"]), "\n@: 2\n\n")
    }

    /// A name without parameters is every overload; with them, exactly one.
    func testOverloadsByNameAndBySignature() throws {
        let bin = try Self.program.get()
        XCTAssertEqual(try run("uprobe:\(bin):cpp:overload { @ = count(); }", ["-c", "\(bin) 4"]), "\n@: 8\n\n")
        XCTAssertEqual(try run(#"uprobe:\#(bin):cpp:"overload(int, int)" { @ = count(); }"#, ["-c", "\(bin) 4"]), "\n@: 4\n\n")
        XCTAssertEqual(try run("uprobe:\(bin):cpp:twice* { @ = count(); }", ["-c", "\(bin) 3"]), "\n@: 3\n\n")
    }

    func testFuncAndStacksAreDemangledUnlessTurnedOff() throws {
        let bin = try Self.program.get()
        let script = #"uprobe:\#(bin):cpp:"shapes::Circle::area" { @[func] = count(); @s[ustack(2)] = count(); }"#
        let out = try run(script, ["-c", "\(bin) 2"])
        XCTAssertTrue(out.contains("@[shapes::Circle::area(int) const]: 2"), out)
        XCTAssertTrue(out.contains("        shapes::Circle::area(int) const+0"), out)
        let mangled = try run("config = { cpp_demangle = false } " + script, ["-c", "\(bin) 2"])
        XCTAssertTrue(mangled.contains("@[_ZNK6shapes6Circle4areaEi]: 2"), mangled)
    }

    func testListingByDemangledName() throws {
        let bin = try Self.program.get()
        let out = try auger(["-l", "uprobe:\(bin):cpp:*"]).stdout
        XCTAssertTrue(out.contains("uprobe:\(bin):cpp:\"shapes::Circle::area(int) const\"\n"), out)
        XCTAssertTrue(out.contains("uprobe:\(bin):cpp:\"overload(int, int)\"\n"), out)
        XCTAssertTrue(out.contains("uprobe:\(bin):cpp:\"int twice<int>(int)\"\n"), out)
        // The plain listing keeps the ELF's names.
        XCTAssertTrue(try auger(["-l", "uprobe:\(bin):*"]).stdout.contains(":_ZNK6shapes6Circle4areaEi\n"))
    }

    func testANameThatMatchesNothing() throws {
        let bin = try Self.program.get()
        let r = try auger(["-e", "uprobe:\(bin):cpp:shapes::Square::area { }"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("stdin:1:"), r.stderr)
    }

    /// Rust's v0 names: a generic function attached by its demangled name, named so by func.
    func testRustFunctionsByDemangledName() throws {
        guard let rustc = ["/root/.cargo/bin/rustc", "/usr/bin/rustc", "/usr/local/bin/rustc"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("needs rustc to build the Rust test program")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("auger-rust-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("pairs.rs"), bin = dir.appendingPathComponent("pairs")
        try #"""
        #[inline(never)] fn pair<A, B>(a: A, b: B) -> (A, B) { (a, b) }
        fn main() {
            let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1);
            let mut total = 0;
            for i in 0..n { let p = std::hint::black_box(pair(i, 'c')); total += p.0; }
            std::process::exit(if total == 12345 { 1 } else { 0 });
        }
        """#.write(to: src, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: rustc)
        p.arguments = ["-C", "opt-level=0", "-C", "symbol-mangling-version=v0", "-o", bin.path, src.path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let out = try run(#"uprobe:\#(bin.path):"pairs::pair*" { @[func] = count(); }"#, ["-c", "\(bin.path) 3"])
        XCTAssertEqual(out, "\n@[pairs::pair::<usize, char>]: 3\n\n")
    }
}
