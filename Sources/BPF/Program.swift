import CBPF

/// A program loaded into the kernel, owned by this value. Attaching it gives
/// a `Link`; the program stays loaded while this value or a link holds it.
public final class Program: Sendable {
    public let spec: ProgramSpec
    public let fd: FileDescriptor
    /// The verifier's log, when loading asked for one with `logLevel`.
    public let verifierLog: String?

    /// Verifier log buffer sizes tried in turn when a load fails: small first,
    /// since most rejections explain themselves in a few kilobytes.
    static let logSizes = [64 << 10, 1 << 20, 16 << 20, 256 << 20]

    /// Loads `spec`, giving each map reference the descriptor of the map of
    /// that name. On rejection throws `VerifierError` with the whole log.
    /// - Parameter logLevel: 0 for no log on success; 1 or 2 keeps the
    ///   verifier's log (2: every instruction's state) in `verifierLog`.
    /// - Parameter debugInfo: line info and function names for tools such as
    ///   bpftool; a program the kernel refuses with it is loaded without it.
    public init(_ spec: ProgramSpec, maps: [String: Map] = [:], logLevel: UInt32 = 0, debugInfo: ProgramDebugInfo? = nil) throws {
        var insns = spec.instructions
        for (index, name) in spec.mapReferences {
            guard let map = maps[name] else {
                throw BPFError(call: "BPF_PROG_LOAD", context: "load program \"\(spec.name)\"", errno: .invalidArgument,
                               hint: "The program uses map \"\(name)\", which was not given")
            }
            insns[index].imm = map.fd.rawValue
        }
        self.spec = spec
        var debugInfo = debugInfo
        if logLevel == 0 {
            var attempt = Program.load(spec, insns, debugInfo, logLevel: 0, logSize: 0)
            // Line info is a help, not a need: the program without it, rather than none.
            if attempt.fd == nil, attempt.error?.errno == .invalidArgument, debugInfo != nil {
                debugInfo = nil
                attempt = Program.load(spec, insns, nil, logLevel: 0, logSize: 0)
            }
            if let fd = attempt.fd {
                self.fd = fd
                self.verifierLog = nil
                return
            }
            if let error = attempt.error, error.errno == .notPermitted { throw error }
        }
        // Failed, or a log is wanted: load again with a log large enough to be whole.
        var attempt = (fd: FileDescriptor?.none, log: "", error: BPFError?.none)
        for size in Program.logSizes {
            attempt = Program.load(spec, insns, debugInfo, logLevel: max(logLevel, 1), logSize: size)
            if attempt.error?.errno != .noSpace { break } // ENOSPC: the log was cut short
        }
        guard let fd = attempt.fd else {
            let error = attempt.error!
            if error.errno == .notPermitted || attempt.log.isEmpty { throw error }
            throw VerifierError(program: spec.name, errno: error.errno, log: attempt.log)
        }
        self.fd = fd
        self.verifierLog = logLevel > 0 ? attempt.log : nil
    }

    /// One BPF_PROG_LOAD. Returns the descriptor, or the error and whatever log
    /// the kernel wrote.
    private static func load(_ spec: ProgramSpec, _ insns: [Instruction], _ debugInfo: ProgramDebugInfo?, logLevel: UInt32, logSize: Int)
        -> (fd: FileDescriptor?, log: String, error: BPFError?) {
        var log = [UInt8](repeating: 0, count: logSize)
        let code = insns.bytes
        // Programs with callbacks must describe each function in BTF.
        var btf: FileDescriptor?
        var ownBTF: FileDescriptor?
        var funcInfo: [UInt32] = []
        var lineInfo: [bpf_line_info] = []
        if let debugInfo, debugInfo.functionTypes.count == spec.functions.count + 1 {
            btf = debugInfo.btf
            funcInfo = [0, debugInfo.functionTypes[0]]
            for (f, type) in zip(spec.functions, debugInfo.functionTypes.dropFirst()) { funcInfo += [UInt32(f.offset), type] }
            lineInfo = debugInfo.lineRecords(for: insns, functionStarts: [0] + spec.functions.map(\.offset))
        } else if !spec.functions.isEmpty {
            var builder = BTFBuilder()
            funcInfo = [0, builder.function(named: "main")]
            for f in spec.functions { funcInfo += [UInt32(f.offset), builder.function(named: f.name)] }
            do { ownBTF = try builder.load() } catch { return (nil, "", error as? BPFError) }
            btf = ownBTF
        }
        defer { ownBTF?.close() }
        // A module's function is named by an id in that module's BTF.
        var moduleBTF: FileDescriptor?
        if let module = spec.attachBTFModule {
            do { moduleBTF = try KernelBTFObject.open(module: module) } catch { return (nil, "", error as? BPFError) }
            guard moduleBTF != nil else {
                return (nil, "", BPFError(call: "BPF_PROG_LOAD", context: "load program \"\(spec.name)\"", errno: .noEntry,
                                          hint: "The kernel has no BTF for module \(module) (is it loaded?)"))
            }
        }
        defer { moduleBTF?.close() }
        let license = Array(spec.license.utf8) + [0]
        var attr = bpf_attr()
        var failure: BPFError?
        var fd: FileDescriptor?
        funcInfo.withUnsafeBytes { fi in
        lineInfo.withUnsafeBytes { li in
        code.withUnsafeBytes { c in
            license.withUnsafeBytes { l in
                log.withUnsafeMutableBytes { buf in
                    attr.prog_type = spec.type.rawValue
                    attr.insns = Sys.address(c.baseAddress)
                    attr.insn_cnt = UInt32(insns.count)
                    attr.license = Sys.address(l.baseAddress)
                    attr.expected_attach_type = spec.expectedAttachType.rawValue
                    attr.attach_btf_id = spec.attachBTFID
                    if let moduleBTF { attr.attach_btf_obj_fd = UInt32(moduleBTF.rawValue) }
                    if let btf {
                        attr.prog_btf_fd = UInt32(btf.rawValue)
                        attr.func_info_rec_size = 8
                        attr.func_info = Sys.address(fi.baseAddress)
                        attr.func_info_cnt = UInt32(funcInfo.count / 2)
                        if !lineInfo.isEmpty {
                            attr.line_info_rec_size = UInt32(MemoryLayout<bpf_line_info>.stride)
                            attr.line_info = Sys.address(li.baseAddress)
                            attr.line_info_cnt = UInt32(lineInfo.count)
                        }
                    }
                    Sys.setName(&attr.prog_name, kernelObjectName(spec.name))
                    if logSize > 0 {
                        attr.log_level = logLevel
                        attr.log_buf = Sys.address(buf.baseAddress)
                        attr.log_size = UInt32(logSize)
                    }
                    do { fd = try Sys.bpfFD(BPF_PROG_LOAD, &attr, "load program \"\(spec.name)\"") } catch {
                        failure = error as? BPFError
                    }
                }
            }
        }
        }
        }
        let text = String(decoding: log.prefix { $0 != 0 }, as: UTF8.self)
        return (fd, text, failure)
    }

    /// Runs the program once in the kernel (BPF_PROG_TEST_RUN) with `context`
    /// as its argument and returns its return value. Raw tracepoint programs
    /// take their context as an array of 64-bit arguments.
    @discardableResult
    public func testRun(context: [UInt8] = [], data: [UInt8] = []) throws -> UInt32 {
        var attr = bpf_attr()
        try context.withUnsafeBytes { ctx in
            try data.withUnsafeBytes { d in
                attr.test.prog_fd = UInt32(fd.rawValue)
                if !context.isEmpty {
                    attr.test.ctx_in = Sys.address(ctx.baseAddress)
                    attr.test.ctx_size_in = UInt32(context.count)
                }
                if !data.isEmpty {
                    attr.test.data_in = Sys.address(d.baseAddress)
                    attr.test.data_size_in = UInt32(data.count)
                }
                try Sys.bpf(BPF_PROG_TEST_RUN, &attr, "run program \"\(spec.name)\" once")
            }
        }
        return attr.test.retval
    }
}
