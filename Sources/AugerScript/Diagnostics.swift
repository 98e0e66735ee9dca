/// One problem found in a script.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable { case error = "ERROR", warning = "WARNING" }
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    /// What to do about it, printed after the source line as `HINT: …`.
    public var hint: String?

    public init(_ severity: Severity, _ message: String, at range: SourceRange, hint: String? = nil) {
        self.severity = severity
        self.message = message
        self.range = range
        self.hint = hint
    }

    /// bpftrace's form:
    ///
    ///     stdin:1:9-12: ERROR: message
    ///     begin { @=*uptr(kaddr("do_poweroff")) }
    ///             ~~~
    public func rendered(in source: SourceFile) -> String {
        located(in: source) + (hint.map { "\nHINT: \($0)" } ?? "")
    }

    private func located(in source: SourceFile) -> String {
        let (line, column) = source.lineAndColumn(range.start)
        let (endLine, endColumn) = source.lineAndColumn(range.end)
        let text = source.line(line)
        let lineLength = text.utf8.count
        if endLine != line {
            let underline = String(repeating: " ", count: column - 1) + String(repeating: "~", count: max(1, lineLength - column + 1))
            return "\(source.name):\(line)-\(endLine): \(severity.rawValue): \(message)\n\(text)\n\(underline)"
        }
        let width = max(1, endColumn - column)
        let (shown, at, marked) = Self.window(text, column: column, width: width)
        let underline = String(repeating: " ", count: at - 1) + String(repeating: "~", count: marked)
        return "\(source.name):\(line):\(column)-\(column + width): \(severity.rawValue): \(message)\n\(shown)\n\(underline)"
    }

    /// Lines longer than this are echoed around the error's place only.
    static let echoWidth = 200

    /// The part of a long line worth echoing: the text, where the underline
    /// starts in it, and how wide the underline is.
    static func window(_ text: String, column: Int, width: Int) -> (String, Int, Int) {
        let bytes = Array(text.utf8)
        guard bytes.count > echoWidth else { return (text, column, width) }
        let start = max(0, min(column - 1 - 40, bytes.count - echoWidth))
        let end = min(bytes.count, start + echoWidth)
        let prefix = start > 0 ? "..." : ""
        let shown = prefix + String(decoding: bytes[start..<end], as: UTF8.self) + (end < bytes.count ? "..." : "")
        let at = column - start + prefix.count
        return (shown, at, max(1, min(width, end - (column - 1))))
    }
}

/// Collects diagnostics from every stage, so one run can report several.
public struct Diagnostics: Sendable {
    public internal(set) var all: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { all.filter { $0.severity == .error } }

    /// Past this many, a script's further errors are not collected: one
    /// broken construct can otherwise report itself thousands of times.
    public static let maxErrors = 100
    /// How many errors are printed; the rest are counted.
    public static let shownErrors = 20

    public mutating func error(_ message: String, at range: SourceRange, hint: String? = nil) {
        if all.count < Self.maxErrors { all.append(Diagnostic(.error, message, at: range, hint: hint)) }
    }
    public mutating func warning(_ message: String, at range: SourceRange) { all.append(Diagnostic(.warning, message, at: range)) }
    public mutating func append(contentsOf other: Diagnostics) { all += other.all }

    public func rendered(in source: SourceFile) -> String {
        var text = all.prefix(Self.shownErrors).map { $0.rendered(in: source) }.joined(separator: "\n")
        if all.count > Self.shownErrors {
            let more = all.count - Self.shownErrors
            text += "\n... and \(more)\(all.count >= Self.maxErrors ? " or more" : "") further diagnostic\(more == 1 ? "" : "s") not shown"
        }
        return text
    }
}
