// swift-tools-version:6.0
import PackageDescription

// `auger --version` names the commit it was built from.
let commit: String = {
    guard let git = Context.gitInformation else { return "unknown" }
    return String(git.currentCommit.prefix(12)) + (git.hasUncommittedChanges ? "-dirty" : "")
}()

let package = Package(
    name: "Auger",
    products: [
        .executable(name: "auger", targets: ["auger"]),
        .library(name: "BPF", targets: ["BPF"]),
        .library(name: "AugerScript", targets: ["AugerScript"]),
        .library(name: "AugerCompiler", targets: ["AugerCompiler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CBPF"),
        .target(name: "CBuildInfo", cSettings: [.define("AUGER_COMMIT", to: "\"\(commit)\"")]),
        .target(name: "BPF", dependencies: ["CBPF"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BPFTests", dependencies: ["BPF", "TestSupport"]),
        .target(name: "AugerScript"),
        // Readers of files anyone may have written (ELF sections, symbols, notes): no dependencies, fuzzed alone.
        .target(name: "ELF"),
        // Folded stacks to an SVG flame graph: text in, text out.
        .target(name: "FlameGraph"),
        .testTarget(name: "FlameGraphTests", dependencies: ["FlameGraph"]),
        // Mangled symbols to readable names: text in, text out, fuzzed alone.
        .target(name: "Demangle"),
        .testTarget(name: "DemangleTests", dependencies: ["Demangle", "TestSupport"]),
        .testTarget(name: "AugerScriptTests", dependencies: ["AugerScript", "TestSupport"]),
        .target(name: "AugerCompiler", dependencies: ["AugerScript", "BPF"]),
        .testTarget(name: "AugerCompilerTests", dependencies: ["AugerCompiler", "AugerScript", "BPF"]),
        .target(name: "AugerRuntime", dependencies: ["AugerCompiler", "AugerScript", "BPF", "CBPF", "Demangle", "ELF"],
                // The event loop runs per record; exclusivity checks cost more than the work.
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        .executableTarget(name: "auger", dependencies: [
            "AugerRuntime", "AugerScript", "BPF", "CBuildInfo", "FlameGraph", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "WorkloadProbe", path: "Tests/WorkloadProbe"),
        .executableTarget(name: "auger-workload", dependencies: ["WorkloadProbe", "BPF"], path: "Tests/Workload"),
        .testTarget(name: "AugerRuntimeTests", dependencies: ["AugerRuntime", "AugerCompiler", "AugerScript", "BPF", "ELF", "TestSupport"]),
        .testTarget(name: "AugerTests", dependencies: ["auger", "auger-workload", "BPF", "TestSupport"]),
        .executableTarget(name: "count-getppid", dependencies: ["BPF"], path: "Examples/CountGetppid"),
        .executableTarget(name: "bench-frontend", dependencies: ["AugerScript"], path: "bench/FrontEnd"),
    ],
    swiftLanguageModes: [.v6]
)
