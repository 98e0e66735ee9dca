import BPF
import Demangle
import ELF
#if canImport(Glibc)
import Glibc
#endif

/// Names for user-space addresses: a process's mappings from /proc/PID/maps,
/// then the function symbols of the mapped ELF file (.symtab, else .dynsym).
/// Files and processes are read once and cached.
final class UserSymbols: @unchecked Sendable {
    struct Mapping {
        var start: UInt64, end: UInt64, offset: UInt64
        var path: String
    }
    private var processes: [Int32: [Mapping]] = [:]
    private var files: [String: ELFSymbols?] = [:]
    /// `cpp_demangle`: C++ and Rust names as their source spells them.
    var demangle = true
    private var demangled: [String: String] = [:]

    /// `name+offset`, or nil when the process, file or symbol is unknown.
    func symbolize(pid: Int32, _ address: UInt64) -> String? {
        function(pid: pid, address).map { "\($0.name)+\($0.offset)" }
    }

    /// The function an address of a process is in, and how far into it.
    func function(pid: Int32, _ address: UInt64) -> (name: String, offset: UInt64)? {
        guard let mapping = mappings(pid).first(where: { $0.start <= address && address < $0.end }) else { return nil }
        let fileOffset = address - mapping.start + mapping.offset
        // The file as we see it, else through /proc/PID/root (another mount
        // namespace), which lasts only as long as the process.
        let path = mapping.path
        if files[path] == nil {
            let found = DebugFiles.symbols(path) ?? DebugFiles.symbols("/proc/\(pid)/root" + path)
            files[path] = .some(found)
        }
        guard let elf = files[path] ?? nil, let (name, start) = elf.symbol(atFileOffset: fileOffset) else { return nil }
        guard demangle, name.hasPrefix("_Z") || name.hasPrefix("_R") else { return (name, start) }
        if let known = demangled[name] { return (known, start) }
        let readable = Demangler.demangle(name)?.full ?? name
        demangled[name] = readable
        return (readable, start)
    }

    /// The source file and line an address of a process comes from (its
    /// file's DWARF line table), as `@file.c:LINE` for bpftrace's stack mode.
    func sourceLocation(pid: Int32, _ address: UInt64) -> String? {
        guard let m = mapping(pid: pid, address) else { return nil }
        let path = ELFSections.regularFileBytes(m.path) != nil ? m.path : "/proc/\(pid)/root" + m.path
        guard let lines = UserDebugInfo.lines(path), let sections = sectionsOf(path),
              let elfAddress = sections.address(ofFileOffset: address - m.start + m.offset),
              let (file, line) = lines.location(of: elfAddress), !file.isEmpty else { return nil }
        return "@\(file):\(line)"
    }

    private var sections: [String: ELFSections?] = [:]
    private func sectionsOf(_ path: String) -> ELFSections? {
        if sections[path] == nil { sections[path] = ELFSections.of(path: path) }
        return sections[path] ?? nil
    }

    /// The mapping (file) an address of a process is in.
    func mapping(pid: Int32, _ address: UInt64) -> Mapping? {
        mappings(pid).first { $0.start <= address && address < $0.end }
    }

    private var buildIDs: [String: String?] = [:]

    /// The GNU build-id of the file an address is in, and the address's offset in that file.
    func buildIDLocation(pid: Int32, _ address: UInt64) -> (String, UInt64)? {
        guard let m = mapping(pid: pid, address) else { return nil }
        if buildIDs[m.path] == nil {
            buildIDs[m.path] = (ELFSections.regularFileBytes(m.path) ?? ELFSections.regularFileBytes("/proc/\(pid)/root" + m.path)).flatMap(ELFSections.buildID)
        }
        guard let id = buildIDs[m.path] ?? nil else { return nil }
        return (id, address - m.start + m.offset)
    }

    /// Mappings the kernel reported as the process made them (MmapRecords):
    /// they name its addresses even after it has exited.
    func record(_ reported: [MmapRecords.Mapping]) {
        for m in reported where m.path.hasPrefix("/") {
            var list = processes[m.pid] ?? readMappings(m.pid)
            let mapping = Mapping(start: m.start, end: m.start + m.length, offset: m.offset, path: m.path)
            list.removeAll { $0.start < mapping.end && mapping.start < $0.end }
            list.append(mapping)
            processes[m.pid] = list
        }
    }

    /// Re-reads a process's mappings now, while it lives: its stacks are
    /// printed at exit, perhaps after it has gone (-c, -p).
    func remember(pid: Int32) {
        let fresh = readMappings(pid)
        if !fresh.isEmpty { processes[pid] = fresh }
    }

    func mappings(_ pid: Int32) -> [Mapping] {
        if let known = processes[pid] { return known }
        let list = readMappings(pid)
        processes[pid] = list
        return list
    }

    func readMappings(_ pid: Int32) -> [Mapping] {
        var list: [Mapping] = []
        if let text = try? readText("/proc/\(pid)/maps") {
            for line in text.split(separator: "\n") {
                // start-end perms offset dev inode path
                let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                guard fields.count == 6, fields[1].contains("x") else { continue }
                let path = String(fields[5].drop { $0 == " " })
                guard path.hasPrefix("/") else { continue }
                let range = fields[0].split(separator: "-")
                guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
                      let offset = UInt64(fields[2], radix: 16) else { continue }
                list.append(Mapping(start: start, end: end, offset: offset, path: path))
            }
        }
        return list
    }
}
