import BPF
#if canImport(Glibc)
import Glibc
#endif

/// Every Auger script running on the machine, found through the kernel's
/// BPF objects alone: `auger ps` and `auger source PID`.
public enum RunningSessions {
    struct Found {
        var record: SessionRecord
        /// The script's maps as they are now: name and bytes charged.
        var maps: [(name: String, bytes: Int?)]
    }

    /// Sessions whose process still runs: a map outlives its process while
    /// detached links are still being released, and is not listed then.
    static func all() throws -> [Found] {
        var found: [Found] = []
        for id in try LoadedObjects.mapIDs() {
            guard let map = try? Map.open(id: id), SessionRecord.isMapName(map.spec.name),
                  let record = SessionRecord.read(from: map),
                  SessionRecord.processStart(of: record.pid) == record.processStart else { continue }
            let maps = record.maps.map { m -> (String, Int?) in
                (m.name, (try? Map.open(id: m.id))??.memoryBytes)
            }
            found.append(Found(record: record, maps: maps))
        }
        return found.sorted { $0.record.pid < $1.record.pid }
    }

    /// `auger ps`: a header, then a line per session.
    public static func table() throws -> String {
        // Columns stay apart when a value is wider than its column.
        func cell(_ s: String, _ width: Int) -> String { s.padding(width - 1) + " " }
        var out = cell("PID", 8) + cell("STARTED", 20) + cell("PROBES", 7) + cell("SCRIPT", 30) + "MAPS\n"
        for f in try all() {
            let r = f.record
            let probes = r.probes.map(String.init) ?? "-"
            let maps = f.maps.map { "\($0.name) \($0.bytes.map(byteCount) ?? "?")" }.joined(separator: ", ")
            out += cell(String(r.pid), 8) + cell(localTime(r.startTime), 20) + cell(probes, 7)
                + cell(scriptName(r), 30) + (maps.isEmpty ? "-" : maps) + "\n"
        }
        return out
    }

    /// `auger source PID`: the text of that session's script, exactly as written.
    public static func source(pid: Int32) throws -> String? {
        try all().first { $0.record.pid == pid }?.record.text
    }

    /// The file and its parameters, or the first line of a program given with -e.
    static func scriptName(_ r: SessionRecord) -> String {
        var name = r.fileName
        if name == "stdin" {
            let first = r.text.split(separator: "\n").lazy.map { String($0.drop { $0 == " " || $0 == "\t" }) }.first { !$0.isEmpty } ?? ""
            name = "-e '" + (first.count > 40 ? String(first.prefix(37)) + "..." : first) + "'"
        }
        return ([name] + r.arguments).joined(separator: " ")
    }

    static func byteCount(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        var value = Double(n) / 1024
        for unit in ["KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" {
                let tenths = Int((value * 10).rounded())
                return "\(tenths / 10).\(tenths % 10) \(unit)"
            }
            value /= 1024
        }
        return "\(n) B"
    }

    static func localTime(_ seconds: UInt64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
