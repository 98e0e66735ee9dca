// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Auger",
    products: [
        .library(name: "BPF", targets: ["BPF"]),
        .library(name: "AugerScript", targets: ["AugerScript"]),
        .library(name: "AugerCompiler", targets: ["AugerCompiler"]),
    ],
    targets: [
        .target(name: "CBPF"),
        .target(name: "BPF", dependencies: ["CBPF"]),
        .testTarget(name: "BPFTests", dependencies: ["BPF"]),
        .target(name: "AugerScript"),
        .testTarget(name: "AugerScriptTests", dependencies: ["AugerScript"]),
        .target(name: "AugerCompiler", dependencies: ["AugerScript", "BPF"]),
        .executableTarget(name: "count-getppid", dependencies: ["BPF"], path: "Examples/CountGetppid"),
        .executableTarget(name: "bench-frontend", dependencies: ["AugerScript"], path: "bench/FrontEnd"),
    ],
    swiftLanguageModes: [.v6]
)
