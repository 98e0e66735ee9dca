/// The debugging information entries of an ELF file's .debug_info (DWARF 2
/// to 5): every unit's entries with their attributes, parsed once. Every
/// offset, length and index comes from the file and is checked: a unit
/// that runs past its section, an unknown form or abbreviation, ends that
/// unit's parsing and keeps what was read before it.
public struct DWARFEntries: Sendable {
    public enum Value: Equatable, Sendable {
        case number(UInt64)
        case signed(Int64)
        case string(String)
        /// An entry, by its offset in .debug_info.
        case reference(Int)
        case bytes([UInt8])
        case flag(Bool)
    }

    public struct Entry: Sendable {
        public var offset: Int
        public var tag: UInt64
        public var attributes: [UInt64: Value]
        /// The entries nested in this one, by offset, in order.
        public var children: [Int] = []

        public func string(_ at: UInt64) -> String? { if case .string(let s)? = attributes[at] { s } else { nil } }
        public func reference(_ at: UInt64) -> Int? { if case .reference(let r)? = attributes[at] { r } else { nil } }
        public func number(_ at: UInt64) -> Int64? {
            switch attributes[at] {
            case .number(let n)?: Int64(truncatingIfNeeded: n)
            case .signed(let n)?: n
            default: nil
            }
        }
        public func flag(_ at: UInt64) -> Bool { if case .flag(let f)? = attributes[at] { f } else { false } }
    }

    /// Entries by offset; the top-level entries (units' children) in order.
    public private(set) var entries: [Int: Entry] = [:]
    public private(set) var units: [Int] = []
    /// Why parsing stopped early, if it did: for a warning naming the file.
    public private(set) var problem: String?

    /// A unit whose entries are in another file (split DWARF): the .dwo's
    /// name (relative to the compilation directory unless absolute) and the
    /// id its unit must carry, also the key into a .dwp's index.
    public struct Skeleton: Sendable, Equatable {
        public var dwoName: String
        public var compDir: String?
        public var id: UInt64
    }
    public private(set) var skeletons: [Skeleton] = []

    public init?(elf bytes: [UInt8]) {
        guard let debug = DebugSections(elf: bytes) else { return nil }
        self.init(debug: debug)
    }

    public init?(debug: DebugSections) {
        guard let info = debug.named(".debug_info"), let abbrev = debug.named(".debug_abbrev") else { return nil }
        let sections = Sections(bytes: debug.bytes, info: info, abbrev: abbrev, str: debug.named(".debug_str"),
                                lineStr: debug.named(".debug_line_str"), strOffsets: debug.named(".debug_str_offsets"), bias: 0)
        problem = debug.problems.first
        parseUnits(sections, expecting: nil)
    }

    /// Adds the entries of a split unit from its .dwo file or from a .dwp
    /// package holding it; false when that file has no unit with the id.
    public mutating func addSplitUnit(_ skeleton: Skeleton, from debug: DebugSections) -> Bool {
        guard var info = debug.named(".debug_info.dwo"), var abbrev = debug.named(".debug_abbrev.dwo") else { return false }
        var strOffsets = debug.named(".debug_str_offsets.dwo")
        if let index = debug.named(".debug_cu_index") {
            guard let row = DWARFPackageIndex(debug.bytes, index).contributions(of: skeleton.id) else { return false }
            func narrow(_ s: inout ELFSections.Section, _ column: Int) -> Bool {
                guard let (offset, size) = row[column], offset <= s.size, size <= s.size - offset else { return false }
                s.offset += offset
                s.size = size
                return true
            }
            guard narrow(&info, 1), narrow(&abbrev, 3) else { return false }
            if strOffsets != nil, !narrow(&strOffsets!, 6) { strOffsets = nil }
        }
        let before = units.count
        let sections = Sections(bytes: debug.bytes, info: info, abbrev: abbrev, str: debug.named(".debug_str.dwo"), lineStr: nil,
                                strOffsets: strOffsets, bias: ((skeletons.firstIndex(of: skeleton) ?? skeletons.count) + 1) << 40)
        parseUnits(sections, expecting: skeleton.id)
        return units.count > before
    }

    mutating func parseUnits(_ sections: Sections, expecting id: UInt64?) {
        var at = sections.info.offset
        while at + 11 <= sections.info.offset + sections.info.size {
            guard let next = parseUnit(at: at, sections, expecting: id) else { break }
            at = next
        }
    }

    struct Sections {
        let bytes: [UInt8]
        let info: ELFSections.Section, abbrev: ELFSections.Section
        let str: ELFSections.Section?, lineStr: ELFSections.Section?, strOffsets: ELFSections.Section?
        /// Added to the offsets of a split file's entries, so they cannot meet the main file's.
        let bias: Int
    }

    struct Attribute { var name: UInt64; var form: UInt64; var implicit: Int64 }
    struct Abbreviation { var tag: UInt64; var hasChildren: Bool; var attributes: [Attribute] }

    /// A cursor over the file's bytes, bounded by the end of what it reads.
    struct Cursor {
        let bytes: [UInt8]
        var at: Int
        let end: Int
        var failed = false

        mutating func u8() -> UInt64 {
            guard at < end, at < bytes.count else { failed = true; return 0 }
            defer { at += 1 }
            return UInt64(bytes[at])
        }
        mutating func fixed(_ n: Int) -> UInt64 {
            guard at + n <= end, at + n <= bytes.count else { failed = true; at = end; return 0 }
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += n
            return v
        }
        mutating func uleb() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = u8()
                if failed { return 0 }
                if shift < 64 { v |= (b & 0x7f) << shift }
                shift += 7
                if b & 0x80 == 0 { return v }
            }
        }
        mutating func sleb() -> Int64 {
            var v: Int64 = 0, shift: Int64 = 0, b: UInt64 = 0
            repeat {
                b = u8()
                if failed { return 0 }
                if shift < 64 { v |= Int64(bitPattern: (b & 0x7f) << UInt64(shift)) }
                shift += 7
            } while b & 0x80 != 0
            if shift < 64 && b & 0x40 != 0 { v |= Int64(bitPattern: ~UInt64(0) << UInt64(shift)) }
            return v
        }
        mutating func skip(_ n: UInt64) -> [UInt8] {
            guard n <= UInt64(end - at), at + Int(n) <= bytes.count else { failed = true; at = end; return [] }
            defer { at += Int(n) }
            return Array(bytes[at..<at + Int(n)])
        }
        mutating func cString() -> String {
            var e = at
            while e < min(end, bytes.count) && bytes[e] != 0 { e += 1 }
            guard e < min(end, bytes.count) else { failed = true; at = end; return "" }
            defer { at = e + 1 }
            return String(decoding: bytes[at..<e], as: UTF8.self)
        }
    }

    func abbreviations(at offset: Int, _ s: Sections) -> [UInt64: Abbreviation] {
        var table: [UInt64: Abbreviation] = [:]
        var c = Cursor(bytes: s.bytes, at: s.abbrev.offset + offset, end: s.abbrev.offset + s.abbrev.size)
        guard offset >= 0, offset < s.abbrev.size else { return [:] }
        while !c.failed {
            let code = c.uleb()
            if code == 0 || c.failed { break }
            let tag = c.uleb(), children = c.u8() != 0
            var attributes: [Attribute] = []
            while !c.failed {
                let name = c.uleb(), form = c.uleb()
                if name == 0 && form == 0 { break }
                attributes.append(Attribute(name: name, form: form, implicit: form == 0x21 ? c.sleb() : 0))
            }
            table[code] = Abbreviation(tag: tag, hasChildren: children, attributes: attributes)
        }
        return table
    }

    /// Parses the unit at `start`; returns where the next one starts.
    mutating func parseUnit(at start: Int, _ s: Sections, expecting expectedID: UInt64?) -> Int? {
        let sectionEnd = s.info.offset + s.info.size
        var c = Cursor(bytes: s.bytes, at: start, end: sectionEnd)
        var length = c.fixed(4), offsetSize = 4
        if length == 0xffff_ffff { length = c.fixed(8); offsetSize = 8 }
        guard !c.failed, length <= UInt64(sectionEnd - c.at) else { problem = "a unit at \(start - s.info.offset) runs past .debug_info"; return nil }
        let unitEnd = c.at + Int(length)
        c = Cursor(bytes: s.bytes, at: c.at, end: unitEnd)
        let version = c.fixed(2)
        guard (2...5).contains(version) else { problem = "DWARF version \(version) is not supported"; return unitEnd }
        var addressSize = 8, abbrevOffset: UInt64, unitID: UInt64?
        if version >= 5 {
            let unitType = c.u8()
            addressSize = Int(c.u8())
            abbrevOffset = c.fixed(offsetSize)
            if unitType == 4 || unitType == 5 { unitID = c.fixed(8) }           // skeleton, split: dwo id
            if unitType == 2 || unitType == 6 { _ = c.fixed(8); _ = c.fixed(offsetSize) } // type units
        } else {
            abbrevOffset = c.fixed(offsetSize)
            addressSize = Int(c.u8())
        }
        guard !c.failed, addressSize == 4 || addressSize == 8, abbrevOffset < UInt64(s.abbrev.size) else {
            problem = "a unit at \(start - s.info.offset) has a bad header"
            return unitEnd
        }
        // A .dwo's units are taken only for the skeleton that names them (GNU's DWARF 4 split units carry no id).
        if let expectedID, let unitID, unitID != expectedID { return unitEnd }
        let table = abbreviations(at: Int(abbrevOffset), s)
        let unitStart = start - s.info.offset + s.bias
        var stack: [Int] = []   // offsets of open entries with children
        var unitEntries: [Int] = []
        var strx: [(entry: Int, attribute: UInt64, index: UInt64)] = []
        // DWARF 5 split units name no base: theirs follows the table's 8-byte header. GNU's DWARF 4 tables have none.
        var strOffsetsBase: UInt64 = version >= 5 ? 8 : 0
        while c.at < unitEnd && !c.failed {
            let offset = c.at - s.info.offset + s.bias
            let code = c.uleb()
            if code == 0 { if !stack.isEmpty { stack.removeLast() }; continue }
            guard let abbreviation = table[code] else { problem = "an unknown abbreviation \(code) at \(offset)"; break }
            var entry = Entry(offset: offset, tag: abbreviation.tag, attributes: [:])
            for attribute in abbreviation.attributes {
                var form = attribute.form
                if form == 0x16 { form = c.uleb() }  // indirect
                guard let value = read(form, &c, s, offsetSize: offsetSize, addressSize: addressSize, unitStart: unitStart,
                                       implicit: attribute.implicit, version: version) else {
                    problem = "an unsupported form 0x\(String(form, radix: 16)) at \(offset)"
                    return unitEnd
                }
                if case .strxIndex(let i) = value { strx.append((offset, attribute.name, i)); continue }
                if case .value(let v) = value { entry.attributes[attribute.name] = v }
            }
            if entry.tag == 0x11 || entry.tag == 0x4a, let base = entry.number(0x72) { strOffsetsBase = UInt64(base) }
            if let parent = stack.last { entries[parent]?.children.append(offset) } else { unitEntries.append(offset) }
            entries[offset] = entry
            if abbreviation.hasChildren { stack.append(offset) }
        }
        // DW_FORM_strx* go through the unit's string offsets, whose base the unit's own entry may name after using them.
        for (entry, attribute, index) in strx {
            guard let table = s.strOffsets, let str = s.str else { continue }
            let at = Int(clamping: strOffsetsBase &+ index &* UInt64(offsetSize))
            guard at >= 0, at + offsetSize <= table.size else { continue }
            var r = Cursor(bytes: s.bytes, at: table.offset + at, end: table.offset + table.size)
            if let text = ELFReader(bytes: s.bytes).string(in: str, at: Int(clamping: r.fixed(offsetSize))) { entries[entry]?.attributes[attribute] = .string(text) }
        }
        for offset in unitEntries {
            guard let e = entries[offset] else { continue }
            if e.tag == 0x4a, let name = e.string(0x76), let unitID {
                skeletons.append(Skeleton(dwoName: name, compDir: e.string(0x1b), id: unitID))
            } else if e.tag == 0x11, let name = e.string(0x2130), let id = e.number(0x2131) {  // DW_AT_GNU_dwo_name, _id
                skeletons.append(Skeleton(dwoName: name, compDir: e.string(0x1b), id: UInt64(bitPattern: id)))
            }
        }
        units += unitEntries
        return unitEnd
    }

    enum Read { case value(Value), strxIndex(UInt64), ignored }

    func read(_ form: UInt64, _ c: inout Cursor, _ s: Sections, offsetSize: Int, addressSize: Int, unitStart: Int,
              implicit: Int64, version: UInt64) -> Read? {
        let r = ELFReader(bytes: s.bytes)
        func string(_ table: ELFSections.Section?, _ at: UInt64) -> Read {
            guard let table, let text = r.string(in: table, at: Int(clamping: at)) else { return .ignored }
            return .value(.string(text))
        }
        func ref(_ v: UInt64) -> Read { .value(.reference(unitStart + Int(clamping: v))) }
        switch form {
        case 0x01: return .value(.number(c.fixed(addressSize)))
        case 0x03: return .value(.bytes(c.skip(c.fixed(2))))
        case 0x04: return .value(.bytes(c.skip(c.fixed(4))))
        case 0x05: return .value(.number(c.fixed(2)))
        case 0x06: return .value(.number(c.fixed(4)))
        case 0x07: return .value(.number(c.fixed(8)))
        case 0x08: return .value(.string(c.cString()))
        case 0x09, 0x18: return .value(.bytes(c.skip(c.uleb())))
        case 0x0a: return .value(.bytes(c.skip(c.u8())))
        case 0x0b: return .value(.number(c.u8()))
        case 0x0c: return .value(.flag(c.u8() != 0))
        case 0x0d: return .value(.signed(c.sleb()))
        case 0x0e: return string(s.str, c.fixed(offsetSize))
        case 0x0f: return .value(.number(c.uleb()))
        case 0x10: return .value(.reference(s.bias + Int(clamping: c.fixed(version <= 2 ? addressSize : offsetSize))))
        case 0x11: return ref(c.fixed(1))
        case 0x12: return ref(c.fixed(2))
        case 0x13: return ref(c.fixed(4))
        case 0x14: return ref(c.fixed(8))
        case 0x15: return ref(c.uleb())
        case 0x17: return .value(.number(c.fixed(offsetSize)))
        case 0x19: return .value(.flag(true))
        case 0x1a: return .strxIndex(c.uleb())
        case 0x1b, 0x22, 0x23: _ = c.uleb(); return .ignored
        case 0x1c: _ = c.fixed(4); return .ignored
        case 0x1d, 0x1f20, 0x1f21: _ = c.fixed(offsetSize); return .ignored
        case 0x1e: _ = c.skip(16); return .ignored
        case 0x1f: return string(s.lineStr, c.fixed(offsetSize))
        case 0x20, 0x24: _ = c.fixed(8); return .ignored
        case 0x21: return .value(.signed(implicit))
        case 0x25: return .strxIndex(c.fixed(1))
        case 0x26: return .strxIndex(c.fixed(2))
        case 0x27: return .strxIndex(c.fixed(3))
        case 0x28: return .strxIndex(c.fixed(4))
        case 0x29: _ = c.fixed(1); return .ignored
        case 0x2a: _ = c.fixed(2); return .ignored
        case 0x2b: _ = c.fixed(3); return .ignored
        case 0x2c: _ = c.fixed(4); return .ignored
        case 0x1f01: _ = c.uleb(); return .ignored
        case 0x1f02: return .strxIndex(c.uleb())  // DW_FORM_GNU_str_index
        default: return nil
        }
    }
}
