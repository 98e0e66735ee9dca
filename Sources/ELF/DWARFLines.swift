/// The line tables of .debug_line (DWARF 2 to 5): which source line each
/// instruction address comes from, for attaching to `file.c:LINE` and for
/// printing `func+off@file.c:LINE` in stacks. As with the entries, a table
/// that does not parse ends the reading and keeps the rows read before it.
public struct DWARFLines: Sendable {
    public struct Row: Sendable, Equatable {
        public var address: UInt64
        /// The file as the compiler was given it (its compilation directory left off).
        public var file: String
        public var line: Int
        public var isStatement: Bool
        /// The first address after a sequence of instructions; not a line's.
        public var endsSequence: Bool
    }

    /// Every row, by address.
    public private(set) var rows: [Row] = []

    public init?(elf bytes: [UInt8]) {
        guard let debug = DebugSections(elf: bytes) else { return nil }
        self.init(debug: debug)
    }

    public init?(debug: DebugSections) {
        guard let section = debug.named(".debug_line") else { return nil }
        let bytes = debug.bytes
        let strings = (str: debug.named(".debug_str"), lineStr: debug.named(".debug_line_str"))
        var at = section.offset
        while at + 4 <= section.offset + section.size {
            guard let next = readTable(bytes, at: at, end: section.offset + section.size, strings) else { break }
            at = next
        }
        rows.sort { $0.address < $1.address || ($0.address == $1.address && !$0.endsSequence && $1.endsSequence) }
    }

    /// Addresses where `line` of a file named `file` (or ending in `/file`) starts.
    public func addresses(file: String, line: Int) -> [UInt64] {
        let matching = rows.filter { !$0.endsSequence && $0.line == line && ($0.file == file || $0.file.hasSuffix("/" + file)) }
        let statements = matching.filter(\.isStatement)
        return Array(Set((statements.isEmpty ? matching : statements).map(\.address))).sorted()
    }

    /// The file and line an instruction comes from.
    public func location(of address: UInt64) -> (file: String, line: Int)? {
        var lo = 0, hi = rows.count - 1
        guard hi >= 0, rows[0].address <= address else { return nil }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if rows[mid].address <= address { lo = mid } else { hi = mid - 1 }
        }
        // Rows at one address: the sequence that starts there, not the one that ends there.
        while lo + 1 < rows.count && rows[lo + 1].address == rows[lo].address { lo += 1 }
        let row = rows[lo]
        return row.endsSequence ? nil : (row.file, row.line)
    }

    typealias Cursor = DWARFEntries.Cursor

    /// Reads one line table; returns where the next one starts.
    mutating func readTable(_ bytes: [UInt8], at start: Int, end sectionEnd: Int,
                            _ strings: (str: ELFSections.Section?, lineStr: ELFSections.Section?)) -> Int? {
        var c = Cursor(bytes: bytes, at: start, end: sectionEnd)
        var length = c.fixed(4), offsetSize = 4
        if length == 0xffff_ffff { length = c.fixed(8); offsetSize = 8 }
        guard !c.failed, length <= UInt64(sectionEnd - c.at) else { return nil }
        let tableEnd = c.at + Int(length)
        c = Cursor(bytes: bytes, at: c.at, end: tableEnd)
        let version = c.fixed(2)
        guard (2...5).contains(version) else { return tableEnd }
        var addressSize = 8
        if version >= 5 { addressSize = Int(c.u8()); _ = c.u8() }   // segment selector size
        let headerLength = c.fixed(offsetSize)
        guard headerLength <= UInt64(tableEnd - c.at) else { return tableEnd }
        let program = c.at + Int(headerLength)
        let minLength = c.u8()
        if version >= 4 { _ = c.u8() }   // maximum operations per instruction (VLIW only)
        let defaultIsStatement = c.u8() != 0
        let lineBase = Int64(Int8(truncatingIfNeeded: c.u8())), lineRange = c.u8(), opcodeBase = c.u8()
        guard !c.failed, lineRange > 0, opcodeBase > 0 else { return tableEnd }
        var standardLengths: [UInt64] = [0]
        for _ in 1..<opcodeBase { standardLengths.append(c.u8()) }
        var directories: [String] = [], files: [(name: String, directory: Int)] = []
        if version >= 5 {
            func entries(_ body: ([(UInt64, UInt64)], inout Cursor) -> Void) {
                let formatCount = c.u8()
                var formats: [(UInt64, UInt64)] = []
                for _ in 0..<formatCount { formats.append((c.uleb(), c.uleb())) }
                let count = c.uleb()
                var n: UInt64 = 0
                while n < count && !c.failed { body(formats, &c); n += 1 }
            }
            func value(_ form: UInt64, _ c: inout Cursor) -> (text: String?, number: UInt64) {
                let r = ELFReader(bytes: bytes)
                switch form {
                case 0x08: return (c.cString(), 0)
                case 0x1f: let o = c.fixed(offsetSize); return (strings.lineStr.flatMap { r.string(in: $0, at: Int(clamping: o)) }, o)
                case 0x0e: let o = c.fixed(offsetSize); return (strings.str.flatMap { r.string(in: $0, at: Int(clamping: o)) }, o)
                case 0x0f: return (nil, c.uleb())
                case 0x0b: return (nil, c.u8())
                case 0x05: return (nil, c.fixed(2))
                case 0x06: return (nil, c.fixed(4))
                case 0x07: return (nil, c.fixed(8))
                case 0x1e: _ = c.skip(16); return (nil, 0)
                case 0x09: _ = c.skip(c.uleb()); return (nil, 0)
                default: c.failed = true; return (nil, 0)
                }
            }
            entries { formats, c in
                var path = ""
                for (content, form) in formats { let v = value(form, &c); if content == 1 { path = v.text ?? "" } }
                directories.append(path)
            }
            entries { formats, c in
                var path = "", directory = 0
                for (content, form) in formats {
                    let v = value(form, &c)
                    if content == 1 { path = v.text ?? "" }
                    if content == 2 { directory = Int(clamping: v.number) }
                }
                files.append((path, directory))
            }
        } else {
            directories.append("")   // the compilation directory
            while !c.failed { let d = c.cString(); if d.isEmpty { break }; directories.append(d) }
            files.append(("", 0))    // file numbers start at 1
            while !c.failed {
                let name = c.cString()
                if name.isEmpty { break }
                let directory = c.uleb(); _ = c.uleb(); _ = c.uleb()
                files.append((name, Int(clamping: directory)))
            }
        }
        guard !c.failed else { return tableEnd }
        func path(_ file: UInt64) -> String {
            guard file < UInt64(files.count) else { return "" }
            let f = files[Int(file)]
            // Directory 0 is where the compiler ran: left off, as the file was named to it.
            if f.name.hasPrefix("/") || f.directory == 0 || f.directory >= directories.count { return f.name }
            return directories[f.directory] + "/" + f.name
        }
        c = Cursor(bytes: bytes, at: program, end: tableEnd)
        var address: UInt64 = 0, file: UInt64 = 1, line: Int64 = 1, isStatement = defaultIsStatement
        var paths: [UInt64: String] = [:]
        func emit(ends: Bool = false) {
            let name = paths[file] ?? { let p = path(file); paths[file] = p; return p }()
            rows.append(Row(address: address, file: name, line: Int(clamping: line), isStatement: isStatement, endsSequence: ends))
        }
        func reset() { address = 0; file = 1; line = 1; isStatement = defaultIsStatement }
        while c.at < tableEnd && !c.failed {
            let opcode = c.u8()
            if opcode >= opcodeBase {
                let adjusted = opcode - opcodeBase
                address &+= (adjusted / lineRange) &* minLength
                line += lineBase + Int64(adjusted % lineRange)
                emit()
                continue
            }
            switch opcode {
            case 0:
                let length = c.uleb(), after = c.at
                let sub = c.u8()
                switch sub {
                case 1: emit(ends: true); reset()
                case 2: address = c.fixed(addressSize)
                default: break
                }
                guard length <= UInt64(tableEnd - after) else { return tableEnd }
                c.at = after + Int(length)
            case 1: emit()
            case 2: address &+= c.uleb() &* minLength
            case 3: line += c.sleb()
            case 4: file = c.uleb()
            case 5: _ = c.uleb()
            case 6: isStatement.toggle()
            case 7, 10, 11: break
            case 8: address &+= ((255 - opcodeBase) / lineRange) &* minLength
            case 9: address &+= c.fixed(2)
            case 12: _ = c.uleb()
            default:
                for _ in 0..<(opcode < standardLengths.count ? standardLengths[Int(opcode)] : 0) { _ = c.uleb() }
            }
        }
        return tableEnd
    }
}
