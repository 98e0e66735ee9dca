import ELF
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where a binary's DWARF lives: in the binary, or — for a stripped one —
/// in the separate file its `.gnu_debuglink` or build-id names (as GDB and
/// elfutils look for them: beside the binary, in its `.debug/`, under
/// /usr/lib/debug, and in the `--debuginfo` directories); split units'
/// entries in their `.dwo` files or the binary's `.dwp` package.
public enum DebugFiles {
    private static let extraDirectories = Mutex<[String]>([])
    private static let resolved = Mutex<[String: String?]>([:])

    /// `--debuginfo DIR` (repeatable): searched first. A relative one is
    /// relative to the binary's directory, as elfutils takes it.
    public static func setSearchDirectories(_ directories: [String]) {
        extraDirectories.withLock { $0 = directories }
        resolved.withLock { $0 = [:] }
    }

    /// `path`'s function symbols; a fully stripped file's from its debug file's .symtab.
    static func symbols(_ path: String) -> ELFSymbols? {
        guard let bytes = ELFSections.regularFileBytes(path) else { return nil }
        if let elf = ELFSections(bytes: bytes), !elf.sections.contains(where: { $0.type == 2 }),
           let file = debugFile(for: path), file != path {
            return ELFSymbols(bytes: bytes, debugFile: ELFSections.regularFileBytes(file))
        }
        return ELFSymbols(bytes: bytes)
    }

    /// The debugging sections of `path`'s DWARF, wherever they are; nil without any.
    static func sections(for path: String) -> DebugSections? {
        guard let file = debugFile(for: path) else { return nil }
        return ELFSections.regularFileBytes(file).flatMap(DebugSections.init(elf:))
    }

    /// The debugging entries of `path`, split units joined in.
    static func entries(for path: String) -> DWARFEntries? {
        guard let sections = sections(for: path), var entries = DWARFEntries(debug: sections) else { return nil }
        guard !entries.skeletons.isEmpty else { return entries }
        let package = ELFSections.regularFileBytes(path + ".dwp").flatMap(DebugSections.init(elf:))
        for skeleton in entries.skeletons {
            if let package, entries.addSplitUnit(skeleton, from: package) { continue }
            for candidate in dwoCandidates(skeleton, binary: path) {
                if let dwo = ELFSections.regularFileBytes(candidate).flatMap(DebugSections.init(elf:)), entries.addSplitUnit(skeleton, from: dwo) { break }
            }
        }
        return entries
    }

    static func dwoCandidates(_ skeleton: DWARFEntries.Skeleton, binary: String) -> [String] {
        let name = skeleton.dwoName, base = name.split(separator: "/").last.map(String.init) ?? name
        var candidates: [String] = []
        if name.hasPrefix("/") { candidates.append(name) } else if let dir = skeleton.compDir { candidates.append(dir + "/" + name) }
        if let dir = directory(of: binary) { candidates.append(dir + "/" + base) }
        candidates += searchDirectories(binary).map { $0 + "/" + base }
        return candidates
    }

    /// The file holding `path`'s .debug_info: itself when it has one, else a
    /// separate debug file whose build-id or CRC matches; remembered per path.
    static func debugFile(for path: String) -> String? {
        if let known = resolved.withLock({ $0[path] }) { return known }
        let found = findDebugFile(for: path)
        resolved.withLock { $0[path] = found }
        return found
    }

    private static func findDebugFile(for path: String) -> String? {
        guard let bytes = ELFSections.regularFileBytes(path), let elf = ELFSections(bytes: bytes) else { return nil }
        if elf.named(".debug_info") != nil || elf.named(".zdebug_info") != nil { return path }
        let buildID = ELFSections.buildID(bytes), link = ELFSections.debugLink(bytes)
        let roots = searchDirectories(path) + ["/usr/lib/debug"]
        if let buildID, buildID.count > 2 {
            let relative = ".build-id/\(buildID.prefix(2))/\(buildID.dropFirst(2)).debug"
            for root in roots {
                let candidate = root + "/" + relative
                guard let debug = ELFSections.regularFileBytes(candidate) else { continue }
                if ELFSections.buildID(debug) == buildID, hasDebugInfo(debug) { return candidate }
            }
        }
        guard let link, let dir = directory(of: path) else { return nil }
        var places = searchDirectories(path) + [dir, dir + "/.debug"]
        places.append("/usr/lib/debug" + (dir.hasPrefix("/") ? dir : "/" + dir))
        for place in places {
            let candidate = place + "/" + link.name
            guard candidate != path, let debug = ELFSections.regularFileBytes(candidate), hasDebugInfo(debug) else { continue }
            // A debug file from another build would give wrong arguments: its checksum must match.
            if ELFSections.crc32(debug) == link.crc { return candidate }
            let warning = Array("WARNING: \(candidate) is not the debug file of \(path) (its CRC does not match); ignored\n".utf8)
            _ = warning.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
        return nil
    }

    private static func hasDebugInfo(_ bytes: [UInt8]) -> Bool {
        guard let elf = ELFSections(bytes: bytes) else { return false }
        return elf.named(".debug_info") != nil || elf.named(".zdebug_info") != nil
    }

    /// The --debuginfo directories, relative ones taken from the binary's directory.
    private static func searchDirectories(_ binary: String) -> [String] {
        let dir = directory(of: binary) ?? "."
        return extraDirectories.withLock { $0 }.map { $0.hasPrefix("/") ? $0 : dir + "/" + $0 }
    }

    private static func directory(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
