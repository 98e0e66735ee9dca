import CBPF

/// A map in the kernel, owned by this value: the map lives until the last
/// descriptor to it closes (this one, and any program that uses it).
public final class Map: Sendable {
    public let spec: MapSpec
    public let fd: FileDescriptor

    /// Creates the map described by `spec`.
    public init(_ spec: MapSpec) throws {
        var attr = bpf_attr()
        attr.map_type = spec.type.rawValue
        attr.key_size = spec.keySize
        attr.value_size = spec.valueSize
        attr.max_entries = spec.maxEntries
        attr.map_flags = spec.flags.rawValue
        Sys.setName(&attr.map_name, kernelObjectName(spec.name))
        self.spec = spec
        self.fd = try Sys.bpfFD(BPF_MAP_CREATE, &attr, "create \(spec.type) map \"\(spec.name)\"")
    }

    /// A map someone else created, opened by id.
    init(fd: FileDescriptor, spec: MapSpec) {
        self.spec = spec
        self.fd = fd
    }

    /// Bytes of one value as user space reads and writes it: for per-CPU maps,
    /// one 8-byte-aligned slot for every possible CPU.
    public var valueBufferSize: Int {
        spec.type.isPerCPU ? perCPUStride * CPU.possibleCount : Int(spec.valueSize)
    }
    var perCPUStride: Int { (Int(spec.valueSize) + 7) & ~7 }

    // MARK: Elements

    /// The value stored under `key`, or nil if there is none. For per-CPU maps
    /// this is every CPU's slot in turn; see `lookupPerCPU`.
    public func lookup(key: [UInt8]) throws -> [UInt8]? {
        try checkKey(key)
        var value = [UInt8](repeating: 0, count: valueBufferSize)
        let found = try key.withUnsafeBytes { k in
            try value.withUnsafeMutableBytes { v in
                var attr = bpf_attr()
                attr.map_fd = UInt32(fd.rawValue)
                attr.key = Sys.address(k.baseAddress)
                attr.value = Sys.address(v.baseAddress)
                return try absentIsNil { () throws -> Int32 in try Sys.bpf(BPF_MAP_LOOKUP_ELEM, &attr, "look up a key in map \"\(spec.name)\"") }
            }
        }
        return found == nil ? nil : value
    }

    /// A per-CPU map's value for `key`, one array per possible CPU.
    public func lookupPerCPU(key: [UInt8]) throws -> [[UInt8]]? {
        guard let all = try lookup(key: key) else { return nil }
        return splitPerCPU(all[...])
    }

    /// Splits a per-CPU value buffer into one value per possible CPU.
    public func splitPerCPU(_ all: ArraySlice<UInt8>) -> [[UInt8]] {
        (0..<CPU.possibleCount).map { cpu in
            let start = all.startIndex + cpu * perCPUStride
            return Array(all[start..<start + Int(spec.valueSize)])
        }
    }

    /// Stores `value` under `key`. Per-CPU maps take `valueBufferSize` bytes.
    public func update(key: [UInt8], value: [UInt8], flags: UpdateFlags = .any) throws {
        try checkKey(key)
        guard value.count == valueBufferSize else {
            throw BPFError(call: "BPF_MAP_UPDATE_ELEM", context: "update map \"\(spec.name)\"", errno: .invalidArgument,
                           hint: "The value has \(value.count) bytes; this map's values have \(valueBufferSize)")
        }
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                var attr = bpf_attr()
                attr.map_fd = UInt32(fd.rawValue)
                attr.key = Sys.address(k.baseAddress)
                attr.value = Sys.address(v.baseAddress)
                attr.flags = flags.rawValue
                try Sys.bpf(BPF_MAP_UPDATE_ELEM, &attr, "update map \"\(spec.name)\"")
            }
        }
    }

    /// Removes `key`; returns false if it was not there.
    @discardableResult
    public func delete(key: [UInt8]) throws -> Bool {
        try checkKey(key)
        return try key.withUnsafeBytes { k in
            var attr = bpf_attr()
            attr.map_fd = UInt32(fd.rawValue)
            attr.key = Sys.address(k.baseAddress)
            return try absentIsNil { () throws -> Int32 in try Sys.bpf(BPF_MAP_DELETE_ELEM, &attr, "delete from map \"\(spec.name)\"") } != nil
        }
    }

    /// The key after `key` in the kernel's order, the first key when `key` is
    /// nil, or nil at the end.
    public func nextKey(after key: [UInt8]?) throws -> [UInt8]? {
        var next = [UInt8](repeating: 0, count: Int(spec.keySize))
        let found = try next.withUnsafeMutableBytes { n in
            var attr = bpf_attr()
            attr.map_fd = UInt32(fd.rawValue)
            attr.next_key = Sys.address(n.baseAddress)
            if let key {
                return try key.withUnsafeBytes { k in
                    attr.key = Sys.address(k.baseAddress)
                    return try absentIsNil { () throws -> Int32 in try Sys.bpf(BPF_MAP_GET_NEXT_KEY, &attr, "iterate map \"\(spec.name)\"") }
                }
            }
            return try absentIsNil { () throws -> Int32 in try Sys.bpf(BPF_MAP_GET_NEXT_KEY, &attr, "iterate map \"\(spec.name)\"") }
        }
        return found == nil ? nil : next
    }

    /// Every key, by next-key iteration.
    public func keys() throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var key: [UInt8]? = nil
        while let next = try nextKey(after: key) {
            out.append(next)
            key = next
        }
        return out
    }

    /// Makes the map read-only for user space from now on.
    public func freeze() throws {
        var attr = bpf_attr()
        attr.map_fd = UInt32(fd.rawValue)
        try Sys.bpf(BPF_MAP_FREEZE, &attr, "freeze map \"\(spec.name)\"")
    }

    private func checkKey(_ key: [UInt8]) throws {
        guard key.count == Int(spec.keySize) else {
            throw BPFError(call: "bpf", context: "use map \"\(spec.name)\"", errno: .invalidArgument,
                           hint: "The key has \(key.count) bytes; this map's keys have \(spec.keySize)")
        }
    }
}

/// Runs a map command; ENOENT (no such key, or end of iteration) becomes nil.
func absentIsNil(_ body: () throws -> Int32) throws -> Int32? {
    do { return try body() } catch let e as BPFError where e.errno == .noEntry { return nil }
}

// MARK: - Typed access

extension Map {
    /// The value under `key` read as `V`, for fixed-layout types such as
    /// `UInt64` or tuples of integers.
    public func lookup<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, as: V.Type = V.self) throws -> V? {
        guard let bytes = try lookup(key: rawBytes(of: key)) else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: V.self) }
    }

    public func update<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, _ value: V, flags: UpdateFlags = .any) throws {
        try update(key: rawBytes(of: key), value: rawBytes(of: value), flags: flags)
    }

    /// Each CPU's value under `key`, read as `V`.
    public func lookupPerCPU<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, as: V.Type = V.self) throws -> [V]? {
        try lookupPerCPU(key: rawBytes(of: key))?.map { $0.withUnsafeBytes { $0.loadUnaligned(as: V.self) } }
    }
}

/// The in-memory bytes of a plain value.
public func rawBytes<T: BitwiseCopyable>(of value: T) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
}
