import AugerScript
import BPF
#if canImport(Glibc)
import Glibc
#endif

extension ProbeCodeGen {
    /// Functions used as statements: output and map management.
    func callStatement(_ name: String, _ args: [Expr], _ e: Expr) throws(CompileError) {
        switch name {
        case "static_assert":
            break  // checked while type checking
        case "signal", "signal_thread":
            compiler.unsafeCalls.append((name, e.range))
            try scalar(args[0])
            asm.emit(.mov(.r1, .r0), .call(name == "signal" ? .sendSignal : .sendSignalThread))
        case "fail":
            // Reached while generating code: the script does not compile, with this message.
            throw CompileError(message: failMessage(args), range: e.range)
        case "printf", "system", "cat", "errorf", "warnf":
            guard let fmtBytes = args.first?.literalString, let format = try? FormatString(fmtBytes) else {
                throw CompileError(message: "\(name)() needs a literal format string", range: e.range)
            }
            let rest = Array(args.dropFirst())
            let types = rest.map { recordType($0) }
            let (id, offsets) = compiler.registerFormat(name, format, types, range: e.range)
            compiler.formattedCalls[id].expandedFrom = e.expandedFrom
            let kind: EventKind = name == "system" ? .system : name == "cat" ? .cat : name == "errorf" || name == "warnf" ? .message : .printf
            try emitRecord(kind, id: id, size: 8 + types.reduce(0) { $0 + Layout.size($1) }, e.range) { base throws(CompileError) in
                for (arg, (t, off)) in zip(rest, zip(types, offsets)) { try place(arg, t, at: base + off) }
            }
        case "print":
            guard let first = args.first else { return }
            if case .map(let m, let keys) = first.kind, keys.isEmpty, first.type == .map {
                let index = try mapIndex(m, e)
                try emitRecord(.printMap, id: index, size: 24, e.range) { base throws(CompileError) in
                    for (i, a) in args.dropFirst().enumerated() {
                        try scalar(a)
                        asm.emit(.store(.u64, .r7, Int16(base + 8 + 8 * i), .r0))
                    }
                    if args.count < 2 { asm.emit(.store(.u64, .r7, Int16(base + 8), imm: 0)) }
                    if args.count < 3 { asm.emit(.store(.u64, .r7, Int16(base + 16), imm: 0)) }
                }
            } else {
                let t = recordType(first)
                compiler.printedValues.append(t)
                try emitRecord(.printValue, id: compiler.printedValues.count - 1, size: 8 + Layout.size(t), e.range) { base throws(CompileError) in
                    try place(first, t, at: base + 8)
                }
            }
        case "clear", "zero":
            guard case .map(let m, _) = args.first?.kind else { return }
            let index = try mapIndex(m, e)
            try emitRecord(name == "clear" ? .clearMap : .zeroMap, id: index, size: 8, e.range) { _ throws(CompileError) in }
        case "delete":
            let mapExpr: Expr, keys: [Expr]
            if args.count == 2 { (mapExpr, keys) = (args[0], [args[1]]) } else { (mapExpr, keys) = (args[0], []) }
            guard case .map(let m, let inner) = mapExpr.kind, let map = compiler.maps[m] else { return }
            let key = try buildKey(map, args.count == 2 ? keys : inner, e.range)
            asm.loadMap(.r1, map.spec.name)
            scratchPointer(.r2, key)
            asm.emit(.call(.mapDeleteElem))
        case "exit":
            try emitRecord(.exit, id: 0, size: 16, e.range, flags: 2 /* BPF_RB_FORCE_WAKEUP */) { base throws(CompileError) in
                if let code = args.first { try scalar(code) } else { asm.emit(.mov(.r0, 0)) }
                asm.emit(.store(.u64, .r7, Int16(base + 8), .r0))
            }
            // Raise the stop flag now, not when user space reads the record:
            // no probe fires after exit() has run. An iterator, as in
            // bpftrace, still visits every object of the read that runs it.
            if target.kind != .iter {
                asm.loadMapValue(.r1, CompiledScript.globalsName, offset: UInt32(CompiledScript.stoppedOffset))
                asm.emit(.store(.u64, .r1, 0, imm: 1))
            }
            jump(to: returnLabel)
            terminated = true
        case "debugf":
            try debugf(args, e)
        case "join":
            try join(args, e)
        case "time":
            let fmt = args.first?.literalString.map { String(decoding: $0, as: UTF8.self) } ?? "%H:%M:%S\n"
            compiler.timeFormats.append(fmt)
            try emitRecord(.time, id: compiler.timeFormats.count - 1, size: 8, e.range) { _ throws(CompileError) in }
        case "unwatch":
            try emitRecord(.unwatch, id: 0, size: 16, e.range) { base throws(CompileError) in
                try scalar(args[0])
                asm.emit(.store(.u64, .r7, Int16(base + 8), .r0))
            }
        default:
            throw CompileError(message: "\(name)() is not supported yet", range: e.range)
        }
    }

    /// join(argv [, sep]): copies the strings of a NULL-terminated array of
    /// pointers (such as execve's argv) into one record.
    func join(_ args: [Expr], _ e: Expr) throws(CompileError) {
        let n = CompiledScript.joinArguments, size = CompiledScript.joinArgumentSize
        compiler.joinSeparators.append(args.count > 1 ? args[1].literalString.map { String(decoding: $0, as: UTF8.self) } ?? " " : " ")
        let id = compiler.joinSeparators.count - 1
        let array = try pushTemp(e.range), element = try pushTemp(e.range)
        try scalar(args[0])
        asm.emit(.store(.u64, fp, array, .r0))
        let read: Helper = pointsIntoUser(args[0], unknown: seesUserPointers) ? .probeReadUser : .probeReadKernel
        let readString: Helper = read == .probeReadUser ? .probeReadUserStr : .probeReadKernelStr
        try emitRecord(.join, id: id, size: 16 + n * size, e.range) { base throws(CompileError) in
            zero(base + 8, 8 + n * size)
            let done = label("jdone")
            for i in 0..<n {
                asm.emit(.mov(.r1, fp), .alu64(.add, .r1, Int32(element)), .mov(.r2, 8))
                asm.emit(.load(.u64, .r3, fp, array), .alu64(.add, .r3, Int32(8 * i)), .call(read))
                asm.jump(.jne, .r0, 0, to: done)
                asm.emit(.load(.u64, .r3, fp, element))
                asm.jump(.jeq, .r3, 0, to: done)
                scratchPointer(.r1, base + 16 + i * size)
                asm.emit(.mov(.r2, Int32(size)), .call(readString))
                asm.emit(.store(.u64, .r7, Int16(base + 8), imm: Int32(i + 1)))
            }
            asm.label(done)
        }
        popTemp()
        popTemp()
    }

    /// The type a value is sent to user space as.
    func recordType(_ e: Expr) -> SType {
        let t = e.type ?? .u64
        return t == .unknown || t == .probeArgs ? .u64 : t
    }

    func mapIndex(_ name: String, _ e: Expr) throws(CompileError) -> Int {
        guard let map = compiler.maps[name] else { throw CompileError(message: "unknown map @\(name)", range: e.range) }
        return map.id
    }

    /// Builds a ring buffer record `[kind << 32 | id][payload]` in scratch and sends it.
    func emitRecord(_ kind: EventKind, id: Int, size: Int, _ range: SourceRange, flags: Int32 = 0,
                    _ fill: (Int) throws(CompileError) -> Void) throws(CompileError) {
        let base = try scratch(size, range)
        try fill(base)
        asm.emit(Instruction.loadImm64(.r1, kind.rawValue << 32 | UInt64(id)))
        asm.emit(.store(.u64, .r7, Int16(base), .r1))
        asm.loadMap(.r1, CompiledScript.ringBufferName)
        scratchPointer(.r2, base)
        asm.emit(.mov(.r3, Int32(Layout.roundUp(size))), .mov(.r4, flags), .call(.ringbufOutput))
        // A full ring buffer drops the record: count it for the report at exit.
        let sent = label("sent")
        asm.jump(.jeq, .r0, 0, to: sent)
        asm.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))
        asm.loadMap(.r1, CompiledScript.globalsName)
        asm.emit(.call(.mapLookupElem))
        asm.jump(.jeq, .r0, 0, to: sent)
        asm.emit(.mov(.r1, 1), .atomic(.add, .u64, .r0, Int16(CompiledScript.lostEventsOffset), .r1))
        asm.label(sent)
    }

    /// fail()'s message: its format with its literal arguments.
    func failMessage(_ args: [Expr]) -> String {
        guard let bytes = args.first?.literalString, let format = try? FormatString(bytes) else { return "fail()" }
        var values = args.dropFirst().makeIterator()
        var out = ""
        for piece in format.pieces {
            switch piece {
            case .text(let t): out += String(decoding: t, as: UTF8.self)
            case .conversion(let c):
                guard let v = values.next() else { continue }
                if let s = v.literalString { out += String(decoding: s.prefix { $0 != 0 }, as: UTF8.self); continue }
                let n = foldedWithParameters(v) ?? 0
                switch c.specifier {
                case "x": out += String(UInt64(bitPattern: n), radix: 16)
                case "X": out += String(UInt64(bitPattern: n), radix: 16).uppercased()
                case "u": out += String(UInt64(bitPattern: n))
                case "c": out += String(UnicodeScalar(UInt8(truncatingIfNeeded: n)))
                default: out += String(n)
                }
            }
        }
        return out
    }

    /// Functions that produce a scalar.
    func scalarCall(_ written: String, _ args: [Expr], _ e: Expr) throws(CompileError) {
        if let f = compiler.checked.functions[written] {
            try callUserFunction(f, args, e)
            return
        }
        let name = written.hasPrefix("__builtin_") ? String(written.dropFirst(10)) : written
        if name == "kstack" || name == "ustack" {
            try stack(user: name == "ustack", e)
            return
        }
        if args.isEmpty, ["pid", "tid", "uid", "username", "gid", "nsecs", "elapsed", "cpu", "cgroup", "rand", "curtask", "jiffies", "ncpus", "usermode", "retval", "func", "cpid", "numaid"].contains(name) {
            try builtin(name, e)
            return
        }
        switch name {
        case "has_key":
            guard case .map(let m, _) = args[0].kind, let map = compiler.maps[m] else { return }
            let key = try buildKey(map, [args[1]], e.range)
            lookup(map, key: key)
            asm.emit(.mov(.r1, .r0), .mov(.r0, 1), .jump(.jne, .r1, 0, 1), .mov(.r0, 0))
        case "delete":
            // map_delete_elem gives 0, or -ENOENT when there was no such element.
            try callStatement("delete", args, e)
            asm.emit(.mov(.r1, .r0), .mov(.r0, 1), .jump(.jeq, .r1, 0, 1), .mov(.r0, 0))
        case "ksym", "usym", "kptr", "uptr", "strerror", "signal_name", "cgroup_path":
            try scalar(args[0])
        case "bswap":
            try scalar(args[0])
            let bits = (args[0].type.map { Layout.elementSize($0) } ?? 8) * 8
            if bits > 8 { asm.emit(.endian(bigEndian: true, .r0, bits: Int32(bits))) } // one byte is its own swap
        case "len" where args.count == 1:
            switch args[0].type {
            case .kstack(let format)?: try stackDepth(user: false, format, e)
            case .ustack(let format)?: try stackDepth(user: true, format, e)
            default: try mapLength(args[0], e.range)
            }
        case "getopt":
            try scalarOption(args, e)
        case "strlen" where args.count == 1:
            try strlen(args[0], e)
        case "cgroupid":
            // A cgroup's id is its directory's inode number in the cgroup2 filesystem.
            guard case .string(let bytes) = args[0].kind else { throw CompileError(message: "cgroupid() needs a literal path", range: e.range) }
            let path = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw CompileError(message: "cgroupid(): cannot find cgroup '\(path)': \(String(cString: strerror(errno)))", range: args[0].range)
            }
            constant(Int64(bitPattern: UInt64(st.st_ino)))
        case "strncmp":
            try strncmp(args, e)
        case "strcontains", "strstr":
            try search(args, e, index: name == "strstr")
        case "memcmp":
            try memcmp(args, e)
        case "strcap":
            // A string's capacity is its type's; a pointer's, the most str() reads.
            if case .pointer? = args[0].type { constant(Int64(compiler.checked.maxStrlen)) } else { constant(Int64(stringCapacity(args[0].type))) }
        case "default_str_length":
            constant(Int64(compiler.checked.maxStrlen))
        case "syscall_name":
            try scalar(args[0])
        case "find":
            // The value is copied only when the lookup finds the key.
            guard case .map(let m, _) = args[0].kind, let map = compiler.maps[m], args.count == 4 else { return }
            let key = try buildKey(map, [args[1]], e.range)
            lookup(map, key: key)
            let missing = label("fmiss"), end = label("fend")
            asm.jump(.jeq, .r0, 0, to: missing)
            try assign(args[2], nil, args[3], e.range)
            asm.emit(.mov(.r0, 1))
            asm.goto(end)
            asm.label(missing)
            asm.emit(.mov(.r0, 0))
            asm.label(end)
        case "nsecs":
            asm.emit(.call(.ktimeGetNs))
        case "pid", "tid":
            // pid(curr_ns), pid(init)
            let initial: Bool = { if case .identifier("init") = args.first?.kind { return true } else { return false } }()
            try processID(thread: name == "tid", inCurrentNamespace: !initial, e.range)
        case "write_user":
            try writeUser(args, e)
        case "percpu_kaddr":
            // ld_imm64 of the variable's BTF id, then this CPU's (or `cpu`'s) copy.
            let symbol = args.first?.literalString.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard let id = compiler.checked.percpuVariables[symbol] else {
                throw CompileError(message: "Could not resolve variable \"\(symbol)\" from BTF", range: e.range)
            }
            if args.count > 1 {
                try scalar(args[1])
                asm.emit(.mov(.r2, .r0))
            }
            mark(e.range)
            asm.emit(Instruction.loadImm64(.r1, UInt64(id), pseudo: PseudoSource.btfID))
            asm.emit(.call(args.count > 1 ? .perCpuPtr : .thisCpuPtr))
        case "reg":
            let name = args.first?.literalString.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard target.kind.contextHasRegisters else {
                throw CompileError(message: "reg() can not be used in \(target.kind.name) probes: their context has no registers", range: e.range)
            }
            guard let offset = Registers.offsets[name] else { throw CompileError(message: "'\(name)' is not a register on x86_64", range: e.range) }
            asm.emit(.load(.u64, .r0, .r6, Int16(offset)))
        case "uaddr":
            try userSymbolAddress(args.first?.literalString.map { String(decoding: $0, as: UTF8.self) } ?? "", e)
        case "kaddr":
            let symbol = args.first?.literalString.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard let address = compiler.kernelSymbolAddress(symbol) else {
                throw CompileError(message: "Failed to resolve kernel symbol: \(symbol)", range: e.range)
            }
            asm.emit(Instruction.loadImm64(.r0, address))
        default:
            throw CompileError(message: "\(name)() is not supported yet", range: e.range)
        }
    }

    /// r0 = where a variable of the probed file is in the process: its
    /// address in the file, plus, for a position-independent file, the load
    /// bias, which the probe's own address tells (ip less where the file puts it).
    func userSymbolAddress(_ symbol: String, _ e: Expr) throws(CompileError) {
        let place: (path: String, address: UInt64?)?
        switch target.location {
        case .userFunction(let path, _, let offset) where target.kind == .uprobe: place = (path, compiler.userAddress(path, offset))
        case .userFunction(let path, _, _): place = (path, nil)
        case .usdt(let path, let address, _, _, _): place = (path, address)
        default: place = nil
        }
        guard let place, let found = compiler.userSymbol(place.path, symbol) else {
            throw CompileError(message: "Could not resolve symbol: \(target.name.split(separator: ":").dropFirst().first ?? ""):\(symbol)", range: e.range)
        }
        guard found.positionIndependent else {
            asm.emit(Instruction.loadImm64(.r0, found.address))
            return
        }
        guard let probeAddress = place.address else {
            throw CompileError(message: "uaddr(\"\(symbol)\") in a position-independent file needs a uprobe at a function's entry or a usdt probe", range: e.range)
        }
        asm.emit(.load(.u64, .r0, .r6, Int16(Registers.instructionPointer)))
        asm.emit(Instruction.loadImm64(.r1, found.address &- probeAddress))
        asm.emit(.alu64(.add, .r0, .r1))
    }

    /// debugf(fmt, …): bpf_trace_printk into the kernel's trace buffer
    /// (tracefs `trace`/`trace_pipe`), for debugging a script. The kernel
    /// takes at most three values; integers print as 64-bit.
    func debugf(_ args: [Expr], _ e: Expr) throws(CompileError) {
        guard let bytes = args.first?.literalString, let format = try? FormatString(bytes) else {
            throw CompileError(message: "debugf() needs a literal format string", range: e.range)
        }
        let values = Array(args.dropFirst())
        guard values.count <= 3 else {
            throw CompileError(message: "debugf() takes at most 3 values after the format (bpf_trace_printk's limit)", range: e.range)
        }
        let text = Array(format.kernelText.utf8) + [0]
        let fmt = try scratch(Layout.roundUp(text.count), e.range)
        writeBytes(text, at: fmt, size: Layout.roundUp(text.count))
        var slots: [Int16] = []
        for v in values {
            let slot = try pushTemp(e.range)
            if let t = v.type, isMemory(t) {
                // A string goes by address.
                let off = try scratch(Layout.size(t), e.range)
                try place(v, t, at: off)
                scratchPointer(.r0, off)
            } else {
                try scalar(v)
            }
            asm.emit(.store(.u64, fp, slot, .r0))
            slots.append(slot)
        }
        scratchPointer(.r1, fmt)
        asm.emit(.mov(.r2, Int32(text.count)))
        for (slot, register) in zip(slots, [Register.r3, .r4, .r5]) { asm.emit(.load(.u64, register, fp, slot)) }
        asm.emit(.call(.tracePrintk))
        for _ in slots { popTemp() }
    }

    /// write_user(dst, src, n): bpf_probe_write_user of n bytes of src (at
    /// most its size) to the user address dst; r0 = 0 or -errno.
    func writeUser(_ args: [Expr], _ e: Expr) throws(CompileError) {
        guard args.count == 3, let t = args[1].type else { throw CompileError(message: "write_user() takes (address, value, length)", range: e.range) }
        compiler.unsafeCalls.append(("write_user", e.range))
        let size = max(1, Layout.size(t))
        guard let n = args[2].foldedConstant, n > 0 else { throw CompileError(message: "write_user() needs a constant length", range: args[2].range) }
        let src = try scratch(size, e.range)
        if t.isInteger { try scalar(args[1]); asm.emit(.store(.u64, .r7, Int16(src), .r0)) } else { try place(args[1], t, at: src) }
        try scalar(args[0])
        asm.emit(.mov(.r1, .r0))
        scratchPointer(.r2, src)
        asm.emit(.mov(.r3, Int32(min(Int(n), size))), .call(.probeWriteUser))
    }
}
