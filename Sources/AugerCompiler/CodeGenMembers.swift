import AugerScript
import BPF

/// Fields of kernel structs (`curtask->real_parent->pid`): addresses from the
/// offsets BTF gave the type checker, values read with bpf_probe_read_kernel.
extension ProbeCodeGen {
    /// r0 = the kernel address of a member expression.
    func memberAddress(_ e: Expr) throws(CompileError) {
        guard case .field(let x, _, _) = e.kind, let member = e.member else {
            throw CompileError(message: "this is not a field of a kernel struct", range: e.range)
        }
        switch x.type ?? .unknown {
        case .pointer:
            try scalar(x)
        case .cType:
            // A struct reached through another field, or by dereferencing a pointer.
            if x.member != nil {
                try memberAddress(x)
            } else if case .unary(.deref, let p) = x.kind {
                try scalar(p)
            } else if case .index(let base, let i) = x.kind, base.member != nil || base.type?.isPointer == true {
                // An element of an array of structs (`$c->elems[1].a`), or of what a pointer points at.
                if case .array(_, let n)? = base.type, n > 0, let k = i.foldedConstant, k < 0 || k >= n {
                    throw CompileError(message: "the index \(k) is out of bounds for array of size \(n)", range: i.range)
                }
                try scalar(i)
                let tmp = try pushTemp(x.range)
                asm.emit(.alu64(.mul, .r0, Int32(cLayout(x.type ?? .u8).size)), .store(.u64, fp, tmp, .r0))
                if base.member != nil { try memberAddress(base) } else { try scalar(base) }
                asm.emit(.load(.u64, .r1, fp, tmp), .alu64(.add, .r0, .r1))
                popTemp()
            } else {
                throw CompileError(message: "cannot take the address of this struct value", range: x.range)
            }
        default:
            throw CompileError(message: "fields are read through pointers to kernel structs", range: x.range)
        }
        if member.byteOffset != 0 { asm.emit(.alu64(.add, .r0, Int32(member.byteOffset))) }
    }

    /// r0 = the value of an integer or pointer member.
    func readMember(_ e: Expr, _ member: StructField) throws(CompileError) {
        let width = member.bitSize > 0 ? (member.bitOffset + member.bitSize + 7) / 8 : (member.type.byteSize ?? 8)
        guard width >= 1, width <= 8 else {
            throw CompileError(message: "a \(member.type) field cannot be used as a number", range: e.range)
        }
        try memberAddress(e)
        let tmp = try pushTemp(e.range)
        asm.emit(.store(.u64, fp, tmp, imm: 0), .mov(.r3, .r0), .mov(.r1, fp), .alu64(.add, .r1, Int32(tmp)), .mov(.r2, Int32(width)))
        asm.emit(.call(pointsIntoUser(e) ? .probeReadUser : .probeReadKernel), .load(.u64, .r0, fp, tmp))
        popTemp()
        if member.bitSize > 0 {
            if member.bitOffset > 0 { asm.emit(.alu64(.rsh, .r0, Int32(member.bitOffset))) }
            if member.bitSize < 32 {
                asm.emit(.alu64(.and, .r0, Int32((1 << member.bitSize) - 1)))
            } else if member.bitSize < 64 {
                asm.emit(.alu64(.lsh, .r0, Int32(64 - member.bitSize)), .alu64(.rsh, .r0, Int32(64 - member.bitSize)))
            }
        } else if member.type.isSigned, width < 8 {
            asm.emit(.alu64(.lsh, .r0, Int32(64 - 8 * width)), .alu64(.arsh, .r0, Int32(64 - 8 * width)))
        }
    }

    /// A char array member, as a string in scratch at `off`; an array of
    /// integers (any dimensions) as its bytes.
    func placeMember(_ e: Expr, _ member: StructField, at off: Int, size: Int) throws(CompileError) {
        if case .array = member.type, let bytes = Self.cSize(member.type), bytes > 0 {
            zero(off, size)
            try memberAddress(e)
            asm.emit(.mov(.r3, .r0), .mov(.r2, Int32(min(bytes, size))))
            scratchPointer(.r1, off)
            asm.emit(.call(pointsIntoUser(e) ? .probeReadUser : .probeReadKernel))
            return
        }
        guard case .string(let n) = member.type else {
            throw CompileError(message: "Auger cannot copy a \(member.type) field yet", range: e.range)
        }
        zero(off, size)
        try memberAddress(e)
        asm.emit(.mov(.r3, .r0), .mov(.r2, Int32(min(n, size))))
        scratchPointer(.r1, off)
        asm.emit(.call(pointsIntoUser(e) ? .probeReadUser : .probeReadKernel))
        // No NUL is added: a char array it fills prints whole (`char s[5]` = "hello"), as bpftrace prints it.
    }

    /// The bytes C gives an array of integers or pointers (nested arrays too), which is
    /// also how Auger lays one out; nil for other element types.
    static func cSize(_ t: SType) -> Int? {
        switch t {
        case .array(let element, let n): cSize(element).map { $0 * n }
        case .integer(let bits, _): bits / 8
        case .pointer: 8
        default: nil
        }
    }

    /// r0 = a pointer the verifier knows the BTF type of (helpers such as
    /// bpf_d_path take no other): an fentry argument, or a field of an
    /// iterator's context, loaded straight from the context; 0 for NULL.
    func trustedPointer(_ e: Expr) throws(CompileError) -> Bool {
        switch e.kind {
        case .field(let x, let name, _) where (x.isArgs || x.type == .probeArgs) && target.kind.argsLayout == .contextWords:
            let word = try contextWord(name, of: x, e)
            asm.emit(.load(.u64, .r0, .r6, Int16(8 * word.slot)))
            return true
        case .field(let x, _, _) where e.member != nil && isContext(x):
            asm.emit(.load(.u64, .r0, .r6, Int16(e.member!.byteOffset)))
            return true
        default:
            return false
        }
    }

    func isContext(_ e: Expr) -> Bool {
        if case .identifier("ctx") = e.kind { return true }
        return false
    }

    /// The kernel functions whose fentry/fexit programs may call bpf_d_path
    /// (the kernel's btf_allowlist_d_path); iterators may too.
    static let dPathFunctions: Set<String> = ["security_file_permission", "security_inode_getattr", "security_file_open",
                                              "security_path_truncate", "vfs_truncate", "vfs_fallocate", "dentry_open",
                                              "vfs_getattr", "filp_close"]

    /// path(p [, size]): bpf_d_path of a `struct path` the verifier can
    /// trust, into a string at `off`. A path longer than the string keeps
    /// its end (the kernel fills the buffer from the back), as bpftrace's does.
    func placePath(_ args: [Expr], at off: Int, size: Int, _ e: Expr) throws(CompileError) {
        if case .tracedFunction(let name, _, _, _) = target.location, !Self.dPathFunctions.contains(name) {
            throw CompileError(message: "helper bpf_d_path not allowed in probe", range: e.range)
        }
        zero(off, size)
        let p = args[0], skip = label("pathnull")
        let isPath: (SType?) -> Bool = { $0 == .cType("struct path") }
        if case .pointer(let pointee)? = p.type, isPath(pointee), try trustedPointer(p) {
            // A struct path * itself.
        } else if isPath(p.type), case .field(let base, _, _) = p.kind, let member = p.member, try trustedPointer(base) {
            asm.jump(.jeq, .r0, 0, to: skip)
            if member.byteOffset != 0 { asm.emit(.alu64(.add, .r0, Int32(member.byteOffset))) }
        } else {
            throw CompileError(message: "path() needs a struct path the kernel's BTF types for this probe, such as args.file.f_path (fentry) or ctx.file.f_path (iter:task_file)", range: p.range)
        }
        asm.jump(.jeq, .r0, 0, to: skip)
        asm.emit(.mov(.r1, .r0))
        scratchPointer(.r2, off)
        asm.emit(.mov(.r3, Int32(size)), .call(.dPath))
        asm.label(skip)
    }

    /// comm(pid): the task bpf_task_from_pid finds (a reference the
    /// verifier makes us give back with bpf_task_release), its name copied;
    /// empty when there is no such process.
    func placeCommOfProcess(_ args: [Expr], at off: Int, size: Int, _ e: Expr) throws(CompileError) {
        guard let offset = args[1].foldedConstant, offset >= 0 else {
            throw CompileError(message: "comm(pid) needs the kernel's BTF for where task_struct keeps the name", range: e.range)
        }
        guard let find = compiler.kernelFunctionID("bpf_task_from_pid"), let release = compiler.kernelFunctionID("bpf_task_release") else {
            throw CompileError(message: "comm(pid) needs the kernel's bpf_task_from_pid (Linux 6.2+)", range: e.range)
        }
        guard target.programType == .tracing else {
            throw CompileError(message: "comm(pid) works in fentry, fexit and iter probes: the kernel lets only tracing programs call bpf_task_from_pid", range: e.range)
        }
        zero(off, size)
        try scalar(args[0])
        let task = try pushTemp(e.range), none = label("nocomm")
        asm.emit(.mov(.r1, .r0), .callKernelFunction(btfID: find))
        asm.jump(.jeq, .r0, 0, to: none)
        asm.emit(.store(.u64, fp, task, .r0), .mov(.r3, .r0), .alu64(.add, .r3, Int32(offset)), .mov(.r2, Int32(min(16, size))))
        scratchPointer(.r1, off)
        asm.emit(.call(.probeReadKernelStr), .load(.u64, .r1, fp, task), .callKernelFunction(btfID: release))
        asm.label(none)
        popTemp()
    }
}
