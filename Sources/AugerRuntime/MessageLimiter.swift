import AugerCompiler
import AugerScript

/// Keeps warnings and errors that programs send per event (a full map, a
/// division by zero, warnf in a busy probe) from flooding the terminal. Each
/// call site prints at most `burst` messages a second; the rest are counted,
/// their number printed with the next one shown and at exit. Printing is itself a
/// system call that may fire the probe again, so without this a busy probe
/// feeds itself.
final class MessageLimiter {
    struct Site {
        var windowStart: UInt64 = 0
        var inWindow = 0
        var printed = 0
        var suppressed = 0
        var total = 0
    }
    private(set) var sites: [Int: Site] = [:]
    let burst: Int
    /// Nanoseconds of one window.
    let interval: UInt64
    let clock: () -> UInt64

    init(burst: Int = 10, interval: UInt64 = 1_000_000_000, clock: @escaping () -> UInt64 = Session.monotonicNanoseconds) {
        self.burst = burst
        self.interval = interval
        self.clock = clock
    }

    /// Whether call `id`'s message is printed now; if not, it is counted.
    /// When it is, `suppressedBefore` says how many were held back since the last one.
    func admit(_ id: Int) -> (print: Bool, suppressedBefore: Int) {
        var site = sites[id, default: Site()]
        defer { sites[id] = site }
        site.total += 1
        let now = clock()
        if site.total == 1 || now &- site.windowStart >= interval {
            site.windowStart = now
            site.inWindow = 0
        }
        guard site.inWindow < burst else {
            site.suppressed += 1
            return (false, 0)
        }
        site.inWindow += 1
        site.printed += 1
        let held = site.suppressed
        site.suppressed = 0
        return (true, held)
    }

    /// The note after a message that stands for others not printed.
    static func heldBackNote(_ count: Int) -> String {
        "(\(count) more like this not shown since the last)\n"
    }

    /// At exit: how many of each call site's messages were not shown.
    func writeSummary(to err: OutputSink, source: SourceFile, calls: [FormattedCall]) {
        for (id, site) in sites.sorted(by: { $0.key < $1.key }) where site.total > site.printed && id < calls.count {
            let call = calls[id]
            let severity: Diagnostic.Severity = call.function == "errorf" ? .error : .warning
            let what = Diagnostic(severity, "this message came \(site.total) times; \(site.total - site.printed) were not shown", at: call.range)
            err.write(what.rendered(in: source) + "\n")
        }
        err.flush()
    }
}
