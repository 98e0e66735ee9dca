#if canImport(Glibc)
import Glibc
#endif

/// The ELF file a uprobe's binary part names: where it is, and how probe
/// names show it (as written when the user gave a path, else where it was found).
struct UserBinary: Equatable {
    /// Absolute: what is opened and attached to.
    var path: String
    /// In `probe` and listings: `./testprogs/uprobe_test` stays as written.
    var shown: String
}

/// Finds uprobe binaries: paths (with wildcards), commands on PATH, and
/// libraries by short name (`libc`, `libc.so.6`) in a process's mappings
/// or the linker's directories.
enum UserBinaries {
    static func find(_ written: String, pid: Int32?) -> [UserBinary] {
        if Glob.isPattern(written) {
            if let pid {
                // `uprobe:*:f -p PID`: the files the process has mapped.
                return mapped(pid).filter { Glob.matches(written, $0.shown) || Glob.matches(written, basename($0.shown)) }
            }
            return expand(written).compactMap { shown in absolute(shown).map { UserBinary(path: $0, shown: shown) } }
        }
        if written.contains("/") {
            // A path in the -p process's own mount namespace (a container's) is read through its root.
            if let pid, written.hasPrefix("/") {
                let inside = "/proc/\(pid)/root" + written
                if isRegularFile(inside), !sameFile(written, inside) { return [UserBinary(path: inside, shown: written)] }
            }
            guard access(written, R_OK) == 0, let path = absolute(written) else { return [] }
            return [UserBinary(path: path, shown: written)]
        }
        if let library = library(written, pid: pid) { return [UserBinary(path: library, shown: library)] }
        let dirs = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        if let command = dirs.map({ "\($0)/\(written)" }).first(where: { access($0, X_OK) == 0 && isRegularFile($0) }) {
            return [UserBinary(path: command, shown: command)]
        }
        return []
    }

    /// A library by its file name or the part before `.so` (`libc`,
    /// `libc.so.6`); a `-p` process's own copy comes first.
    static func library(_ name: String, pid: Int32?) -> String? {
        func matches(_ file: String) -> Bool {
            let base = basename(file)
            return base == name || base.hasPrefix(name + ".so")
        }
        guard name.hasPrefix("lib") || name.contains(".so") else { return nil }
        if let pid, let mapped = mappedFiles(pid).first(where: matches) { return mapped }
        for dir in libraryDirectories() {
            let candidates = (directoryEntries(dir) ?? []).filter { matches($0) }.sorted { $0.count < $1.count }
            // `libc.so` is often a linker script: only ELF files count.
            if let found = candidates.map({ dir + "/" + $0 }).first(where: { isRegularFile($0) && isELF($0) }) { return found }
        }
        return nil
    }

    /// LD_LIBRARY_PATH, then the directories the dynamic linker searches here.
    static func libraryDirectories() -> [String] {
        var dirs = (getenv("LD_LIBRARY_PATH").map { String(cString: $0) } ?? "").split(separator: ":").map(String.init)
        for conf in (directoryEntries("/etc/ld.so.conf.d") ?? []).sorted() where conf.hasSuffix(".conf") {
            let text = (try? readText("/etc/ld.so.conf.d/" + conf)) ?? ""
            dirs += text.split(separator: "\n").map { String($0).trimmed(" \t") }.filter { $0.hasPrefix("/") }
        }
        dirs += ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
        var seen: Set<String> = []
        return dirs.filter { seen.insert($0).inserted }
    }

    /// The files a process has mapped executable, named as it names them and
    /// read through its root where that is not ours (another mount namespace).
    static func mapped(_ pid: Int32) -> [UserBinary] {
        mappedFiles(pid).map { p in
            let inside = "/proc/\(pid)/root" + p
            return UserBinary(path: sameFile(p, inside) || !isRegularFile(inside) ? p : inside, shown: p)
        }
    }

    /// Whether two paths name one file (the same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// The files a process has mapped executable (its binary and libraries), in map order.
    static func mappedFiles(_ pid: Int32) -> [String] {
        guard let text = try? readText("/proc/\(pid)/maps") else { return [] }
        var seen: Set<String> = []
        var out: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1].contains("x") else { continue }
            let path = String(fields[5].drop { $0 == " " })
            if path.hasPrefix("/"), !path.hasSuffix(" (deleted)"), seen.insert(path).inserted { out.append(path) }
        }
        return out
    }

    /// A path pattern's matches on disk, as written (relative stays relative), sorted.
    static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.filter(isRegularFile).sorted()
    }

    static func absolute(_ path: String) -> String? {
        if path.hasPrefix("/") { return path }
        var cwd = [CChar](repeating: 0, count: 4096)
        guard getcwd(&cwd, cwd.count) != nil else { return nil }
        return String(cString: cwd) + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func isELF(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: [UInt8] = [0, 0, 0, 0]
        return read(fd, &magic, 4) == 4 && magic == [0x7f, 0x45, 0x4c, 0x46]
    }

    static func basename(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }
}

extension String {
    /// Without the given characters at either end.
    func trimmed(_ set: String) -> String {
        let chars = Set(set)
        return String(drop { chars.contains($0) }.reversed().drop { chars.contains($0) }.reversed())
    }
}
