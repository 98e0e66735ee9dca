import Foundation
import XCTest

/// The one rule for tests that need something this machine may lack (root
/// and BPF, a C compiler): elsewhere they skip and print why; under
/// CI=true they fail instead, since CI's machines have all of it.
public enum TestGate {
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Throws XCTSkip (after XCTFail under CI) when `reason` is not nil.
    /// `what` names the kind of test in the printed line (CI greps "SKIP kernel test").
    public static func require(_ reason: String?, what: String = "kernel test") throws {
        guard let reason else { return }
        if inCI {
            XCTFail("CI=true but \(reason)")
            throw XCTSkip("failed above")
        }
        print("SKIP \(what): \(reason)")
        throw XCTSkip(reason)
    }
}
