import AugerScript
import BPF

extension ProbeCodeGen {
    /// The context word holding argument `name` of a raw tracepoint, fentry or
    /// fexit probe, and its type: from the function's signature when the
    /// target has one (wildcards: each target its own), else from `args`' record.
    func contextWord(_ name: String, of args: Expr, _ e: Expr) throws(CompileError) -> (slot: Int, type: SType) {
        if let signature = target.signature {
            guard let word = signature.parameter(name) else {
                throw CompileError(message: "\(target.name) has no argument named '\(name)'", range: e.range)
            }
            return word
        }
        guard case .record(let fields) = args.type ?? .unknown, let i = fields.firstIndex(where: { $0.name == name }) else {
            throw CompileError(message: "the arguments of \(target.name) are not known: it needs the kernel's BTF", range: e.range)
        }
        return (i, fields[i].type)
    }

    /// Evaluates a scalar expression (integer, bool, pointer, symbol address) into r0.
    func scalar(_ e: Expr) throws(CompileError) {
        switch e.kind {
        case .integer(let v):
            constant(Int64(bitPattern: v))
        case .bool(let b):
            asm.emit(.mov(.r0, b ? 1 : 0))
        case .identifier(let name):
            try builtin(name.hasPrefix("__builtin_") ? String(name.dropFirst(10)) : name, e)
        case .variable(let name):
            guard let v = variables[name] else { throw CompileError(message: "undefined variable $\(name)", range: e.range) }
            switch v.slot {
            case .stack(let off): asm.emit(.load(.u64, .r0, fp, off))
            case .scratch(let off): asm.emit(.load(.u64, .r0, .r7, Int16(off)))
            }
        case .positional:
            constant(positionalInteger(e) ?? 0)
        case .paramCount:
            constant(Int64(compiler.positional.count))
        case .map(let name, let keys):
            try readMap(name, keys, e)
        case .call(let name, let args):
            try scalarCall(name, args, e)
        case .unary(let op, let x):
            try unary(op, x, e)
        case .binary(let op, let l, let r):
            try binary(op, l, r, e)
        case .ternary(let c, let a, let b):
            let elseLabel = label("telse"), end = label("tend")
            try scalar(c)
            if a == nil {
                asm.jump(.jne, .r0, 0, to: end)
            } else {
                asm.jump(.jeq, .r0, 0, to: elseLabel)
                try scalar(a!)
                asm.goto(end)
            }
            asm.label(elseLabel)
            try scalar(b)
            asm.label(end)
        case .cast(_, let x):
            if isMemory(x.type) {
                // An array's bytes as an integer, e.g. (uint32)pton("127.0.0.1").
                let off = try memory(x)
                asm.emit(.load(.u64, .r0, .r7, Int16(off)))
            } else {
                try scalar(x)
            }
            truncate(to: e.type ?? .u64)
        case .field(let x, let name, _):
            if x.isArgs || x.type == .probeArgs, target.kind.argsLayout == .contextWords {
                let word = try contextWord(name, of: x, e)
                asm.emit(.load(.u64, .r0, .r6, Int16(8 * word.slot)))
                truncate(to: e.type == nil || e.type == .unknown ? word.type : e.type!)
            } else if x.isArgs, target.kind.argsLayout == .debugInfo, case .record(let fields)? = x.type,
                      let i = fields.firstIndex(where: { $0.name == name }) {
                // A uprobe's parameter by name: its argument register.
                try argument(i, e)
                truncate(to: fields[i].type)
            } else if x.isArgs || x.type == .probeArgs {
                try tracepointField(name, e)
            } else if isMemory(x.type), case .record(let fields) = x.type!, let i = fields.firstIndex(where: { $0.name == name }) {
                let base = try memory(x)
                asm.emit(.load(.u64, .r0, .r7, Int16(base + Layout.offsets(fields.map(\.type))[i])))
            } else if let member = e.member {
                try readMember(e, member)
            } else {
                throw CompileError(message: "Auger does not know the layout of \(x.type ?? .unknown): its type is not in the kernel's BTF", range: e.range)
            }
        case .tupleIndex(let x, let i):
            guard case .tuple(let ts) = x.type ?? .unknown, i < ts.count else {
                throw CompileError(message: "'.\(i)' needs a tuple", range: e.range)
            }
            let base = try memory(x)
            asm.emit(.load(.u64, .r0, .r7, Int16(base + Layout.offsets(ts)[i])))
        case .index(let x, let i):
            try index(x, i, e)
        case .increment(let x, let up, let prefix):
            try increment(x, up: up, prefix: prefix, e)
        case .sizeofType, .sizeofExpr:
            constant(Int64(sizeOf(e)))
        case .block(let b):
            for s in b.statements.dropLast() { try statement(s) }
            if let v = b.valueExpression { try scalar(v) } else if let last = b.statements.last { try statement(last); asm.emit(.mov(.r0, 0)) }
        case .ifExpr(let s):
            guard case .ifElse(let cond, let then, let otherwise) = s.kind else { return }
            let elseLabel = label("ielse"), end = label("iend")
            try scalar(cond)
            asm.jump(.jeq, .r0, 0, to: elseLabel)
            try scalar(Expr(.block(then), then.range))
            asm.goto(end)
            asm.label(elseLabel)
            if let otherwise {
                switch otherwise.kind {
                case .block(let b): try scalar(Expr(.block(b), b.range))
                default: try scalar(Expr(.ifExpr(otherwise), otherwise.range))
                }
            } else {
                asm.emit(.mov(.r0, 0))
            }
            asm.label(end)
        case .string, .tuple, .record:
            throw CompileError(message: "a \(e.type ?? .unknown) cannot be used as a number here", range: e.range)
        case .offsetof, .type:
            throw CompileError(message: "offsetof and types need BTF support, which Auger does not have yet", range: e.range)
        }
    }

    func sizeOf(_ e: Expr) -> Int {
        let t: SType
        switch e.kind {
        case .sizeofExpr(let x): t = x.type ?? .u64
        case .sizeofType(.tagged(let tag, let name)):
            if let size = compiler.checked.structSizes["\(tag) \(name)"] { return size }
            t = .u64
        case .sizeofType(let written): t = Self.cType(written)
        default: t = .u64
        }
        return cLayout(t).size
    }

    /// Size and alignment of a value as bpftrace lays it out (C's rules:
    /// tuples and records are structs of naturally aligned fields), which
    /// sizeof reports; Auger's own layout gives every value whole words.
    func cLayout(_ t: SType) -> (size: Int, align: Int) {
        switch t {
        case .integer(let bits, _): return (bits / 8, bits / 8)
        case .bool: return (1, 1)
        case .string(let n): return (n, 1)
        case .buffer(let n): return (n + 4, 4)
        case .array(let e, let n):
            let (size, align) = cLayout(e)
            return (size * n, align)
        case .tuple(let ts): return structLayout(ts)
        case .record(let fs): return structLayout(fs.map(\.type))
        case .cType(let name): return (compiler.checked.structSizes[name] ?? 8, 8)
        default: return (Layout.size(t), 8)
        }
    }

    func structLayout(_ types: [SType]) -> (size: Int, align: Int) {
        var size = 0, align = 1
        for t in types {
            let (s, a) = cLayout(t)
            size = (size + a - 1) / a * a + s
            align = max(align, a)
        }
        return ((size + align - 1) / align * align, align)
    }

    /// The type a written type names, for sizes and casts.
    static func cType(_ t: TypeExpr) -> SType {
        switch t {
        case .named(let n):
            switch n {
            case "bool", "int8", "uint8", "char", "signed char", "unsigned char", "int8_t", "uint8_t", "u8", "s8": return n.hasPrefix("u") ? .u8 : .i8
            case "int16", "uint16", "short", "unsigned short", "int16_t", "uint16_t", "u16", "s16": return n.hasPrefix("u") ? .u16 : .i16
            case "int32", "uint32", "int", "unsigned int", "unsigned", "int32_t", "uint32_t", "u32", "s32", "pid_t": return n.hasPrefix("u") ? .u32 : .i32
            default: return .u64
            }
        case .sized(_, let n): return .string(n)
        case .pointer: return .pointer(.void)
        case .array(let e, let n): return .array(cType(e), n ?? 0)
        case .typeOf(let e): return e.type ?? .u64
        case .tagged: return .u64
        }
    }

    /// Narrows r0 to an integer type: zero- or sign-extends its low bits.
    func truncate(to t: SType) {
        guard case .integer(let bits, let signed) = t, bits < 64 else {
            if t == .bool {
                asm.emit(.mov(.r1, .r0), .mov(.r0, 1))
                asm.emit(.jump(.jne, .r1, 0, 1), .mov(.r0, 0))
            }
            return
        }
        let shift = Int32(64 - bits)
        asm.emit(.alu64(.lsh, .r0, shift), .alu64(signed ? .arsh : .rsh, .r0, shift))
    }

    func unary(_ op: UnaryOp, _ x: Expr, _ e: Expr) throws(CompileError) {
        switch op {
        case .negate:
            try scalar(x)
            asm.emit(.neg(.r0))
        case .not:
            try scalar(x)
            asm.emit(.mov(.r1, .r0), .mov(.r0, 1), .jump(.jeq, .r1, 0, 1), .mov(.r0, 0))
        case .complement:
            try scalar(x)
            asm.emit(.alu64(.xor, .r0, -1))
        case .deref:
            try scalar(x)
            let size = max(1, min(8, sizeOf(Expr(.sizeofExpr(e), e.range))))
            try readMemory(address: .r0, size: size, signed: (e.type ?? .u64).isSigned, user: pointsIntoUser(x), e.range)
        case .addressOf:
            if case .variable(let name) = x.kind, let v = variables[name], case .scratch(let off) = v.slot {
                scratchPointer(.r0, off)
            } else {
                throw CompileError(message: "'&' is supported only on string, tuple and record variables", range: e.range)
            }
        }
    }

    /// r0 = the `size`-byte value at the address in `address` (kernel or user
    /// memory, by probe type), read with a helper into a stack temp.
    func readMemory(address: Register, size: Int, signed: Bool, user: Bool? = nil, _ range: SourceRange) throws(CompileError) {
        let tmp = try pushTemp(range)
        asm.emit(.mov(.r3, address), .store(.u64, fp, tmp, imm: 0), .mov(.r1, fp), .alu64(.add, .r1, Int32(tmp)), .mov(.r2, Int32(size)))
        asm.emit(.call(user ?? readsUserMemory ? .probeReadUser : .probeReadKernel))
        let sz = Size(bytes: size) ?? .u64
        asm.emit(.load(sz, .r0, fp, tmp))
        popTemp()
        if signed && size < 8 { truncate(to: .integer(bits: size * 8, signed: true)) }
    }

    /// Pointers in uprobes and USDT arguments point into the traced process.
    var readsUserMemory: Bool { target.kind.tracesUserSpace }

    /// Whether a pointer points into user memory: in a syscall tracepoint
    /// when it comes from the arguments (`args.argv[1]`, `*args.buf`); never
    /// when it comes from the kernel (`curtask->mm`, kptr, kaddr); otherwise
    /// `unknown` (by default, in uprobes).
    func pointsIntoUser(_ pointer: Expr, unknown: Bool? = nil) -> Bool {
        let unknown = unknown ?? readsUserMemory
        var x = pointer
        while true {
            switch x.kind {
            case .field(let base, _, _):
                if base.isArgs || base.type == .probeArgs { return seesUserPointers }
                x = base
            case .index(let base, _), .cast(_, let base), .unary(.deref, let base), .binary(.add, let base, _), .binary(.sub, let base, _):
                x = base
            case .identifier("curtask"), .call("curtask", _), .call("kptr", _), .call("kaddr", _), .call("percpu_kaddr", _):
                return false
            default:
                return unknown
            }
        }
    }

    func binary(_ op: BinaryOp, _ l: Expr, _ r: Expr, _ e: Expr) throws(CompileError) {
        if op.isLogical {
            let end = label("lend")
            try scalar(l)
            asm.emit(.mov(.r1, .r0), .mov(.r0, op == .and ? 0 : 1))
            asm.jump(op == .and ? .jeq : .jne, .r1, 0, to: end)
            try scalar(r)
            asm.emit(.mov(.r1, .r0), .mov(.r0, 1), .jump(.jne, .r1, 0, 1), .mov(.r0, 0))
            asm.label(end)
            return
        }
        if isMemory(l.type) || isMemory(r.type) {
            guard op == .eq || op == .ne else { throw CompileError(message: "only == and != compare strings and tuples", range: e.range) }
            try compareMemory(l, r, equal: op == .eq, e.range)
            return
        }
        try scalar(l)
        let tmp = try pushTemp(e.range)
        asm.emit(.store(.u64, fp, tmp, .r0))
        try scalar(r)
        asm.emit(.mov(.r1, .r0), .load(.u64, .r0, fp, tmp))
        popTemp()
        let signed = (l.type ?? .u64).isSigned || (r.type ?? .u64).isSigned
        if op.isComparison {
            let jump: JumpOp
            switch op {
            case .eq: jump = .jeq
            case .ne: jump = .jne
            case .lt: jump = signed ? .jslt : .jlt
            case .le: jump = signed ? .jsle : .jle
            case .gt: jump = signed ? .jsgt : .jgt
            default: jump = signed ? .jsge : .jge
            }
            asm.emit(.mov(.r2, .r0), .mov(.r0, 1), .jump(jump, .r2, .r1, 1), .mov(.r0, 0))
            return
        }
        if case .pointer = r.type ?? .unknown, op == .sub {
            // pointer - pointer: the distance in elements, as in C.
            asm.emit(.alu64(.sub, .r0, .r1))
            if let size = elementSize(l.type) {
                asm.emit(.mov(.r1, Int32(size)))
                try arithmetic(.div, signed: true, e.range, divisorNonZero: true)
            }
            return
        }
        scaleForPointer(l.type, op)
        try arithmetic(op, signed: signed, e.range, divisorNonZero: r.foldedConstant.map { $0 != 0 } ?? false)
    }

    /// Pointer arithmetic counts in elements, as in C: r1 *= the pointee's size.
    func scaleForPointer(_ type: SType?, _ op: BinaryOp) {
        if let size = elementSize(type), op == .add || op == .sub { asm.emit(.alu64(.mul, .r1, Int32(size))) }
    }

    /// The pointee's size when it scales pointer arithmetic (more than a byte).
    func elementSize(_ type: SType?) -> Int? {
        guard case .pointer(let pointee) = type ?? .unknown else { return nil }
        let size: Int?
        if case .cType(let name) = pointee { size = compiler.checked.structSizes[name] } else { size = pointee.byteSize }
        guard let size, size > 1 else { return nil }
        return size
    }

    /// r0 = r0 op r1.
    func arithmetic(_ op: BinaryOp, signed: Bool, _ range: SourceRange, divisorNonZero: Bool = false) throws(CompileError) {
        let alu: ALUOp
        switch op {
        case .add: alu = .add
        case .sub: alu = .sub
        case .mul: alu = .mul
        case .div: alu = .div
        case .mod: alu = .mod
        case .shl: alu = .lsh
        case .shr: alu = signed ? .arsh : .rsh
        case .bitAnd: alu = .and
        case .bitOr: alu = .or
        case .bitXor: alu = .xor
        default: throw CompileError(message: "'\(op.rawValue)' is not arithmetic", range: range)
        }
        if (alu == .div || alu == .mod) && divisorNonZero {
            if signed { try signedDivide(mod: alu == .mod, range) } else { asm.emit(.alu64(alu, .r0, .r1)) }
            return
        }
        if alu == .div || alu == .mod {
            // bpftrace's rule: dividing by zero gives 1 (BPF would give 0, or the
            // dividend for %), with a warning at the division.
            let divide = label("div"), done = label("divd")
            asm.jump(.jne, .r1, 0, to: divide)
            let warning = FormatString(literal: "Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.")
            let (id, _) = compiler.registerFormat("warnf", warning, [], range: range, runtimeWarning: true)
            try emitRecord(.message, id: id, size: 8, range) { _ throws(CompileError) in }
            asm.emit(.mov(.r0, 1))
            asm.goto(done)
            asm.label(divide)
            if signed { try signedDivide(mod: alu == .mod, range) } else { asm.emit(.alu64(alu, .r0, .r1)) }
            asm.label(done)
            return
        }
        asm.emit(.alu64(alu, .r0, .r1))
    }

    /// Signed r0 / r1 (or %) from unsigned division, for kernels without sdiv.
    func signedDivide(mod: Bool, _ range: SourceRange) throws(CompileError) {
        // r2: result is negative; r3, r4: magnitudes.
        let lpos = label("dlp"), rpos = label("drp"), done = label("dd")
        asm.emit(.mov(.r2, 0), .mov(.r3, .r0), .mov(.r4, .r1))
        asm.jump(.jsge, .r3, 0, to: lpos)
        asm.emit(.neg(.r3), .alu64(.xor, .r2, 1))
        asm.label(lpos)
        asm.jump(.jsge, .r4, 0, to: rpos)
        asm.emit(.neg(.r4))
        if !mod { asm.emit(.alu64(.xor, .r2, 1)) }
        asm.label(rpos)
        asm.emit(.mov(.r0, .r3), .alu64(mod ? .mod : .div, .r0, .r4))
        asm.jump(.jeq, .r2, 0, to: done)
        asm.emit(.neg(.r0))
        asm.label(done)
    }

    /// r0 = 1 if two memory values are (un)equal, comparing word by word.
    func compareMemory(_ l: Expr, _ r: Expr, equal: Bool, _ range: SourceRange) throws(CompileError) {
        let a = try memory(l), b = try memory(r)
        let sa = Layout.size(l.type ?? .u64), sb = Layout.size(r.type ?? .u64)
        let differ = label("cdiff"), end = label("cend")
        var at = 0
        while at < min(sa, sb) {
            asm.emit(.load(.u64, .r1, .r7, Int16(a + at)), .load(.u64, .r2, .r7, Int16(b + at)))
            asm.jump(.jne, .r1, .r2, to: differ)
            at += 8
        }
        // A longer string must end where the shorter one does.
        if sa != sb, (l.type?.isString ?? false) {
            let longer = sa > sb ? a : b
            asm.emit(.load(.u8, .r1, .r7, Int16(longer + at)))
            asm.jump(.jne, .r1, 0, to: differ)
        }
        asm.emit(.mov(.r0, equal ? 1 : 0))
        asm.goto(end)
        asm.label(differ)
        asm.emit(.mov(.r0, equal ? 0 : 1))
        asm.label(end)
    }

    func index(_ x: Expr, _ i: Expr, _ e: Expr) throws(CompileError) {
        switch x.type ?? .unknown {
        case .tuple(let ts):
            guard let k = i.foldedConstant, k >= 0, Int(k) < ts.count else { throw CompileError(message: "tuple index out of range", range: i.range) }
            let base = try memory(x)
            asm.emit(.load(.u64, .r0, .r7, Int16(base + Layout.offsets(ts)[Int(k)])))
        case .pointer(let pointee):
            try readElement(i, of: pointee, size: max(1, pointee.byteSize ?? 8), user: pointsIntoUser(x), e) { () throws(CompileError) in try scalar(x) }
        case .array(let element, 0) where x.member != nil:
            // A flexible array member (`int y[0]`): read where the index points, past the struct.
            try readElement(i, of: element, size: Layout.elementSize(element), user: pointsIntoUser(x), e) { () throws(CompileError) in try memberAddress(x) }
        case .string(let n), .array(_, let n):
            let base = try memory(x)
            let elem = e.type.map { Layout.elementSize($0) } ?? 1
            if let k = i.foldedConstant {
                guard k >= 0, k < n else { throw CompileError(message: "the index \(k) is out of bounds for array of size \(n)", range: i.range) }
                asm.emit(.load(Size(bytes: elem) ?? .u8, .r0, .r7, Int16(base + Int(k) * elem)))
                return
            }
            // A run-time index: past the end reads as 0 (the verifier needs the bound too).
            try scalar(i)
            let outside = label("ioob"), done = label("idone")
            asm.jump(.jge, .r0, Int32(n), to: outside)
            asm.emit(.alu64(.mul, .r0, Int32(elem)), .mov(.r1, .r7), .alu64(.add, .r1, Int32(base)), .alu64(.add, .r1, .r0))
            asm.emit(.load(Size(bytes: elem) ?? .u8, .r0, .r1, 0))
            asm.goto(done)
            asm.label(outside)
            asm.emit(.mov(.r0, 0))
            asm.label(done)
        default:
            throw CompileError(message: "cannot index a value of type \(x.type ?? .unknown)", range: e.range)
        }
    }

    /// r0 = element `i` (of `size` bytes) of the memory whose address `base` leaves in r0.
    func readElement(_ i: Expr, of element: SType, size: Int, user: Bool, _ e: Expr, base: () throws(CompileError) -> Void) throws(CompileError) {
        try scalar(i)
        let tmp = try pushTemp(e.range)
        asm.emit(.alu64(.mul, .r0, Int32(size)), .store(.u64, fp, tmp, .r0))
        try base()
        asm.emit(.load(.u64, .r1, fp, tmp), .alu64(.add, .r0, .r1))
        popTemp()
        try readMemory(address: .r0, size: min(size, 8), signed: element.isSigned, user: user, e.range)
    }

    func increment(_ x: Expr, up: Bool, prefix: Bool, _ e: Expr) throws(CompileError) {
        var type = x.type
        if case .map(let name, _) = x.kind { type = compiler.maps[name]?.value }
        let delta = Int32((up ? 1 : -1) * (elementSize(type) ?? 1))
        switch x.kind {
        case .variable(let name):
            guard let v = variables[name] else { throw CompileError(message: "undefined variable $\(name)", range: x.range) }
            let (base, off): (Register, Int16)
            switch v.slot {
            case .stack(let o): (base, off) = (fp, o)
            case .scratch(let o): (base, off) = (.r7, Int16(o))
            }
            asm.emit(.load(.u64, .r0, base, off), .mov(.r1, .r0), .alu64(.add, .r1, delta), .store(.u64, base, off, .r1))
            if prefix { asm.emit(.mov(.r0, .r1)) }
        case .map(let name, let keys):
            let map = compiler.maps[name]!
            let key = try buildKey(map, keys, e.range)
            try lookupOrInit(map, .scratch(key), e.range, missing: returnLabel)
            usedLabels.insert(returnLabel)
            asm.emit(.load(.u64, .r1, .r0, 0), .mov(.r2, .r1), .alu64(.add, .r2, delta), .store(.u64, .r0, 0, .r2))
            asm.emit(.mov(.r0, prefix ? .r2 : .r1))
        default:
            throw CompileError(message: "'++' and '--' apply to variables and maps", range: e.range)
        }
    }
}
