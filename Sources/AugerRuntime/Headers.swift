import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// The integer constants (`#define NAME VALUE`) of the C headers a script
/// includes, followed through the headers' own includes. Conditionals are
/// not evaluated: every definition counts, the first of a name wins.
struct Headers {
    var searchPath: [String]

    /// -I directories first, then the system's.
    init(includeDirectories: [String]) {
        let arch = KernelIdentity.current.architecture
        searchPath = includeDirectories + ["/usr/local/include", "/usr/include/\(arch)-linux-gnu", "/usr/include"]
    }

    struct Missing: Error { let path: String; let index: Int }

    static let maxHeaderSize = 16 << 20

    /// The constants of `includes` (paths as written in `#include <…>`);
    /// a top-level header that cannot be found is an error.
    func defines(_ includes: [String]) throws(Missing) -> [String: Int64] {
        var found: [String: Int64] = [:]
        var visited: Set<String> = []
        for (i, path) in includes.enumerated() {
            guard let file = locate(path, from: nil) else { throw Missing(path: path, index: i) }
            read(file, &found, &visited)
        }
        return found
    }

    func locate(_ path: String, from directory: String?) -> String? {
        if path.hasPrefix("/") { return access(path, R_OK) == 0 ? path : nil }
        for dir in (directory.map { [$0] } ?? []) + searchPath {
            let candidate = dir + "/" + path
            if access(candidate, R_OK) == 0 { return candidate }
        }
        return nil
    }

    func read(_ file: String, _ found: inout [String: Int64], _ visited: inout Set<String>) {
        // Only regular files of a header's size: a path may name a FIFO or /dev/zero.
        var st = stat()
        guard visited.count < 500, visited.insert(file).inserted, stat(file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
              let text = try? readFile(file, limit: Self.maxHeaderSize) else { return }
        let directory = String(file[..<(file.lastIndex(of: "/") ?? file.startIndex)])
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // Join lines continued with a backslash.
            if raw.hasSuffix("\\") { pending += raw.dropLast() + " "; continue }
            let line = pending + raw
            pending = ""
            guard line.contains("#") else { continue }
            if let (path, _) = CPreprocessor.include(line), let next = locate(path, from: directory) {
                read(next, &found, &visited)
            } else if let (name, value) = CPreprocessor.define(line, known: found), found[name] == nil {
                found[name] = value
            }
        }
    }
}
