import CBPF

/// Type information the kernel reads with a program. Auger generates only
/// what the verifier requires: a FUNC for each BPF function, which programs
/// with callbacks (bpf_for_each_map_elem, bpf_loop) must describe.
public struct BTFBuilder: Sendable {
    private var types: [UInt8] = []
    private var strings: [UInt8] = [0]
    private var count: UInt32 = 0

    public init() {}

    static let kindFunc: UInt32 = 12
    static let kindFuncProto: UInt32 = 13

    private mutating func name(_ s: String) -> UInt32 {
        let off = UInt32(strings.count)
        strings += Array(s.utf8) + [0]
        return off
    }

    private mutating func type(nameOffset: UInt32, info: UInt32, sizeOrType: UInt32) -> UInt32 {
        types += rawBytes(of: nameOffset) + rawBytes(of: info) + rawBytes(of: sizeOrType)
        count += 1
        return count
    }

    /// A `void f(void)` function; returns its type id.
    public mutating func function(named functionName: String) -> UInt32 {
        let proto = type(nameOffset: 0, info: Self.kindFuncProto << 24, sizeOrType: 0)
        return type(nameOffset: name(functionName), info: Self.kindFunc << 24, sizeOrType: proto)
    }

    /// The BTF blob: header, types, strings.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out += rawBytes(of: UInt16(0xeB9F)) + [1, 0] + rawBytes(of: UInt32(24))
        out += rawBytes(of: UInt32(0)) + rawBytes(of: UInt32(types.count))
        out += rawBytes(of: UInt32(types.count)) + rawBytes(of: UInt32(strings.count))
        return out + types + strings
    }

    /// Loads the blob into the kernel.
    public func load() throws -> FileDescriptor {
        let blob = bytes
        var log = [UInt8](repeating: 0, count: 4096)
        var attr = bpf_attr()
        do {
            return try blob.withUnsafeBytes { b in
                try log.withUnsafeMutableBytes { l in
                    attr.btf = Sys.address(b.baseAddress)
                    attr.btf_size = UInt32(blob.count)
                    attr.btf_log_buf = Sys.address(l.baseAddress)
                    attr.btf_log_size = UInt32(l.count)
                    attr.btf_log_level = 1
                    return try Sys.bpfFD(BPF_BTF_LOAD, &attr, "load BTF for functions")
                }
            }
        } catch let e as BPFError {
            let text = String(decoding: log.prefix { $0 != 0 }, as: UTF8.self)
            throw BPFError(call: e.call, context: e.context, errno: e.errno, hint: text.isEmpty ? e.hint : text)
        }
    }
}
