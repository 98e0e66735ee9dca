import XCTest
import BPF
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Base for tests that load programs into the running kernel. They need root
/// and BPF; elsewhere they are skipped with the reason, except when CI=true,
/// where a missing facility fails the test instead. Every test must close
/// every descriptor it opened.
class KernelTestCase: XCTestCase {
    private var fdsBefore: Set<String> = []

    /// Why kernel tests cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        if geteuid() != 0 { return "kernel tests need root (CAP_BPF and CAP_PERFMON)" }
        do {
            _ = try Map(MapSpec(name: "probe", type: .array, keySize: 4, valueSize: 4, maxEntries: 1))
        } catch {
            return "this kernel refuses BPF maps: \(error)"
        }
        return nil
    }()

    override func setUpWithError() throws {
        try super.setUpWithError()
        try TestGate.require(Self.unavailableReason)
        fdsBefore = Self.openFDs()
    }

    override func tearDownWithError() throws {
        if Self.unavailableReason == nil {
            let leaked = Self.openFDs().subtracting(fdsBefore)
            XCTAssertEqual(leaked, [], "descriptors left open: \(leaked.sorted().map { Self.describeFD($0) })")
        }
        try super.tearDownWithError()
    }

    static func openFDs() -> Set<String> {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map(Set.init) ?? []
    }

    static func describeFD(_ fd: String) -> String {
        "\(fd) → " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "?")
    }

    /// This process's pid as BPF sees it: the upper half of pid_tgid.
    var pid: Int32 { getpid() }

    /// Makes exactly `n` getppid system calls.
    func callGetppid(_ n: Int) {
        for _ in 0..<n { _ = getppid() }
    }

    /// The getppid system call's number, as raw tracepoints see it.
    #if arch(x86_64)
    static let getppidNumber: Int32 = 110
    #elseif arch(arm64)
    static let getppidNumber: Int32 = 173
    #endif
}
