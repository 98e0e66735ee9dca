import CBPF

/// Kinds of BPF map that Auger uses.
public enum MapType: UInt32, Sendable, CaseIterable {
    case hash = 1, array = 2, programArray = 3, perfEventArray = 4, percpuHash = 5, percpuArray = 6
    case stackTrace = 7, lruHash = 9, lruPercpuHash = 10, ringBuffer = 27

    /// Per-CPU maps hold one value for each possible CPU.
    public var isPerCPU: Bool { self == .percpuHash || self == .percpuArray || self == .lruPercpuHash }
    /// Array maps have every key from 0 up to max entries and cannot delete.
    public var isArray: Bool { self == .array || self == .percpuArray || self == .perfEventArray || self == .programArray }
}

/// Flags for map updates.
public struct UpdateFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Create or replace (the default).
    public static let any: UpdateFlags = []
    /// Create only: fail with EEXIST if the key is present.
    public static let noExist = UpdateFlags(rawValue: UInt64(BPF_NOEXIST))
    /// Replace only: fail with ENOENT if the key is absent.
    public static let exist = UpdateFlags(rawValue: UInt64(BPF_EXIST))
}

/// Flags given when a map is created.
public struct MapFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Entries allocated on update rather than up front (hash maps).
    public static let noPrealloc = MapFlags(rawValue: UInt32(BPF_F_NO_PREALLOC))
    /// Programs may read but not write.
    public static let readOnlyProgram = MapFlags(rawValue: UInt32(BPF_F_RDONLY_PROG))
}

/// A description of a map: a plain value, created in the kernel by `Map(spec)`.
public struct MapSpec: Hashable, Sendable {
    /// Shown by bpftool; the kernel keeps at most 15 characters of [A-Za-z0-9_.].
    public var name: String
    public var type: MapType
    public var keySize: UInt32
    public var valueSize: UInt32
    public var maxEntries: UInt32
    public var flags: MapFlags

    public init(name: String, type: MapType, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32, flags: MapFlags = []) {
        self.name = name
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
    }

    /// A ring buffer of `size` bytes (a power of two, multiple of the page size).
    public static func ringBuffer(name: String, size: UInt32) -> MapSpec {
        MapSpec(name: name, type: .ringBuffer, keySize: 0, valueSize: 0, maxEntries: size)
    }

}

/// A map or program name as the kernel accepts it: at most 15 characters of
/// [A-Za-z0-9_.]; others become `_`.
func kernelObjectName(_ name: String) -> String {
    String(String.UnicodeScalarView(name.unicodeScalars.prefix(15).map { c in
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == ".") ? c : "_"
    }))
}
