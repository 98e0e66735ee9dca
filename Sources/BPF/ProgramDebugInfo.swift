import CBPF

/// What lets `bpftool prog dump xlated linum` show the source line above each
/// group of a program's instructions, as it does for clang-built programs:
/// a loaded BTF object holding the file name, the lines' text and a FUNC per
/// BPF function, and records tying instructions to lines.
public struct ProgramDebugInfo: Sendable {
    /// BTF that may be shared by many programs; each keeps its own reference once loaded.
    public let btf: FileDescriptor
    /// FUNC type ids: the main function first, then `ProgramSpec.functions` in order.
    public var functionTypes: [UInt32]
    /// Where each run of instructions comes from, by first instruction.
    public var lines: [SourceLine]

    public struct SourceLine: Hashable, Sendable {
        public var instruction: Int
        /// Offsets of the file name and of the line's text in the BTF's strings.
        public var fileName: UInt32
        public var text: UInt32
        /// 1-based; the kernel keeps columns up to 1023.
        public var line: Int
        public var column: Int
        public init(instruction: Int, fileName: UInt32, text: UInt32, line: Int, column: Int) {
            self.instruction = instruction
            self.fileName = fileName
            self.text = text
            self.line = line
            self.column = column
        }
    }

    public init(btf: FileDescriptor, functionTypes: [UInt32], lines: [SourceLine]) {
        self.btf = btf
        self.functionTypes = functionTypes
        self.lines = lines
    }

    /// `bpf_line_info` records as the verifier accepts them: in increasing
    /// instruction order, one per instruction, none on the second half of a
    /// 64-bit load, and one at the first instruction of every function.
    func lineRecords(for instructions: [Instruction], functionStarts: [Int]) -> [bpf_line_info] {
        var byInstruction: [Int: SourceLine] = [:]
        for line in lines where line.instruction >= 0 && line.instruction < instructions.count {
            // The second slot of LD_IMM64 has opcode 0.
            if line.instruction > 0 && instructions[line.instruction].opcode == 0 && instructions[line.instruction - 1].isLoadImm64 { continue }
            byInstruction[line.instruction] = line
        }
        var sorted = byInstruction.values.sorted { $0.instruction < $1.instruction }
        guard let first = sorted.first else { return [] }
        for start in functionStarts where byInstruction[start] == nil {
            var filled = sorted.last { $0.instruction < start } ?? first
            filled.instruction = start
            sorted.append(filled)
        }
        sorted.sort { $0.instruction < $1.instruction }
        return sorted.map { l in
            var record = bpf_line_info()
            record.insn_off = UInt32(l.instruction)
            record.file_name_off = l.fileName
            record.line_off = l.text
            record.line_col = UInt32(clamping: l.line) << 10 | UInt32(clamping: min(max(l.column, 0), 1023))
            return record
        }
    }
}

/// One line record of a loaded program, as the kernel reports it.
public struct LoadedSourceLine: Hashable, Sendable {
    /// In the program as the kernel rewrote it (xlated), not as loaded.
    public var instruction: Int
    public var fileName: String
    public var text: String
    public var line: Int
    public var column: Int
}

extension Program {
    /// The program's line records with their strings read back from the
    /// kernel's copy of its BTF: empty when it was loaded without line info.
    public func sourceLines() throws -> [LoadedSourceLine] { try Self.sourceLines(fd, "program \"\(spec.name)\"") }

    /// Any loaded program's line records, by its kernel id; nil when it is gone.
    public static func sourceLines(programID id: UInt32) throws -> [LoadedSourceLine]? {
        var attr = bpf_attr()
        attr.prog_id = id
        guard let raw = try absentIsNil({ () throws -> Int32 in try Sys.bpf(BPF_PROG_GET_FD_BY_ID, &attr, "open program \(id)") }) else { return nil }
        return try sourceLines(FileDescriptor(owning: raw), "program \(id)")
    }

    static func sourceLines(_ fd: FileDescriptor, _ what: String) throws -> [LoadedSourceLine] {
        var info = bpf_prog_info()
        try getInfo(fd, &info, what)
        let count = Int(info.nr_line_info), size = Int(info.line_info_rec_size), btfID = info.btf_id
        guard count > 0, size >= MemoryLayout<bpf_line_info>.size, btfID != 0 else { return [] }
        var raw = [UInt8](repeating: 0, count: count * size)
        try raw.withUnsafeMutableBytes { buf in
            info = bpf_prog_info()
            info.nr_line_info = UInt32(count)
            info.line_info_rec_size = UInt32(size)
            info.line_info = Sys.address(buf.baseAddress)
            try getInfo(fd, &info, what)
        }
        let strings = try BTFStrings(id: btfID)
        return (0..<count).map { i in
            let record = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i * size, as: bpf_line_info.self) }
            return LoadedSourceLine(instruction: Int(record.insn_off), fileName: strings[record.file_name_off],
                                    text: strings[record.line_off], line: Int(record.line_col >> 10),
                                    column: Int(record.line_col & 0x3ff))
        }
    }

    /// Keeps `map` alive with the program, though no instruction uses it
    /// (BPF_PROG_BIND_MAP, Linux 5.10): tools listing the program's maps find it.
    public func bind(_ map: Map) throws {
        var attr = bpf_attr()
        attr.prog_bind_map.prog_fd = UInt32(fd.rawValue)
        attr.prog_bind_map.map_fd = UInt32(map.fd.rawValue)
        try Sys.bpf(BPF_PROG_BIND_MAP, &attr, "bind map \"\(map.spec.name)\" to program \"\(spec.name)\"")
    }
}

/// The string section of a BTF object the kernel holds, by its id.
struct BTFStrings {
    private let bytes: [UInt8]
    private let start: Int, end: Int

    init(id: UInt32) throws {
        var attr = bpf_attr()
        attr.btf_id = id
        let fd = FileDescriptor(owning: try Sys.bpf(BPF_BTF_GET_FD_BY_ID, &attr, "open BTF object \(id)"))
        var info = bpf_btf_info()
        try getInfo(fd, &info, "BTF object \(id)")
        var blob = [UInt8](repeating: 0, count: Int(info.btf_size))
        try blob.withUnsafeMutableBytes { buf in
            info = bpf_btf_info()
            info.btf = Sys.address(buf.baseAddress)
            info.btf_size = UInt32(buf.count)
            try getInfo(fd, &info, "BTF object \(id)")
        }
        bytes = blob
        func word(_ at: Int) -> Int { blob.count >= at + 4 ? Int(blob.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }) : 0 }
        // Header: magic, version, flags, hdr_len, type_off, type_len, str_off, str_len.
        start = min(word(4) + word(16), blob.count)
        end = min(start + word(20), blob.count)
    }

    subscript(offset: UInt32) -> String {
        let from = start + Int(offset)
        guard from < end else { return "" }
        return String(decoding: bytes[from..<end].prefix { $0 != 0 }, as: UTF8.self)
    }
}
