import AugerCompiler
import Synchronization
import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

/// Turns the bytes programs write back into text and JSON, by type.
struct ValueDecoder {
    let symbols: KernelSymbols
    /// The stack trace map, for kstack and ustack values.
    var stacks: Map?
    let userSymbols = UserSymbols()
    let cgroups = CgroupPaths()
    /// Enum name → value → constant, for enum values.
    var enums: [String: [Int64: String]] = [:]
    /// The `stack_mode` setting: how stacks without a mode of their own print.
    var stackMode: StackMode = .bpftrace
    /// `show_debug_info`: user frames in bpftrace mode say their source line.
    var showDebugInfo = true
    /// str()'s strings: of this capacity (max_strlen + 2), one that fills it was cut short
    /// and prints as max_strlen characters and the trailer.
    var truncation: (capacity: Int, trailer: String)?
    /// %gr's flag names, from the kernel's BTF (nil when no printf uses %gr, or the kernel lacks them).
    var gfpFlags: GFPFlags?
    /// strftime() formats, by the index values carry.
    var timeFormats: [String] = []
    /// Wall-clock nanoseconds at monotonic zero, for strftime of nsecs.
    var wallClockOffset: Int128 = {
        var wall = timespec(), mono = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        clock_gettime(CLOCK_MONOTONIC, &mono)
        return Int128(wall.tv_sec - mono.tv_sec) * 1_000_000_000 + Int128(wall.tv_nsec - mono.tv_nsec)
    }()

    /// A buffer as bpftrace prints it: %r escapes what is not printable,
    /// %rx escapes every byte, %rh writes hex pairs.
    func bufferText(_ bytes: ArraySlice<UInt8>, _ capacity: Int, style: String) -> String {
        let length = min(Int(clamping: word(bytes)), capacity, max(0, bytes.count - 8))
        let data = bytes.dropFirst(8).prefix(length)
        func hex(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }
        switch style {
        case "rx": return data.map { "\\x" + hex($0) }.joined()
        case "rh": return data.map(hex).joined(separator: " ")
        default:
            return data.map { $0 >= 0x20 && $0 < 0x7f ? String(UnicodeScalar($0)) : "\\x" + hex($0) }.joined()
        }
    }

    /// ntop(): inet_ntop of the family word and the address bytes after it.
    func inetText(_ bytes: ArraySlice<UInt8>) -> String {
        let family = Int32(truncatingIfNeeded: word(bytes))
        var address = Array(bytes.dropFirst(8).prefix(16))
        address += [UInt8](repeating: 0, count: 16 - address.count)
        var out = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, address, &out, 64) != nil else { return "" }
        return String(cString: out)
    }

    /// strftime's text, with bpftrace's %f (microseconds) extension.
    func timestampText(_ bytes: ArraySlice<UInt8>) -> String {
        let index = Int(clamping: word(bytes)), ns = Int128(word(bytes, 8)) + wallClockOffset
        var format = index < timeFormats.count ? timeFormats[index] : "%H:%M:%S"
        let micros = String(Int((ns % 1_000_000_000) / 1000))
        format = format.replacingOccurrences("%f", String(repeating: "0", count: 6 - micros.count) + micros)
        var seconds = time_t(ns / 1_000_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [Int8](repeating: 0, count: 512)
        let n = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A stack as bpftrace prints it: one frame a line, indented by eight.
    /// kstack values are stack ids; ustack values carry the process id in
    /// their high half, for its symbols.
    func stackText(_ value: UInt64, user: Bool, _ format: StackFormat = .whole) -> String {
        guard let (ips, pid) = stackAddresses(value, user: user) else { return "" }
        var out = "\n"
        // The kernel keeps every frame; a depth limit is applied here.
        for ip in ips.prefix(format.limit ?? Int.max) {
            let hex = String(ip, radix: 16)
            func name() -> String { (user ? userSymbols.symbolize(pid: pid, ip) : symbols.symbolize(ip)) ?? "0x" + hex }
            switch format.mode ?? stackMode {
            case .raw: out += hex + "\n"
            case .perf:
                let object = user ? userSymbols.mapping(pid: pid, ip)?.path ?? "[unknown]" : "[kernel.kallsyms]"
                out += "\t" + hex + " " + name() + " (" + object + ")\n"
            case .buildID where user:
                // The file's GNU build-id and the offset into it: names the code without the process.
                if let (buildID, offset) = userSymbols.buildIDLocation(pid: pid, ip) {
                    out += buildID + " 0x" + String(offset, radix: 16) + "\n"
                } else {
                    out += "        " + name() + "\n"
                }
            case .bpftrace, .buildID:
                let line = user && showDebugInfo ? userSymbols.sourceLocation(pid: pid, ip) ?? "" : ""
                out += "        " + name() + line + "\n"
            }
        }
        return out
    }

    /// A stack value's return addresses, innermost first, and for user
    /// stacks the process they are in. kstack values are stack ids; ustack
    /// values carry the process id in their high half.
    func stackAddresses(_ value: UInt64, user: Bool) -> (ips: [UInt64], pid: Int32)? {
        let id = user ? UInt64(UInt32(truncatingIfNeeded: value)) : value, pid = Int32(truncatingIfNeeded: value >> 32)
        guard (user ? Int32(bitPattern: UInt32(id)) >= 0 : Int64(bitPattern: id) >= 0), let stacks,
              let bytes = try? stacks.lookup(key: rawBytes(of: UInt32(truncatingIfNeeded: id))) else { return nil }
        var ips: [UInt64] = []
        for i in 0..<bytes.count / 8 {
            let ip = word(bytes[...], i * 8)
            if ip == 0 { break }
            ips.append(ip)
        }
        return (ips, pid)
    }

    /// A stack's function names without offsets, outermost first, as folded
    /// stacks list them (so one function is one frame of a flame graph).
    func stackFrames(_ value: UInt64, user: Bool, limit: Int? = nil) -> [String] {
        guard let (ips, pid) = stackAddresses(value, user: user) else { return [] }
        return ips.prefix(limit ?? Int.max).reversed().map { ip in
            (user ? userSymbols.function(pid: pid, ip)?.name : symbols.name(of: ip)) ?? "0x" + String(ip, radix: 16)
        }
    }

    func word(_ bytes: ArraySlice<UInt8>, _ at: Int = 0) -> UInt64 {
        var v: UInt64 = 0
        let start = bytes.startIndex + at
        for i in 0..<8 where start + i < bytes.endIndex { v |= UInt64(bytes[start + i]) << (8 * UInt64(i)) }
        return v
    }

    /// An integer word as its type reads it (sign-extended from its width).
    func integer(_ w: UInt64, _ t: SType) -> Int128 {
        guard case .integer(let bits, let signed) = t else { return Int128(w) }
        if signed {
            let shift = UInt64(64 - bits)
            return Int128((Int64(bitPattern: w) << shift) >> shift)
        }
        return bits == 64 ? Int128(w) : Int128(w & ((1 << UInt64(bits)) - 1))
    }

    func string(_ bytes: ArraySlice<UInt8>, _ size: Int) -> String {
        let text = bytes.prefix(size).prefix { $0 != 0 }
        if let truncation, size == truncation.capacity, text.count == size - 1 {
            return String(decoding: text.dropLast(), as: UTF8.self) + truncation.trailer
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// bpftrace's text for a value.
    func text(_ t: SType, _ bytes: ArraySlice<UInt8>) -> String {
        switch t {
        case .integer: return String(integer(word(bytes), t))
        case .bool: return word(bytes) != 0 ? "true" : "false"
        case .string(let n): return string(bytes, n)
        case .pointer: return "0x" + String(word(bytes), radix: 16)
        case .ksym: return symbols.name(of: word(bytes)) ?? "0x" + String(word(bytes), radix: 16)
        case .kstack(let format): return stackText(word(bytes), user: false, format)
        case .ustack(let format): return stackText(word(bytes), user: true, format)
        case .timestamp: return timestampText(bytes)
        case .buffer(let n): return bufferText(bytes, n, style: "r")
        case .inet: return inetText(bytes)
        case .macaddr: return bytes.prefix(6).map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined(separator: ":")
        case .cgroupPath: return cgroups.path(of: word(bytes))
        case .strerror: return String(cString: strerror(Int32(truncatingIfNeeded: word(bytes))))
        case .syscallName:
            let n = Int64(bitPattern: word(bytes))
            return SyscallNumbers.names[Int(truncatingIfNeeded: n)] ?? "\(n)"
        case .signalName:
            // Signals the C library knows (below NSIG) by their description; others N/A, as bpftrace's stdlib.
            let n = Int64(bitPattern: word(bytes))
            return n >= 0 && n < 65 ? String(cString: strsignal(Int32(n))) : "N/A"
        case .usym:
            // As bpftrace prints usym and a uprobe's func: the function's name, else the address.
            let address = word(bytes), pid = Int32(truncatingIfNeeded: word(bytes, 8))
            return userSymbols.function(pid: pid, address)?.name ?? "0x" + String(address, radix: 16)
        case .username:
            let uid = uid_t(truncatingIfNeeded: word(bytes))
            guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
            return String(cString: name)
        case .enumValue(let name):
            let v = Int64(bitPattern: word(bytes))
            return enums[name]?[v] ?? String(v)
        case .tuple(let ts):
            let parts = zip(ts, Layout.offsets(ts)).map { text($0.0, bytes.dropFirst($0.1)) }
            return "(" + parts.joined(separator: ", ") + ")"
        case .record(let fs):
            let offsets = Layout.offsets(fs.map(\.type))
            let parts = zip(fs, offsets).map { ".\($0.0.name) = \(text($0.0.type, bytes.dropFirst($0.1)))" }
            return "{ " + parts.joined(separator: ", ") + " }"
        case .array(let e, let n):
            let size = Layout.elementSize(e)
            if case .array = e {
                return "[" + (0..<n).map { text(e, bytes.dropFirst($0 * size).prefix(size)) }.joined(separator: ",") + "]"
            }
            let parts = (0..<n).map { i -> String in
                var v: UInt64 = 0
                for b in 0..<size where bytes.startIndex + i * size + b < bytes.endIndex {
                    v |= UInt64(bytes[bytes.startIndex + i * size + b]) << (8 * UInt64(b))
                }
                return e == .bool ? (v != 0 ? "true" : "false") : String(integer(v, e))
            }
            return "[" + parts.joined(separator: ",") + "]"
        default: return String(word(bytes))
        }
    }

    /// The same value as JSON.
    func json(_ t: SType, _ bytes: ArraySlice<UInt8>) -> String {
        switch t {
        case .integer: return String(integer(word(bytes), t))
        // Numbers stay numbers for programs reading JSON: pointers, and enums unless printf names them.
        case .pointer, .enumValue: return String(word(bytes))
        case .bool: return word(bytes) != 0 ? "true" : "false"
        case .string, .ksym, .timestamp, .inet, .buffer, .strerror, .signalName, .syscallName, .macaddr, .usym, .username, .cgroupPath: return JSON.quote(text(t, bytes))
        case .tuple(let ts):
            return "[" + zip(ts, Layout.offsets(ts)).map { json($0.0, bytes.dropFirst($0.1)) }.joined(separator: ",") + "]"
        case .record(let fs):
            let offsets = Layout.offsets(fs.map(\.type))
            return "{" + zip(fs, offsets).map { "\(JSON.quote($0.0.name)): \(json($0.0.type, bytes.dropFirst($0.1)))" }.joined(separator: ", ") + "}"
        default: return text(t, bytes)
        }
    }
}

enum JSON {
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// Kernel symbols from /proc/kallsyms, read on first use.
final class KernelSymbols: @unchecked Sendable {
    private var table: [(address: UInt64, name: String)]?

    /// `name+offset` for an address inside a function.
    func symbolize(_ address: UInt64) -> String? {
        guard let (start, name) = entry(address) else { return nil }
        return "\(name)+\(address - start)"
    }

    func name(of address: UInt64) -> String? { entry(address)?.1 }

    private func entry(_ address: UInt64) -> (UInt64, String)? {
        if table == nil { table = Self.load() }
        guard let t = table, !t.isEmpty else { return nil }
        var lo = 0, hi = t.count - 1
        guard address >= t[0].address else { return nil }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if t[mid].address <= address { lo = mid } else { hi = mid - 1 }
        }
        return (t[lo].address, t[lo].name)
    }

    /// Addresses already looked up: resolving a kprobe may ask for the same
    /// name more than once, and each lookup reads all of /proc/kallsyms (5 MB).
    private static let found = Mutex<[String: UInt64?]>([:])

    /// The address of any kernel symbol (code or data), for kaddr().
    static func address(of name: String) -> UInt64? {
        if let known = found.withLock({ $0[name] }) { return known }
        let address = scanAddress(of: name)
        found.withLock { $0[name] = address }
        return address
    }

    private static func scanAddress(of name: String) -> UInt64? {
        // Lines read "ffffffff816bab70 T vfs_read" (module symbols add "\t[mod]"):
        // find " NAME" ending its line or followed by a tab, then read the line's address.
        guard let bytes = try? readBytes("/proc/kallsyms") else { return nil }
        let needle = Array((" " + name).utf8)
        return bytes.withUnsafeBufferPointer { all -> UInt64? in
            var lineStart = 0
            for i in 0...all.count where i == all.count || all[i] == 10 || all[i] == 9 {
                defer { if i < all.count && all[i] == 10 { lineStart = i + 1 } }
                guard i - lineStart > needle.count, all[i - needle.count] == 32 else { continue }
                if !zip(needle.indices, (i - needle.count)..<i).allSatisfy({ needle[$0] == all[$1] }) { continue }
                let line = String(decoding: all[lineStart..<i], as: UTF8.self)
                if let a = line.split(separator: " ").first.flatMap({ UInt64($0, radix: 16) }), a != 0 { return a }
            }
            return nil
        }
    }

    static func load() -> [(UInt64, String)] {
        (try? readBytes("/proc/kallsyms")).map(parse) ?? []
    }

    static func parse(_ text: String) -> [(UInt64, String)] { parse(Array(text.utf8)) }

    /// Code symbols by address; a module's name after the tab is left out,
    /// as bpftrace prints `func` and stack frames. Parsed as bytes: the file
    /// has 120,000 lines or more, and splitting Strings took most of a second.
    static func parse(_ bytes: [UInt8]) -> [(UInt64, String)] {
        var out: [(UInt64, String)] = []
        out.reserveCapacity(bytes.count / 40)
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            let n = b.count
            while i < n {
                // "ffffffff812f0000 t vfs_read[\t[module]]\n"
                var address: UInt64 = 0
                while i < n, b[i] != 32, b[i] != 10 {
                    let c = b[i]
                    let digit: UInt64 = c >= 97 ? UInt64(c - 87) : c >= 65 ? UInt64(c - 55) : UInt64(c &- 48)
                    address = address << 4 | (digit & 15)
                    i += 1
                }
                let type = i + 1 < n ? b[i + 1] : 0
                let nameStart = i + 3
                var end = nameStart
                while end < n, b[end] != 10, b[end] != 9 { end += 1 }
                var next = end
                while next < n, b[next] != 10 { next += 1 }
                // t, T, w, W: code.
                if address != 0, type == 116 || type == 84 || type == 119 || type == 87, nameStart < end {
                    out.append((address, String(decoding: UnsafeBufferPointer(rebasing: b[nameStart..<end]), as: UTF8.self)))
                }
                i = next + 1
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }
}
