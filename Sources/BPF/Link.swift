import CBPF
#if canImport(Glibc)
import Glibc
#endif

/// An attached program. Closing the link (or dropping it) detaches the
/// program; it owns every descriptor that keeps the attachment alive.
public final class Link: Sendable {
    /// The BPF link, or the perf event itself when the kernel predates links.
    public let fd: FileDescriptor
    /// The perf event a program is attached through, if any.
    public let perfEvent: PerfEvent?

    init(fd: FileDescriptor, perfEvent: PerfEvent? = nil) {
        self.fd = fd
        self.perfEvent = perfEvent
    }

    /// Detaches now.
    public func close() {
        fd.close()
        perfEvent?.fd.close()
    }
}

extension Program {
    /// Attaches to an open perf event: with a BPF link (Linux 5.15+), or else
    /// with PERF_EVENT_IOC_SET_BPF and ENABLE.
    public func attach(to event: PerfEvent, useLink: Bool = true) throws -> Link {
        if useLink {
            var attr = bpf_attr()
            attr.link_create.prog_fd = UInt32(fd.rawValue)
            attr.link_create.target_fd = UInt32(event.fd.rawValue)
            attr.link_create.attach_type = AttachType.perfEvent.rawValue
            do {
                let link = try Sys.bpfFD(BPF_LINK_CREATE, &attr, "attach program \"\(spec.name)\" to \(event.what)")
                return Link(fd: link, perfEvent: event)
            } catch let error as BPFError where error.errno == .invalidArgument {
                // Kernels before 5.15 have no perf event links; fall through.
            }
        }
        try event.ioctl(CBPF_PERF_EVENT_IOC_SET_BPF, UInt(fd.rawValue), "attach program \"\(spec.name)\" to")
        try event.ioctl(CBPF_PERF_EVENT_IOC_ENABLE, 0, "enable")
        return Link(fd: event.fd, perfEvent: event)
    }

    /// Attaches a raw tracepoint program to the tracepoint `name`
    /// (e.g. `sys_enter`), or a tracing program (fentry, fexit, tp_btf) to the
    /// target named by its BTF id when `name` is nil.
    public func attachRawTracepoint(_ name: String?) throws -> Link {
        var attr = bpf_attr()
        let what = name.map { "raw tracepoint \($0)" } ?? "its BTF target"
        let fd: FileDescriptor = try (name ?? "").withCString { cname in
            attr.raw_tracepoint.name = name == nil ? 0 : Sys.address(cname)
            attr.raw_tracepoint.prog_fd = UInt32(self.fd.rawValue)
            do {
                return try Sys.bpfFD(BPF_RAW_TRACEPOINT_OPEN, &attr, "attach program \"\(spec.name)\" to \(what)")
            } catch let error as BPFError where error.errno == .noEntry {
                throw BPFError(call: error.call, context: error.context, errno: error.errno,
                               hint: "There is no raw tracepoint of that name")
            }
        }
        return Link(fd: fd)
    }

    /// Attaches a kprobe program loaded for `.traceKprobeMulti` to the entry
    /// (or return) of every function in `functions` with one link (fprobe,
    /// Linux 5.18+): one ftrace update for all of them instead of one each.
    /// With `session`, the program (loaded for `.traceKprobeSession`) runs at
    /// both, and at the return only when its entry run returned 0.
    public func attachKprobeMulti(_ functions: [String], returnProbe: Bool, session: Bool = false) throws -> Link {
        var names = functions.map { strdup($0) }
        defer { names.forEach { free($0) } }
        let what = functions.count == 1 ? functions[0] : "\(functions.count) functions (\(functions[0]), …)"
        return try names.withUnsafeMutableBufferPointer { buffer in
            var attr = bpf_attr()
            attr.link_create.prog_fd = UInt32(fd.rawValue)
            attr.link_create.attach_type = (session ? AttachType.traceKprobeSession : .traceKprobeMulti).rawValue
            attr.link_create.kprobe_multi.flags = returnProbe ? UInt32(BPF_F_KPROBE_MULTI_RETURN) : 0
            attr.link_create.kprobe_multi.cnt = UInt32(functions.count)
            attr.link_create.kprobe_multi.syms = Sys.address(buffer.baseAddress)
            return Link(fd: try Sys.bpfFD(BPF_LINK_CREATE, &attr, "attach program \"\(spec.name)\" to \(what)"))
        }
    }

    /// Attaches a kprobe program loaded for `.traceUprobeMulti` to the
    /// entry (or return) at each file offset of one ELF file with one link
    /// (Linux 6.6+), in every process or only in `pid`. `cookies`, when
    /// given, are what bpf_get_attach_cookie returns at each offset.
    public func attachUprobeMulti(path: String, offsets: [UInt64], returnProbe: Bool, pid: Int32? = nil, cookies: [UInt64] = []) throws -> Link {
        precondition(cookies.isEmpty || cookies.count == offsets.count)
        let what = offsets.count == 1 ? "\(path) at 0x\(String(offsets[0], radix: 16))" : "\(offsets.count) offsets of \(path)"
        return try path.withCString { cPath in
            try offsets.withUnsafeBufferPointer { offs in
                try cookies.withUnsafeBufferPointer { cooks in
                    var attr = bpf_attr()
                    attr.link_create.prog_fd = UInt32(fd.rawValue)
                    attr.link_create.attach_type = AttachType.traceUprobeMulti.rawValue
                    // The uprobe_multi member (Linux 6.6) is newer than the headers
                    // here: written by its UAPI offsets in link_create's union.
                    withUnsafeMutableBytes(of: &attr) { raw in
                        raw.storeBytes(of: Sys.address(cPath), toByteOffset: 16, as: UInt64.self)
                        raw.storeBytes(of: Sys.address(offs.baseAddress), toByteOffset: 24, as: UInt64.self)
                        raw.storeBytes(of: cookies.isEmpty ? 0 : Sys.address(cooks.baseAddress), toByteOffset: 40, as: UInt64.self)
                        raw.storeBytes(of: UInt32(offsets.count), toByteOffset: 48, as: UInt32.self)
                        raw.storeBytes(of: UInt32(returnProbe ? 1 : 0), toByteOffset: 52, as: UInt32.self)  // BPF_F_UPROBE_MULTI_RETURN
                        raw.storeBytes(of: UInt32(bitPattern: pid ?? 0), toByteOffset: 56, as: UInt32.self)
                    }
                    return Link(fd: try Sys.bpfFD(BPF_LINK_CREATE, &attr, "attach program \"\(spec.name)\" to \(what)"))
                }
            }
        }
    }

    /// Attaches an iterator program (loaded for `.traceIter`); reading
    /// `Link.iterate()` then runs it over every object.
    public func attachIterator() throws -> Link {
        var attr = bpf_attr()
        attr.link_create.prog_fd = UInt32(fd.rawValue)
        attr.link_create.attach_type = AttachType.traceIter.rawValue
        return Link(fd: try Sys.bpfFD(BPF_LINK_CREATE, &attr, "attach iterator program \"\(spec.name)\""))
    }

    /// Attaches a tracepoint program to `category:name` through tracefs.
    public func attachTracepoint(category: String, name: String, tracefs: Tracefs? = nil) throws -> Link {
        let fs = try tracefs ?? Tracefs.locate()
        let id = try fs.tracepointID(category: category, name: name)
        return try attach(to: PerfEvent.tracepoint(id: id, name: "\(category):\(name)"))
    }
}

extension Link {
    /// Runs an iterator link's program over every object it iterates: opens
    /// an iterator on it and reads it to its end. `between` runs after each
    /// read, so the program's output can be drained as it goes.
    public func iterate(between: () -> Void = {}) throws {
        var attr = bpf_attr()
        attr.iter_create.link_fd = UInt32(fd.rawValue)
        let iterator = try Sys.bpfFD(BPF_ITER_CREATE, &attr, "start an iterator")
        defer { iterator.close() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(iterator.rawValue, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw BPFError(call: "read", context: "run an iterator", errno: Errno(rawValue: errno)) }
            between()
            if n == 0 { return }
        }
    }

    /// Detaches in processes that outlive this one, so a tracer can exit as
    /// soon as its output is written: the kernel frees an attachment when the
    /// last descriptor to it closes, and the children hold the last ones.
    /// Each of `processes` grandchildren drops its references to the others'
    /// share, then closes its own share, so the slow releases overlap.
    /// Returns false (nothing done) when fork fails.
    public static func closeInBackground(_ links: [Link], processes: Int = 16) -> Bool {
        let fds = links.flatMap { [$0.fd.rawValue, $0.perfEvent?.fd.rawValue ?? -1] }.filter { $0 >= 0 }
        let shares = max(1, min(processes, fds.count))
        let child = fork()
        if child < 0 { return false }
        if child > 0 { return true }
        // In the child of a threaded process: only system calls from here on
        // (the descriptor list was made before the fork).
        _ = setsid()
        _ = signal(SIGINT, SIG_IGN)  // one by one: an array literal would allocate
        _ = signal(SIGTERM, SIG_IGN)
        _ = signal(SIGHUP, SIG_IGN)
        _ = signal(SIGPIPE, SIG_IGN)
        for fd: Int32 in 0...2 { _ = Glibc.close(fd) }
        for share in 0..<shares where fork() == 0 {
            for (i, fd) in fds.enumerated() where i % shares != share { _ = Glibc.close(fd) }
            for (i, fd) in fds.enumerated() where i % shares == share { _ = Glibc.close(fd) }
            _exit(0)
        }
        for fd in fds { _ = Glibc.close(fd) }
        _exit(0)
    }

    /// Detaches many links at once. Detaching a program from a perf event
    /// waits for an RCU grace period (about 35 ms here), and the kernel takes
    /// these one at a time; closing from many threads overlaps the rest, so
    /// the 360 tracepoints of `syscalls:sys_enter_*` take 12 s, not 25.
    public static func closeAll(_ links: [Link], threads: Int = 64) {
        guard links.count > 1 else { links.first?.close(); return }
        final class Work: @unchecked Sendable {
            let links: [Link], stride: Int, start: Int
            init(_ links: [Link], _ stride: Int, _ start: Int) { self.links = links; self.stride = stride; self.start = start }
        }
        let n = min(threads, links.count)
        var ids: [pthread_t] = []
        for start in 0..<n {
            let work = Unmanaged.passRetained(Work(links, n, start)).toOpaque()
            var id = pthread_t()
            let made = pthread_create(&id, nil, { raw in
                let work = Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue()
                for i in Swift.stride(from: work.start, to: work.links.count, by: work.stride) { work.links[i].close() }
                return nil
            }, work)
            if made == 0 {
                ids.append(id)
            } else {
                // No thread: close this share here.
                let w = Unmanaged<Work>.fromOpaque(work).takeRetainedValue()
                for i in Swift.stride(from: w.start, to: w.links.count, by: w.stride) { w.links[i].close() }
            }
        }
        for id in ids { pthread_join(id, nil) }
    }
}
