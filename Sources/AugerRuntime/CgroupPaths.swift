#if canImport(Glibc)
import Glibc
#endif

/// cgroup_path(id): where a cgroup id (its directory's inode) is, in every
/// cgroup2 hierarchy: `unified:/system.slice/x.service`, joined by `;`.
final class CgroupPaths: @unchecked Sendable {
    private var cache: [UInt64: String] = [:]

    func path(of id: UInt64) -> String {
        if let known = cache[id] { return known }
        let found = Self.cgroup2Mounts().compactMap { mount -> String? in
            let name = mount.split(separator: "/").last.map(String.init) ?? "cgroup"
            return Self.find(id, under: mount, relative: "").map { "\(name):\($0.isEmpty ? "/" : $0)" }
        }
        let text = found.joined(separator: ";")
        cache[id] = text
        return text
    }

    static func cgroup2Mounts() -> [String] {
        guard let text = try? readText("/proc/mounts") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            return f.count > 2 && f[2] == "cgroup2" ? String(f[1]) : nil
        }
    }

    /// Depth-first through the hierarchy for the directory with inode `id`.
    static func find(_ id: UInt64, under root: String, relative: String) -> String? {
        var st = stat()
        guard stat(root + relative, &st) == 0 else { return nil }
        if UInt64(st.st_ino) == id { return relative }
        guard let dir = opendir(root + relative) else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            if let hit = find(id, under: root, relative: relative + "/" + name) { return hit }
        }
        return nil
    }
}
