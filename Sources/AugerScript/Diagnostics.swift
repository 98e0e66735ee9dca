/// One problem found in a script.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable { case error = "ERROR", warning = "WARNING" }
    public var severity: Severity
    public var message: String
    public var range: SourceRange

    public init(_ severity: Severity, _ message: String, at range: SourceRange) {
        self.severity = severity
        self.message = message
        self.range = range
    }

    /// bpftrace's form:
    ///
    ///     stdin:1:9-12: ERROR: message
    ///     begin { @=*uptr(kaddr("do_poweroff")) }
    ///             ~~~
    public func rendered(in source: SourceFile) -> String {
        let (line, column) = source.lineAndColumn(range.start)
        let (endLine, endColumn) = source.lineAndColumn(range.end)
        let text = source.line(line)
        let lineLength = text.utf8.count
        if endLine != line {
            let underline = String(repeating: " ", count: column - 1) + String(repeating: "~", count: max(1, lineLength - column + 1))
            return "\(source.name):\(line)-\(endLine): \(severity.rawValue): \(message)\n\(text)\n\(underline)"
        }
        let width = max(1, endColumn - column)
        let underline = String(repeating: " ", count: column - 1) + String(repeating: "~", count: width)
        return "\(source.name):\(line):\(column)-\(column + width): \(severity.rawValue): \(message)\n\(text)\n\(underline)"
    }
}

/// Collects diagnostics from every stage, so one run can report several.
public struct Diagnostics: Sendable {
    public internal(set) var all: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { all.filter { $0.severity == .error } }

    public mutating func error(_ message: String, at range: SourceRange) { all.append(Diagnostic(.error, message, at: range)) }
    public mutating func warning(_ message: String, at range: SourceRange) { all.append(Diagnostic(.warning, message, at: range)) }
    public mutating func append(contentsOf other: Diagnostics) { all += other.all }

    public func rendered(in source: SourceFile) -> String {
        all.map { $0.rendered(in: source) }.joined(separator: "\n")
    }
}
