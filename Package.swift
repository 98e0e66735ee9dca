// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Auger",
    products: [
        .library(name: "BPF", targets: ["BPF"]),
        .library(name: "AugerScript", targets: ["AugerScript"]),
    ],
    targets: [
        .target(name: "CBPF"),
        .target(name: "BPF", dependencies: ["CBPF"]),
        .testTarget(name: "BPFTests", dependencies: ["BPF"]),
        .target(name: "AugerScript"),
        .testTarget(name: "AugerScriptTests", dependencies: ["AugerScript"]),
        .executableTarget(name: "count-getppid", dependencies: ["BPF"], path: "Examples/CountGetppid"),
        .executableTarget(name: "bench-frontend", dependencies: ["AugerScript"], path: "bench/FrontEnd"),
    ],
    swiftLanguageModes: [.v6]
)
