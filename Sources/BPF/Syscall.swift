import CBPF
#if canImport(Glibc)
import Glibc
#endif

/// The one place where Auger enters the bpf(2) system call.
enum Sys {
    static let attrSize = UInt32(MemoryLayout<bpf_attr>.size)

    /// Runs a bpf(2) command, retrying on EINTR and (for loads) EAGAIN as the
    /// kernel asks. Returns the non-negative result or throws `BPFError`.
    @discardableResult
    static func bpf(_ cmd: bpf_cmd, _ attr: inout bpf_attr, _ context: @autoclosure () -> String) throws -> Int32 {
        while true {
            let r = cbpf_bpf(Int32(cmd.rawValue), &attr, attrSize)
            if r >= 0 { return r }
            let e = Errno.current
            if e == .interrupted { continue }
            if e == .tryAgain && cmd == BPF_PROG_LOAD { continue }
            throw BPFError(call: name(of: cmd), context: context(), errno: e)
        }
    }

    /// Like `bpf`, but returns the result as an owned descriptor.
    static func bpfFD(_ cmd: bpf_cmd, _ attr: inout bpf_attr, _ context: @autoclosure () -> String) throws -> FileDescriptor {
        FileDescriptor(owning: try bpf(cmd, &attr, context()))
    }

    static func name(of cmd: bpf_cmd) -> String {
        switch cmd {
        case BPF_MAP_CREATE: "BPF_MAP_CREATE"
        case BPF_MAP_LOOKUP_ELEM: "BPF_MAP_LOOKUP_ELEM"
        case BPF_MAP_UPDATE_ELEM: "BPF_MAP_UPDATE_ELEM"
        case BPF_MAP_DELETE_ELEM: "BPF_MAP_DELETE_ELEM"
        case BPF_MAP_GET_NEXT_KEY: "BPF_MAP_GET_NEXT_KEY"
        case BPF_MAP_LOOKUP_BATCH: "BPF_MAP_LOOKUP_BATCH"
        case BPF_MAP_FREEZE: "BPF_MAP_FREEZE"
        case BPF_PROG_LOAD: "BPF_PROG_LOAD"
        case BPF_PROG_TEST_RUN: "BPF_PROG_TEST_RUN"
        case BPF_RAW_TRACEPOINT_OPEN: "BPF_RAW_TRACEPOINT_OPEN"
        case BPF_LINK_CREATE: "BPF_LINK_CREATE"
        case BPF_ITER_CREATE: "BPF_ITER_CREATE"
        case BPF_OBJ_GET_INFO_BY_FD: "BPF_OBJ_GET_INFO_BY_FD"
        case BPF_BTF_LOAD: "BPF_BTF_LOAD"
        case BPF_PROG_GET_NEXT_ID: "BPF_PROG_GET_NEXT_ID"
        case BPF_MAP_GET_NEXT_ID: "BPF_MAP_GET_NEXT_ID"
        case BPF_LINK_GET_NEXT_ID: "BPF_LINK_GET_NEXT_ID"
        default: "bpf command \(cmd.rawValue)"
        }
    }

    /// An address of user memory as the kernel's `__aligned_u64`.
    @inline(__always)
    static func address(_ p: UnsafeRawPointer?) -> UInt64 { UInt64(UInt(bitPattern: p)) }

    /// Copies a Swift string into a fixed-size C char array field (e.g.
    /// `map_name`), truncating to leave the terminating NUL.
    static func setName<T>(_ field: inout T, _ name: String) {
        withUnsafeMutableBytes(of: &field) { buf in
            buf.initializeMemory(as: UInt8.self, repeating: 0)
            let bytes = Array(name.utf8.prefix(buf.count - 1))
            buf.copyBytes(from: bytes)
        }
    }
}
