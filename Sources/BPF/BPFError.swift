#if canImport(Glibc)
import Glibc
#endif

/// An error number returned by the kernel, with a readable name.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    static var current: Errno { Errno(rawValue: errno) }

    public static let notPermitted = Errno(rawValue: EPERM)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let badFile = Errno(rawValue: EBADF)
    public static let tryAgain = Errno(rawValue: EAGAIN)
    public static let noMemory = Errno(rawValue: ENOMEM)
    public static let accessDenied = Errno(rawValue: EACCES)
    public static let busy = Errno(rawValue: EBUSY)
    public static let exists = Errno(rawValue: EEXIST)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let tooBig = Errno(rawValue: E2BIG)
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    /// The kernel-internal ENOTSUPP (524) that some BPF commands leak to user space.
    public static let kernelNotSupported = Errno(rawValue: 524)

    /// The symbolic name, e.g. `EPERM`.
    public var name: String {
        switch rawValue {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EINTR: "EINTR"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EINVAL: "EINVAL"
        case ENOSPC: "ENOSPC"
        case E2BIG: "E2BIG"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case EFAULT: "EFAULT"
        case ENODEV: "ENODEV"
        case ESRCH: "ESRCH"
        case 524: "ENOTSUPP"
        default: "errno \(rawValue)"
        }
    }

    public var description: String {
        rawValue == 524 ? "ENOTSUPP: operation not supported" : "\(name): \(String(cString: strerror(rawValue)))"
    }
}

/// A failed system call: which call, what it was trying to do, the errno, and
/// what a person can do about it.
public struct BPFError: Error, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `BPF_PROG_LOAD` or `perf_event_open`.
    public let call: String
    /// What was being attempted, e.g. `load program "count"`.
    public let context: String
    public let errno: Errno
    /// A sentence saying what to do, when there is one to say.
    public let hint: String?

    public init(call: String, context: String, errno: Errno, hint: String? = nil) {
        self.call = call
        self.context = context
        self.errno = errno
        self.hint = hint ?? BPFError.defaultHint(call: call, errno: errno)
    }

    public var description: String {
        var s = "\(context): \(call) failed: \(errno)"
        if let hint { s += ". \(hint)" }
        return s
    }

    static func defaultHint(call: String, errno: Errno) -> String? {
        switch errno {
        case .notPermitted, .accessDenied:
            return "Run as root, or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN on older kernels)"
        case .tooBig where call.hasPrefix("BPF_"):
            return "The kernel does not know an attribute Auger passed; it may be too old for this feature"
        case .noMemory where call == "BPF_MAP_CREATE":
            return "The map is too large for the memory limit; lower max entries or raise RLIMIT_MEMLOCK"
        default:
            return nil
        }
    }
}

/// The kernel's verifier refused a program. `log` holds its whole explanation.
public struct VerifierError: Error, Sendable, CustomStringConvertible {
    public let program: String
    public let errno: Errno
    public let log: String

    /// The verifier's last meaningful line: usually the reason.
    public var reason: String {
        let lines = log.split(separator: "\n").map(String.init)
        let skip = ["processed ", "verification time", "stack depth"]
        return lines.last { line in !skip.contains { line.hasPrefix($0) } && !line.isEmpty } ?? errno.description
    }

    public var description: String {
        "the kernel's verifier rejected program \"\(program)\" (\(errno.name)): \(reason)"
    }
}
