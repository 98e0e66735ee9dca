import CBPF

/// Type information the kernel reads with a program: a FUNC for each BPF
/// function (programs with callbacks must describe theirs), and the strings
/// line info points at — the script's file name and lines.
public struct BTFBuilder: Sendable {
    private var types: [UInt8] = []
    private var strings: [UInt8] = [0]
    private var stringOffsets: [String: UInt32] = ["": 0]
    private var count: UInt32 = 0

    public init() {}

    static let kindFunc: UInt32 = 12
    static let kindFuncProto: UInt32 = 13

    /// The offset of `s` in the string section, added once.
    public mutating func string(_ s: String) -> UInt32 {
        if let known = stringOffsets[s] { return known }
        let off = UInt32(strings.count)
        // The kernel reads strings up to NUL: one inside would cut the text short.
        strings += s.utf8.map { $0 == 0 ? UInt8(ascii: " ") : $0 } + [0]
        stringOffsets[s] = off
        return off
    }

    private mutating func type(nameOffset: UInt32, info: UInt32, sizeOrType: UInt32) -> UInt32 {
        types += rawBytes(of: nameOffset) + rawBytes(of: info) + rawBytes(of: sizeOrType)
        count += 1
        return count
    }

    /// A `void f(void)` function; returns its type id. The kernel takes only
    /// C identifiers as function names: other characters become `_`.
    public mutating func function(named functionName: String) -> UInt32 {
        if voidProto == 0 { voidProto = type(nameOffset: 0, info: Self.kindFuncProto << 24, sizeOrType: 0) }
        var identifier = String(String.UnicodeScalarView(functionName.unicodeScalars.map { c in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_") ? c : "_"
        }))
        if identifier.first.map({ !$0.isLetter && $0 != "_" }) ?? true { identifier = "_" + identifier }
        return type(nameOffset: string(identifier), info: Self.kindFunc << 24, sizeOrType: voidProto)
    }
    private var voidProto: UInt32 = 0

    /// The BTF blob: header, types, strings.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out += rawBytes(of: UInt16(0xeB9F)) + [1, 0] + rawBytes(of: UInt32(24))
        out += rawBytes(of: UInt32(0)) + rawBytes(of: UInt32(types.count))
        out += rawBytes(of: UInt32(types.count)) + rawBytes(of: UInt32(strings.count))
        return out + types + strings
    }

    /// Loads the blob into the kernel. Without a log first: at level 1 the
    /// kernel logs every type, and a log buffer too small fails the load.
    public func load() throws -> FileDescriptor {
        let blob = bytes
        do { return try Self.load(blob, logSize: 0) } catch let first as BPFError {
            var log = [UInt8](repeating: 0, count: 1 << 20)
            do { return try Self.load(blob, log: &log) } catch let e as BPFError {
                let text = String(decoding: log.prefix { $0 != 0 }, as: UTF8.self)
                throw BPFError(call: e.call, context: e.context, errno: first.errno, hint: text.isEmpty ? e.hint : text)
            }
        }
    }

    private static func load(_ blob: [UInt8], logSize: Int) throws -> FileDescriptor {
        var none: [UInt8] = []
        return try load(blob, log: &none)
    }

    private static func load(_ blob: [UInt8], log: inout [UInt8]) throws -> FileDescriptor {
        var attr = bpf_attr()
        return try blob.withUnsafeBytes { b in
            try log.withUnsafeMutableBytes { l in
                attr.btf = Sys.address(b.baseAddress)
                attr.btf_size = UInt32(blob.count)
                if l.count > 0 {
                    attr.btf_log_buf = Sys.address(l.baseAddress)
                    attr.btf_log_size = UInt32(l.count)
                    attr.btf_log_level = 1
                }
                return try Sys.bpfFD(BPF_BTF_LOAD, &attr, "load BTF for functions")
            }
        }
    }
}
