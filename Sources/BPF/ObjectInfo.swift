import CBPF

/// What the kernel reports about a loaded map.
public struct MapInfo: Hashable, Sendable {
    public var id: UInt32
    public var name: String
    public var type: UInt32
}

/// What the kernel reports about a loaded program.
public struct ProgramInfo: Hashable, Sendable {
    public var id: UInt32
    public var name: String
    public var type: UInt32
}

extension Map {
    /// The kernel's id and name for this map.
    public func info() throws -> MapInfo {
        var info = bpf_map_info()
        try getInfo(fd, &info, "map \"\(spec.name)\"")
        return MapInfo(id: info.id, name: cString(info.name), type: info.type)
    }
}

extension Program {
    /// The kernel's id and name for this program.
    public func info() throws -> ProgramInfo {
        var info = bpf_prog_info()
        try getInfo(fd, &info, "program \"\(spec.name)\"")
        return ProgramInfo(id: info.id, name: cString(info.name), type: info.type)
    }
}

extension Map {
    /// The map with kernel id `id`, whoever created it; nil when it is gone.
    public static func open(id: UInt32) throws -> Map? {
        var attr = bpf_attr()
        attr.map_id = id
        guard let raw = try absentIsNil({ () throws -> Int32 in try Sys.bpf(BPF_MAP_GET_FD_BY_ID, &attr, "open map \(id)") }) else { return nil }
        let fd = FileDescriptor(owning: raw)
        var info = bpf_map_info()
        try getInfo(fd, &info, "map \(id)")
        // A kind Auger does not create is read as a plain array or hash.
        let type = MapType(rawValue: info.type) ?? (info.key_size == 4 ? .array : .hash)
        let spec = MapSpec(name: cString(info.name), type: type, keySize: info.key_size, valueSize: info.value_size,
                           maxEntries: info.max_entries, flags: MapFlags(rawValue: info.map_flags))
        return Map(fd: fd, spec: spec)
    }

    /// Bytes of memory the kernel charges for the map (its fdinfo's memlock).
    public var memoryBytes: Int? {
        guard let text = try? readFile("/proc/self/fdinfo/\(fd.rawValue)", limit: 1 << 16) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("memlock:") {
            return Int(String(line.dropFirst("memlock:".count).filter { !$0.isWhitespace }))
        }
        return nil
    }
}

/// Ids of every BPF object of one kind loaded in the kernel, by any process.
public enum LoadedObjects {
    public static func programIDs() throws -> [UInt32] { try ids(BPF_PROG_GET_NEXT_ID, "programs") }
    public static func mapIDs() throws -> [UInt32] { try ids(BPF_MAP_GET_NEXT_ID, "maps") }
    public static func linkIDs() throws -> [UInt32] { try ids(BPF_LINK_GET_NEXT_ID, "links") }

    static func ids(_ cmd: bpf_cmd, _ what: String) throws -> [UInt32] {
        var out: [UInt32] = []
        var attr = bpf_attr()
        while true {
            attr.start_id = out.last ?? 0
            if try absentIsNil({ () throws -> Int32 in try Sys.bpf(cmd, &attr, "list loaded \(what)") }) == nil { return out }
            out.append(attr.next_id)
        }
    }
}

/// The kernel's own BTF objects: vmlinux's and each loaded module's.
public enum KernelBTFObject {
    /// A descriptor for the BTF the kernel holds for `module`, which a
    /// tracing program at one of the module's functions names at load
    /// (`attach_btf_obj_fd`); nil when no loaded module has BTF of that name.
    public static func open(module: String) throws -> FileDescriptor? {
        for id in try LoadedObjects.ids(BPF_BTF_GET_NEXT_ID, "BTF objects") {
            var attr = bpf_attr()
            attr.btf_id = id
            // Gone since listed (a module unloaded): not this one.
            guard let raw = try absentIsNil({ () throws -> Int32 in try Sys.bpf(BPF_BTF_GET_FD_BY_ID, &attr, "open BTF object \(id)") }) else { continue }
            let fd = FileDescriptor(owning: raw)
            var name = [UInt8](repeating: 0, count: 64)
            var info = bpf_btf_info()
            try name.withUnsafeMutableBytes { buf in
                info.name = Sys.address(buf.baseAddress)
                info.name_len = UInt32(buf.count)
                try getInfo(fd, &info, "BTF object \(id)")
            }
            if info.kernel_btf != 0, String(decoding: name.prefix { $0 != 0 }, as: UTF8.self) == module { return fd }
            fd.close()
        }
        return nil
    }
}

func getInfo<T>(_ fd: FileDescriptor, _ info: inout T, _ what: String) throws {
    var attr = bpf_attr()
    try withUnsafeMutableBytes(of: &info) { buf in
        attr.info.bpf_fd = UInt32(fd.rawValue)
        attr.info.info_len = UInt32(buf.count)
        attr.info.info = Sys.address(buf.baseAddress)
        try Sys.bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, "read information about \(what)")
    }
}

func cString<T>(_ field: T) -> String {
    withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}
