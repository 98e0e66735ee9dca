import AugerScript
import BPF

extension ProbeCodeGen {
    /// r0 = the process (or thread) id: as auger's own pid namespace sees
    /// it (bpftrace's `curr_ns`, the default), or the init namespace's.
    func processID(thread: Bool, inCurrentNamespace: Bool, _ range: SourceRange) throws(CompileError) {
        guard inCurrentNamespace, let ns = compiler.pidNamespace else {
            asm.emit(.call(.getCurrentPidTgid))
            asm.emit(thread ? .mov32(.r0, .r0) : .alu64(.rsh, .r0, 32))
            return
        }
        // bpf_get_ns_current_pid_tgid fills {pid (the thread's), tgid}; both 0 outside the namespace.
        let data = try pushTemp(range)
        asm.emit(.store(.u64, fp, data, imm: 0))
        asm.emit(Instruction.loadImm64(.r1, ns.device))
        asm.emit(Instruction.loadImm64(.r2, ns.inode))
        asm.emit(.mov(.r3, fp), .alu64(.add, .r3, Int32(data)), .mov(.r4, 8), .call(.getNsCurrentPidTgid))
        asm.emit(.load(.u32, .r0, fp, data + (thread ? 0 : 4)))
        popTemp()
    }

    /// Builtin variables into r0.
    func builtin(_ name: String, _ e: Expr) throws(CompileError) {
        switch name {
        case "pid", "tid": try processID(thread: name == "tid", inCurrentNamespace: true, e.range)
        case "uid", "username": asm.emit(.call(.getCurrentUidGid), .mov32(.r0, .r0)) // the name is looked up when printed
        case "gid": asm.emit(.call(.getCurrentUidGid), .alu64(.rsh, .r0, 32))
        case "nsecs": asm.emit(.call(.ktimeGetNs))
        case "elapsed":
            asm.emit(.call(.ktimeGetNs), .mov(.r8, .r0), .store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
            asm.loadMap(.r1, CompiledScript.globalsName)
            asm.emit(.call(.mapLookupElem))
            asm.emit(.jump(.jeq, .r0, 0, 2), .load(.u64, .r1, .r0, 0), .alu64(.sub, .r8, .r1), .mov(.r0, .r8))
        case "cpu": asm.emit(.call(.getSmpProcessorId))
        case "numaid": asm.emit(.call(.getNumaNodeId))
        case "cgroup": asm.emit(.call(.getCurrentCgroupId))
        case "rand": asm.emit(.call(.getPrandomU32))
        case "curtask": asm.emit(.call(.getCurrentTask))
        case "jiffies": asm.emit(.call(.jiffies64))
        case "kstack", "ustack":
            try stack(user: name == "ustack", e)
        case "ncpus": constant(Int64(CPU.online.count))
        case "usermode":
            // Timers and breakpoints sample either mode; elsewhere probes run in the kernel.
            // begin and end run in auger's own context, from user space.
            asm.emit(.mov(.r0, target.kind.firesInUserMode ? 1 : 0))
        case "ctx":
            // The program's context pointer, as the probe type defines it.
            asm.emit(.mov(.r0, .r6))
        case "retval":
            // fexit: the word after the arguments; return probes: pt_regs.
            let at = target.signature.map { 8 * $0.returnSlot } ?? Registers.returnValue
            asm.emit(.load(.u64, .r0, .r6, Int16(at)))
            truncate(to: e.type ?? .i64)
        case "func" where target.signature != nil || target.kind == .kretprobe || target.kind == .uretprobe || target.isMultiFunction:
            // The trampoline (the kretprobe, the fprobe, the uretprobe) knows which function it was entered for.
            asm.emit(.mov(.r1, .r6), .call(.getFuncIp))
        case "func":
            if target.kind.isReturnProbe {
                throw CompileError(message: "func in return probes is not supported yet", range: e.range)
            }
            asm.emit(.load(.u64, .r0, .r6, Int16(Registers.instructionPointer)))
            if target.kind.instructionPointerPastEntry { asm.emit(.alu64(.sub, .r0, 1)) }
        case "cpid":
            asm.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
            asm.loadMap(.r1, CompiledScript.globalsName)
            asm.emit(.call(.mapLookupElem), .jump(.jeq, .r0, 0, 1), .load(.u64, .r0, .r0, 8))
        default:
            if let (index, _) = argumentIndex(name) {
                try argument(index, e)
                return
            }
            if let value = compiler.checked.program.preamble.enumValue(name) {
                constant(value)
                return
            }
            throw CompileError(message: "'\(name)' is not supported in \(target.kind.name) probes yet", range: e.range)
        }
    }

    /// r0 = the id of the current kernel or user stack in the stack map
    /// (negative when it could not be taken).
    func stack(user: Bool, _ e: Expr) throws(CompileError) {
        guard !target.kind.isSpecial else {
            asm.emit(.mov(.r0, -1))
            return
        }
        compiler.usesStacks = true
        asm.emit(.mov(.r1, .r6))
        asm.loadMap(.r2, CompiledScript.stacksName)
        asm.emit(.mov(.r3, user ? 1 << 8 : 0), .call(.getStackid))
        guard user else { return }
        // A user stack names its process (high half) for symbolizing later.
        let failed = label("ustackfail")
        asm.jump(.jslt, .r0, 0, to: failed)
        let id = try pushTemp(e.range)
        asm.emit(.store(.u64, fp, id, .r0))
        // The pid as auger's namespace numbers it: its /proc is where the mappings are read.
        try processID(thread: false, inCurrentNamespace: true, e.range)
        asm.emit(.alu64(.lsh, .r0, 32), .load(.u64, .r1, fp, id), .alu64(.or, .r0, .r1))
        popTemp()
        asm.label(failed)
    }

    /// r0 = how many frames the current stack has (at most the format's
    /// limit): bpf_get_stack copies them to scratch and says how many bytes.
    func stackDepth(user: Bool, _ format: StackFormat, _ e: Expr) throws(CompileError) {
        guard !target.kind.isSpecial else {
            asm.emit(.mov(.r0, 0))
            return
        }
        let size = 127 * 8, buffer = try scratch(size, e.range)
        asm.emit(.mov(.r1, .r6))
        scratchPointer(.r2, buffer)
        asm.emit(.mov(.r3, Int32(size)), .mov(.r4, user ? 1 << 8 : 0), .call(.getStack))
        let done = label("depth")
        asm.emit(.mov(.r1, .r0), .mov(.r0, 0))
        asm.jump(.jslt, .r1, 0, to: done)
        asm.emit(.alu64(.rsh, .r1, 3), .mov(.r0, .r1))
        if let limit = format.limit {
            asm.jump(.jle, .r0, Int32(limit), to: done)
            asm.emit(.mov(.r0, Int32(limit)))
        }
        asm.label(done)
    }

    func argumentIndex(_ name: String) -> (Int, Bool)? {
        if name.hasPrefix("arg"), let n = Int(name.dropFirst(3)), n >= 0, n < 16 { return (n, false) }
        return nil
    }

    /// argN: a register for kprobes and uprobes, the Nth word for raw tracepoints.
    func argument(_ n: Int, _ e: Expr) throws(CompileError) {
        if let (arguments, address) = target.usdtArguments {
            guard n < arguments.count else {
                throw CompileError(message: "\(target.name) has \(arguments.count) argument\(arguments.count == 1 ? "" : "s"): arg\(n) does not exist", range: e.range)
            }
            return try usdtArgument(arguments[n], probeAddress: address, e)
        }
        switch target.kind.argumentSource {
        case .contextWords, .none:
            asm.emit(.load(.u64, .r0, .r6, Int16(8 * n)))
        case .registers:
            guard n < Registers.arguments.count else {
                throw CompileError(message: "arg\(n) is passed on the stack; only arg0–arg\(Registers.arguments.count - 1) are supported", range: e.range)
            }
            asm.emit(.load(.u64, .r0, .r6, Int16(Registers.arguments[n])))
        }
    }

    /// A USDT argument into r0: a constant, a register, or memory the
    /// operand addresses, read from the process, at its size and signedness.
    func usdtArgument(_ argument: USDTArgument, probeAddress: UInt64, _ e: Expr) throws(CompileError) {
        func add(_ value: Int64, to r: Register) {
            if let small = Int32(exactly: value) {
                if small != 0 { asm.emit(.alu64(.add, r, small)) }
            } else {
                constant(value, into: .r1)
                asm.emit(.alu64(.add, r, .r1))
            }
        }
        switch argument.location {
        case .constant(let v):
            constant(v)
        case .register(let offset, let byte):
            asm.emit(.load(.u64, .r0, .r6, Int16(offset)))
            if byte > 0 { asm.emit(.alu64(.rsh, .r0, Int32(8 * byte))) }
        case .memory(let base, let index, let scale, let displacement):
            asm.emit(.load(.u64, .r3, .r6, Int16(base)))
            if let index {
                asm.emit(.load(.u64, .r1, .r6, Int16(index)))
                if scale > 1 { asm.emit(.alu64(.lsh, .r1, Int32(scale.trailingZeroBitCount))) }
                asm.emit(.alu64(.add, .r3, .r1))
            }
            add(displacement, to: .r3)
            try readUserWord(argument.size, e)
        case .ripRelative(let address, let displacement):
            // The probe's address at run time less its address in the file is the load bias.
            asm.emit(.load(.u64, .r3, .r6, Int16(Registers.instructionPointer)))
            add(Int64(bitPattern: address &- probeAddress) &+ displacement, to: .r3)
            try readUserWord(argument.size, e)
        }
        if argument.size < 8 { truncate(to: .integer(bits: argument.size * 8, signed: argument.signed)) }
    }

    /// r0 = the `size` bytes of process memory at the address in r3 (0 when unreadable).
    func readUserWord(_ size: Int, _ e: Expr) throws(CompileError) {
        let slot = try pushTemp(e.range)
        asm.emit(.store(.u64, fp, slot, imm: 0), .mov(.r1, fp), .alu64(.add, .r1, Int32(slot)), .mov(.r2, Int32(size)),
                 .call(.probeReadUser), .load(.u64, .r0, fp, slot))
        popTemp()
    }

    /// Where a tracepoint's record is: the context, or for a system call
    /// served from raw sys_enter/sys_exit, the copy the prologue built in scratch.
    var recordBase: Register { syscallRecord == nil ? .r6 : .r7 }
    var recordOffset: Int { syscallRecord ?? 0 }

    /// A scalar tracepoint field into r0.
    func tracepointField(_ name: String, _ e: Expr) throws(CompileError) {
        guard let field = target.format?.fields.first(where: { $0.name == name }) else {
            throw CompileError(message: "\(target.name) has no field '\(name)'", range: e.range)
        }
        guard field.arrayLength == nil, !field.isDataLoc, let size = Size(bytes: field.size) else {
            throw CompileError(message: "field '\(name)' is not a number", range: e.range)
        }
        asm.emit(.load(size, .r0, recordBase, Int16(recordOffset + field.offset)))
        if field.isSigned && field.size < 8 { truncate(to: .integer(bits: field.size * 8, signed: true)) }
    }

    // MARK: Memory values

    /// The scratch offset holding `e`'s value: a variable's own slot, or a
    /// fresh slot the value is built in.
    func memory(_ e: Expr) throws(CompileError) -> Int {
        if case .variable(let name) = e.kind, let v = variables[name], case .scratch(let off) = v.slot { return off }
        let type = e.type ?? .u64
        let off = try scratch(Layout.size(type), e.range)
        try place(e, type, at: off)
        return off
    }

    /// Writes `e` as a value of type `type` (which may be wider, e.g. a longer
    /// string) into scratch at `off`.
    func place(_ e: Expr, _ type: SType, at off: Int) throws(CompileError) {
        let size = Layout.size(type)
        if !isMemory(type) && !isMemory(e.type) {
            try scalar(e)
            asm.emit(.store(.u64, .r7, Int16(off), .r0))
            return
        }
        switch e.kind {
        case _ where e.type == .usym:
            // A user address and the process it is in, whose mappings name it when printed.
            compiler.usesUserAddresses = true
            if case .call("usym", let args) = e.kind { try scalar(args[0]) } else { try scalar(e) }
            asm.emit(.store(.u64, .r7, Int16(off), .r0))
            try processID(thread: false, inCurrentNamespace: true, e.range)
            asm.emit(.store(.u64, .r7, Int16(off + 8), .r0))
        case .string(let bytes):
            writeBytes(bytes, at: off, size: size)
        case .identifier(let n) where n == "comm" || n == "__builtin_comm":
            zero(off, size)
            scratchPointer(.r1, off)
            asm.emit(.mov(.r2, Int32(min(16, size))), .call(.getCurrentComm))
        case .identifier where e.isArgs && [.tracepointRecord, .contextWords, .debugInfo].contains(target.kind.argsLayout):
            // `args` as a value: a record of the tracepoint's fields or the function's arguments.
            guard case .record(let fields) = type else { throw CompileError(message: "args is a record here", range: e.range) }
            for (field, at) in zip(fields, Layout.offsets(fields.map(\.type))) {
                let access = Expr(.field(e, field.name, arrow: false), e.range)
                access.type = field.type
                try place(access, field.type, at: off + at)
            }
        case .identifier(let n) where n == "probe" || n == "__builtin_probe":
            writeBytes(Array(target.name.utf8), at: off, size: size)
        case .identifier(let n) where n == "probetype" || n == "__builtin_probetype":
            // BEGIN and END are bpftrace's "special" probes.
            writeBytes(Array(target.kind.probetypeName.utf8), at: off, size: size)
        case .call(let n, let args) where args.isEmpty && ["comm", "probe", "probetype"].contains(n.hasPrefix("__builtin_") ? String(n.dropFirst(10)) : n):
            try place(Expr(.identifier(n.hasPrefix("__builtin_") ? String(n.dropFirst(10)) : n), e.range), type, at: off)
        case .positional(let n):
            writeBytes(Array((n <= compiler.positional.count ? compiler.positional[n - 1] : "").utf8), at: off, size: size)
        case .variable(let name):
            guard let v = variables[name], case .scratch(let src) = v.slot else { throw CompileError(message: "undefined variable $\(name)", range: e.range) }
            let have = Layout.size(v.type)
            copyWords(from: .r7, src, to: off, min(have, size))
            if size > have { zero(off + have, size - have) }
        case .map(let name, let keys):
            let map = compiler.maps[name]!
            let key = try buildKey(map, keys, e.range)
            lookup(map, key: key)
            let missing = label("mmiss"), end = label("mend")
            asm.jump(.jeq, .r0, 0, to: missing)
            asm.emit(.mov(.r8, .r0))
            let have = Layout.size(map.value)
            copyWords(from: .r8, 0, to: off, min(have, size))
            if size > have { zero(off + have, size - have) }
            asm.goto(end)
            asm.label(missing)
            zero(off, size)
            asm.label(end)
        case .tuple(let elements):
            let types: [SType]
            if case .tuple(let ts) = type, ts.count == elements.count { types = ts } else { types = elements.map { $0.type ?? .u64 } }
            for (element, (t, at)) in zip(elements, zip(types, Layout.offsets(types))) { try place(element, t, at: off + at) }
        case .record(let fields):
            let types: [SType]
            if case .record(let fs) = type, fs.count == fields.count {
                // Same names: the declared layout places them; the written order evaluates them.
                let offsets = Layout.offsets(fs.map(\.type))
                for (name, value) in fields {
                    guard let i = fs.firstIndex(where: { $0.name == name }) else { continue }
                    try place(value, fs[i].type, at: off + offsets[i])
                }
                return
            }
            types = fields.map { $0.1.type ?? .u64 }
            for (field, (t, at)) in zip(fields, zip(types, Layout.offsets(types))) { try place(field.1, t, at: off + at) }
        case .index(let x, let i) where isMemory(e.type):
            // A row of a nested array (`y[1]` of `int y[2][2]`): its bytes, at a constant index.
            guard case .array(let element, let n)? = x.type, let k = i.foldedConstant else {
                throw CompileError(message: "a row of an array is indexed by a constant", range: i.range)
            }
            guard k >= 0, k < n else { throw CompileError(message: "the index \(k) is out of bounds for array of size \(n)", range: i.range) }
            let base = try memory(x), rowSize = Layout.elementSize(element)
            try copyMemory(from: base + Int(k) * rowSize, have: rowSize, to: off, size: size)
        case .tupleIndex(let x, let i):
            guard case .tuple(let ts) = x.type ?? .unknown, i < ts.count else { throw CompileError(message: "'.\(i)' needs a tuple", range: e.range) }
            let base = try memory(x)
            try copyMemory(from: base + Layout.offsets(ts)[i], have: Layout.size(ts[i]), to: off, size: size)
        case .field(let x, let name, _) where isMemory(x.type) && !x.isArgs:
            guard case .record(let fs) = x.type!, let i = fs.firstIndex(where: { $0.name == name }) else {
                throw CompileError(message: "no field '\(name)'", range: e.range)
            }
            let base = try memory(x)
            try copyMemory(from: base + Layout.offsets(fs.map(\.type))[i], have: Layout.size(fs[i].type), to: off, size: size)
        case .unary(.deref, let pointer):
            // *p of a string, tuple or record: copy its bytes from memory.
            try scalar(pointer)
            asm.emit(.mov(.r3, .r0), .mov(.r2, Int32(min(size, Layout.size(e.type ?? type)))))
            scratchPointer(.r1, off)
            asm.emit(.call(readsUserMemory ? .probeReadUser : .probeReadKernel))
        case .call("str", let args):
            try readString(args, into: off, size: size, e)
        case .call("getopt", let args):
            try placeOption(args, at: off, size: size, e)
        case .call("ntop", let args):
            try placeInet(args, at: off, e)
        case .call("path", let args):
            guard case .string(let n) = type else { throw CompileError(message: "path() makes a string", range: e.range) }
            try placePath(args, at: off, size: min(n, size), e)
        case .call(let n, let args) where (n == "comm" || n == "__builtin_comm") && args.count == 2:
            try placeCommOfProcess(args, at: off, size: size, e)
        case .call("macaddr", let args):
            try placeMACAddress(args[0], at: off, e)
        case .call("pton", let args):
            guard case .string(let literal) = args[0].kind,
                  let bytes = Self.addressBytes(String(decoding: literal.prefix { $0 != 0 }, as: UTF8.self)) else {
                throw CompileError(message: "pton() needs an IPv4 or IPv6 address literal", range: e.range)
            }
            zero(off, size)
            writeRawBytes(bytes, at: off)
        case .call("buf", let args):
            guard case .buffer(let capacity) = type else { throw CompileError(message: "buf() makes a buffer", range: e.range) }
            try readBuffer(args, into: off, capacity: capacity, e)
        case .call("strftime", let args):
            // The format stays in user space: the value is its index and the time.
            guard case .string(let fmt) = args[0].kind else { throw CompileError(message: "strftime() needs a literal format", range: args[0].range) }
            compiler.timeFormats.append(String(decoding: fmt.prefix { $0 != 0 }, as: UTF8.self))
            try scalar(args[1])
            asm.emit(.store(.u64, .r7, Int16(off + 8), .r0), .mov(.r0, Int32(compiler.timeFormats.count - 1)), .store(.u64, .r7, Int16(off), .r0))
        case .field where e.member != nil:
            try placeMember(e, e.member!, at: off, size: size)
        case .field(let x, let name, _) where x.isArgs || x.type == .probeArgs:
            try tracepointMemoryField(name, into: off, size: size, e)
        case .block(let b):
            guard let v = b.valueExpression else { throw CompileError(message: "this block has no value", range: e.range) }
            for s in b.statements.dropLast(b.value == nil ? 1 : 0) { try statement(s) }
            try place(v, type, at: off)
        case .ifExpr(let s):
            guard case .ifElse(let cond, let then, let otherwise) = s.kind, let otherwise else {
                throw CompileError(message: "an if without else has no value", range: e.range)
            }
            let elseLabel = label("ielse"), end = label("iend")
            try scalar(cond)
            asm.jump(.jeq, .r0, 0, to: elseLabel)
            try place(Expr(.block(then), then.range), type, at: off)
            asm.goto(end)
            asm.label(elseLabel)
            switch otherwise.kind {
            case .block(let b): try place(Expr(.block(b), b.range), type, at: off)
            default: try place(Expr(.ifExpr(otherwise), otherwise.range), type, at: off)
            }
            asm.label(end)
        case .ternary(let c, let a, let b):
            let elseLabel = label("telse"), end = label("tend")
            try scalar(c)
            asm.jump(.jeq, .r0, 0, to: elseLabel)
            try place(a ?? c, type, at: off)
            asm.goto(end)
            asm.label(elseLabel)
            try place(b, type, at: off)
            asm.label(end)
        case .cast(_, let x) where { if case .array = type { true } else { false } }():
            // (int8[8])v: the value's own bytes seen as an array.
            if let xt = x.type, isMemory(xt) {
                try place(x, xt, at: off)
            } else {
                try scalar(x)
                asm.emit(.store(.u64, .r7, Int16(off), .r0))
                if size > 8 { zero(off + 8, size - 8) }
            }
        default:
            throw CompileError(message: "Auger cannot compile this \(e.type ?? .unknown) value yet", range: e.range)
        }
    }

    /// Copies a value within scratch, zero-filling when the target is larger.
    func copyMemory(from src: Int, have: Int, to dst: Int, size: Int) throws(CompileError) {
        copyWords(from: .r7, src, to: dst, min(have, size))
        if size > have { zero(dst + have, size - have) }
    }

    /// Stores literal bytes, zero-padded to `size`, eight at a time.
    func writeBytes(_ bytes: [UInt8], at off: Int, size: Int) {
        var at = 0
        while at < size {
            var word: UInt64 = 0
            for i in 0..<8 where at + i < bytes.count && at + i < size - 1 { word |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            if word == 0 {
                asm.emit(.store(.u64, .r7, Int16(off + at), imm: 0))
            } else if let small = Int32(exactly: Int64(bitPattern: word)) {
                asm.emit(.store(.u64, .r7, Int16(off + at), imm: small))
            } else {
                asm.emit(Instruction.loadImm64(.r1, word))
                asm.emit(.store(.u64, .r7, Int16(off + at), .r1))
            }
            at += 8
        }
    }

    /// str(ptr [, n]): a NUL-terminated string read from kernel or user memory.
    func readString(_ args: [Expr], into off: Int, size: Int, _ e: Expr) throws(CompileError) {
        guard let pointer = args.first else { return }
        if case .positional = pointer.kind {
            try place(pointer, .string(size), at: off)
            return
        }
        if isMemory(pointer.type) {
            try place(pointer, e.type ?? .string(size), at: off)
            return
        }
        zero(off, size)
        // The slot may be rounded up; the string holds what its type says, the NUL among it.
        var limit = size
        if case .string(let capacity)? = e.type { limit = min(size, capacity) }
        // str(p, n) reads at most n bytes, the terminating NUL among them.
        if args.count > 1, let n = args[1].foldedConstant { limit = Int(max(1, min(Int64(size), n))) }
        if args.count > 1, args[1].foldedConstant == nil {
            try scalar(args[1])
            asm.emit(.jump(.jle, .r0, Int32(limit), 1), .mov(.r0, Int32(limit)))
            let tmp = try pushTemp(e.range)
            asm.emit(.store(.u64, fp, tmp, .r0))
            try scalar(pointer)
            asm.emit(.mov(.r3, .r0), .load(.u64, .r2, fp, tmp))
            popTemp()
            asm.emit(.jump(.jgt, .r2, 0, 1), .mov(.r2, 1))
        } else {
            try scalar(pointer)
            asm.emit(.mov(.r3, .r0), .mov(.r2, Int32(limit)))
        }
        scratchPointer(.r1, off)
        asm.emit(.call(pointsIntoUser(pointer, unknown: seesUserPointers) ? .probeReadUserStr : .probeReadKernelStr))
    }

    /// Pointer arguments of syscall tracepoints point into user memory.
    var isSyscallTracepoint: Bool {
        if case .tracepoint(category: "syscalls", _, _) = target.location { return true }
        if case .syscall = target.location { return true }
        return false
    }

    /// Whether the probe's pointer arguments point into the traced process
    /// (syscall tracepoints, uprobes): str(), buf() and join() read a
    /// pointer of unknown origin (a map value, an integer) there too.
    var seesUserPointers: Bool { readsUserMemory || isSyscallTracepoint }

    /// A char array or __data_loc string field of a tracepoint record.
    func tracepointMemoryField(_ name: String, into off: Int, size: Int, _ e: Expr) throws(CompileError) {
        guard let field = target.format?.fields.first(where: { $0.name == name }) else {
            throw CompileError(message: "\(target.name) has no field '\(name)'", range: e.range)
        }
        zero(off, size)
        scratchPointer(.r1, off)
        if field.isDataLoc {
            // The field holds (length << 16 | offset) of the data within the record.
            asm.emit(.load(.u32, .r3, recordBase, Int16(recordOffset + field.offset)), .alu64(.and, .r3, 0xffff), .alu64(.add, .r3, recordBase))
            if recordOffset != 0 { asm.emit(.alu64(.add, .r3, Int32(recordOffset))) }
            asm.emit(.mov(.r2, Int32(size)), .call(.probeReadKernelStr))
        } else {
            asm.emit(.mov(.r3, recordBase), .alu64(.add, .r3, Int32(recordOffset + field.offset)), .mov(.r2, Int32(min(size, field.size))), .call(.probeReadKernel))
            // A char array may fill its field; keep the last byte a terminator.
            if size <= field.size { asm.emit(.store(.u8, .r7, Int16(off + size - 1), imm: 0)) }
        }
    }
}

/// Offsets into x86_64's struct pt_regs.
public enum Registers {
    public static let arguments = [112, 104, 96, 88, 72, 64]  // di, si, dx, cx, r8, r9
    static let returnValue = 80                         // ax
    static let instructionPointer = 128                 // ip
    /// x86_64's struct pt_regs, by the names reg() takes.
    static let offsets: [String: Int] = [
        "r15": 0, "r14": 8, "r13": 16, "r12": 24, "bp": 32, "bx": 40, "r11": 48, "r10": 56, "r9": 64, "r8": 72,
        "ax": 80, "cx": 88, "dx": 96, "si": 104, "di": 112, "orig_ax": 120, "ip": 128, "pc": 128, "cs": 136,
        "flags": 144, "sp": 152, "ss": 160,
    ]
}

extension Array where Element == PreambleItem {
    /// The value of an enum constant defined in the script's C definitions.
    func enumValue(_ name: String) -> Int64? {
        for item in self {
            if case .cDefinition(let text, _) = item, let v = CDefinitions.enumConstants(in: text)[name] { return v }
        }
        return nil
    }
}
