import XCTest
@testable import AugerRuntime

/// Warnings sent per event: a burst a second per call site, the rest counted.
final class MessageLimiterTests: XCTestCase {
    final class Clock: @unchecked Sendable { var now: UInt64 = 1 }

    func testABurstPerWindowThenCounts() {
        let clock = Clock()
        let limiter = MessageLimiter(burst: 3, interval: 1000, clock: { clock.now })
        XCTAssertEqual((0..<10).filter { _ in limiter.admit(7).print }.count, 3)
        XCTAssertEqual(limiter.sites[7]?.suppressed, 7)
        clock.now += 1000
        let next = limiter.admit(7)
        XCTAssertTrue(next.print)
        XCTAssertEqual(next.suppressedBefore, 7, "the next message shown says how many were held back")
        XCTAssertEqual(limiter.sites[7]?.total, 11)
        XCTAssertEqual(limiter.sites[7]?.printed, 4)
    }

    func testCallSitesAreLimitedSeparately() {
        let limiter = MessageLimiter(burst: 1, interval: 1000, clock: { 5 })
        XCTAssertTrue(limiter.admit(1).print)
        XCTAssertFalse(limiter.admit(1).print)
        XCTAssertTrue(limiter.admit(2).print)
    }
}
