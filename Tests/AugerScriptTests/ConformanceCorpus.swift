import Foundation

/// The PROG scripts of bpftrace's runtime tests (../shared/conformance),
/// as parser test input.
enum ConformanceCorpus {
    struct Entry {
        var file: String
        var name: String
        var program: String
        /// The test expects bpftrace to fail (the script may be invalid on purpose).
        var willFail: Bool
        /// The test runs only on other architectures (its ARCH line).
        var otherArchitecture = false

        /// A program bpftrace accepts on this machine's architecture.
        var isValid: Bool { !willFail && !otherArchitecture }
    }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance/bpftrace-runtime")
    }

    static func load() -> [Entry]? {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return nil }
        var entries: [Entry] = []
        for file in files.sorted() {
            var isDir: ObjCBool = false
            let path = directory.appendingPathComponent(file).path
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue, file != "LICENSE",
                  let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            entries += parse(text, file: file)
        }
        return entries
    }

    /// Reads stanzas: `NAME` starts one; a directive's value continues on
    /// lines indented to the value's column.
    static func parse(_ text: String, file: String) -> [Entry] {
        var entries: [Entry] = []
        var current: Entry?
        var lastDirective = ""
        var valueColumn = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("#") { continue }
            if !line.isEmpty, line.first == " ", valueColumn > 0, line.prefix(valueColumn).allSatisfy({ $0 == " " }) {
                if lastDirective == "PROG" { current?.program += "\n" + line.dropFirst(valueColumn) }
                continue
            }
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard let directive = parts.first else { valueColumn = 0; continue }
            let value = parts.count > 1 ? parts[1] : ""
            lastDirective = directive
            valueColumn = directive.count + 1
            switch directive {
            case "NAME":
                if let c = current, !c.program.isEmpty { entries.append(c) }
                current = Entry(file: file, name: value, program: "", willFail: false)
            case "PROG": current?.program = value
            case "WILL_FAIL": current?.willFail = true
            case "ARCH": current?.otherArchitecture = !value.split(separator: "|").contains("x86_64") && !value.hasPrefix("!")
            default: break
            }
        }
        if let c = current, !c.program.isEmpty { entries.append(c) }
        return entries
    }
}
