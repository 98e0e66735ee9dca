import BPF
#if canImport(Glibc)
import Glibc
#endif

/// A running script as the kernel keeps it: the text its user wrote, its
/// file name and parameters, who runs it and what it holds, in an array map
/// named for the session (`auger_PID`) that every program of it is bound to and
/// that is frozen once attached (programs cannot write it, nor anyone
/// else after that). `auger ps` and `auger source` read it back from any
/// process, without asking the one that runs it.
struct SessionRecord: Equatable {
    /// `auger_4242` for the session auger process 4242 runs (15 characters at most).
    static func mapName(pid: Int32) -> String { "auger_\(pid)" }
    static func isMapName(_ name: String) -> Bool {
        name.hasPrefix("auger_") && name.count > 6 && name.dropFirst(6).allSatisfy(\.isNumber)
    }
    static let magic = Array("AUGERSRC".utf8)
    static let version: UInt32 = 1
    /// The map's value size: the record is cut into pieces of this size.
    static let piece = 4096

    var pid: Int32
    /// When the process started, in clock ticks after boot (/proc/PID/stat's
    /// 22nd field): a later process given the same pid is not this session.
    var processStart: UInt64
    /// Seconds since the epoch when the script started.
    var startTime: UInt64
    /// Probes attached; nil while attaching.
    var probes: Int?
    var fileName: String
    var arguments: [String]
    var text: String
    /// The script's maps: kernel id and name as the script spells it (`@x`).
    var maps: [MapName]

    struct MapName: Equatable {
        var id: UInt32
        var name: String
    }

    /// magic, version, total length, pid, probes (UInt32.max: attaching),
    /// process start, start time, then length-prefixed strings: file name,
    /// text, the arguments, the maps (id and name).
    func encoded() -> [UInt8] {
        var body: [UInt8] = []
        func string(_ s: String) { body += rawBytes(of: UInt32(s.utf8.count)) + Array(s.utf8) }
        string(fileName)
        string(text)
        body += rawBytes(of: UInt32(arguments.count))
        arguments.forEach(string)
        body += rawBytes(of: UInt32(maps.count))
        for m in maps {
            body += rawBytes(of: m.id)
            string(m.name)
        }
        let header = Self.magic + rawBytes(of: Self.version) + rawBytes(of: UInt32(Self.headerSize + body.count))
            + rawBytes(of: pid) + rawBytes(of: UInt32(probes.map { UInt32(clamping: $0) } ?? .max))
            + rawBytes(of: processStart) + rawBytes(of: startTime)
        return header + body
    }

    static let headerSize = 40

    /// The record's total length, from its first piece.
    static func length(_ first: [UInt8]) -> Int? {
        guard first.count >= headerSize, Array(first.prefix(8)) == magic else { return nil }
        var reader = ByteReader(first, at: 8)
        guard reader.u32() == version, let total = reader.u32() else { return nil }
        return Int(total)
    }

    init(pid: Int32, processStart: UInt64, startTime: UInt64, probes: Int?, fileName: String, arguments: [String], text: String, maps: [MapName]) {
        self.pid = pid
        self.processStart = processStart
        self.startTime = startTime
        self.probes = probes
        self.fileName = fileName
        self.arguments = arguments
        self.text = text
        self.maps = maps
    }

    /// Parses a whole record; nil when it is not one (another program's map of that name).
    init?(decoding bytes: [UInt8]) {
        guard let total = Self.length(bytes), total <= bytes.count else { return nil }
        var r = ByteReader(Array(bytes.prefix(total)), at: 16)
        guard let pid = r.u32(), let probes = r.u32(), let processStart = r.u64(), let startTime = r.u64(),
              let fileName = r.string(), let text = r.string(), let argumentCount = r.u32() else { return nil }
        var arguments: [String] = []
        for _ in 0..<min(argumentCount, 1 << 16) {
            guard let a = r.string() else { return nil }
            arguments.append(a)
        }
        guard let mapCount = r.u32() else { return nil }
        var maps: [MapName] = []
        for _ in 0..<min(mapCount, 1 << 16) {
            guard let id = r.u32(), let name = r.string() else { return nil }
            maps.append(MapName(id: id, name: name))
        }
        self.init(pid: Int32(bitPattern: pid), processStart: processStart, startTime: startTime,
                  probes: probes == .max ? nil : Int(probes), fileName: fileName, arguments: arguments, text: text, maps: maps)
    }

    // MARK: In the kernel

    /// Creates the record's map and writes it (programs may only read it).
    func create() throws -> Map {
        let bytes = encoded()
        let pieces = (bytes.count + Self.piece - 1) / Self.piece
        let map = try Map(MapSpec(name: Self.mapName(pid: pid), type: .array, keySize: 4, valueSize: UInt32(Self.piece),
                                  maxEntries: UInt32(pieces), flags: .readOnlyProgram))
        try Self.write(bytes, to: map)
        return map
    }

    func write(to map: Map) throws { try Self.write(encoded(), to: map) }

    private static func write(_ bytes: [UInt8], to map: Map) throws {
        for i in 0..<Int(map.spec.maxEntries) {
            var piece = Array(bytes.dropFirst(i * Self.piece).prefix(Self.piece))
            piece += [UInt8](repeating: 0, count: Self.piece - piece.count)
            try map.update(key: rawBytes(of: UInt32(i)), value: piece)
        }
    }

    /// Reads the record from a map of that name; nil when it holds none.
    static func read(from map: Map) -> SessionRecord? {
        guard isMapName(map.spec.name), map.spec.type == .array, map.spec.valueSize == UInt32(piece),
              let first = try? map.lookup(key: rawBytes(of: UInt32(0))), let total = length(first),
              total <= Int(map.spec.maxEntries) * piece else { return nil }
        var bytes = first
        var i: UInt32 = 1
        while bytes.count < total {
            guard let next = try? map.lookup(key: rawBytes(of: i)) else { return nil }
            bytes += next
            i += 1
        }
        return SessionRecord(decoding: bytes)
    }

    /// When `pid` started, in clock ticks after boot; nil when there is no such process.
    static func processStart(of pid: Int32) -> UInt64? {
        // starttime is field 22 of the file, the 20th after "pid (comm)".
        ProcessStat.fields(of: pid).flatMap { $0.count > 19 ? UInt64($0[19]) : nil }
    }
}

/// /proc/PID/stat, read where the kernel's own words are needed (start time, state).
enum ProcessStat {
    /// The fields after "pid (comm)": state first. The name may hold spaces
    /// and parentheses, so they start after the last ')'.
    static func fields(of pid: Int32) -> [Substring]? {
        guard let stat = try? readFile("/proc/\(pid)/stat", limit: 1 << 16), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}

/// Reads little-endian fields and length-prefixed strings, never past the end.
struct ByteReader {
    let bytes: [UInt8]
    var at: Int

    init(_ bytes: [UInt8], at: Int = 0) {
        self.bytes = bytes
        self.at = at
    }

    mutating func u32() -> UInt32? {
        guard at >= 0, at + 4 <= bytes.count else { return nil }
        defer { at += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    mutating func u64() -> UInt64? {
        guard let low = u32(), let high = u32() else { return nil }
        return UInt64(high) << 32 | UInt64(low)
    }

    mutating func string() -> String? {
        guard let n = u32(), Int(n) <= bytes.count - at else { return nil }
        defer { at += Int(n) }
        return String(decoding: bytes[at..<at + Int(n)], as: UTF8.self)
    }
}
