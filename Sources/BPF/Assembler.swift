/// Builds a program from instructions, symbolic jump labels and named map
/// references. Labels are resolved by `assemble()`; map references stay
/// symbolic until the program is loaded next to its maps.
public struct Assembler: Sendable {
    private enum Item: Sendable {
        case instruction(Instruction)
        /// A jump or local call whose offset is filled in from the label.
        case branch(Instruction, label: String)
        case mapReference(Register, map: String)
        /// `dst = &value + offset` of an array map's only element (direct value access).
        case mapValueReference(Register, map: String, offset: UInt32)
        /// `dst = &function`, for helpers that take a callback.
        case functionReference(Register, label: String)
        case label(String)
        /// The label starts a BPF function (for the kernel's function info).
        case function(String)
    }

    private var items: [Item] = []
    /// Instruction slots emitted so far: the index the next instruction gets.
    public private(set) var slotCount = 0

    public init() {}

    /// Appends instructions as they are.
    public mutating func emit(_ instructions: Instruction...) { emit(instructions) }
    public mutating func emit(_ instructions: [Instruction]) {
        items += instructions.map { .instruction($0) }
        slotCount += instructions.count
    }

    /// Marks the position of the next instruction.
    public mutating func label(_ name: String) { items.append(.label(name)) }

    /// `if dst op imm goto label` (64-bit).
    public mutating func jump(_ op: JumpOp, _ dst: Register, _ imm: Int32, to label: String) {
        items.append(.branch(.jump(op, dst, imm, 0), label: label))
        slotCount += 1
    }
    /// `if dst op src goto label` (64-bit).
    public mutating func jump(_ op: JumpOp, _ dst: Register, _ src: Register, to label: String) {
        items.append(.branch(.jump(op, dst, src, 0), label: label))
        slotCount += 1
    }
    /// `if wdst op imm goto label` (32-bit).
    public mutating func jump32(_ op: JumpOp, _ dst: Register, _ imm: Int32, to label: String) {
        items.append(.branch(.jump32(op, dst, imm, 0), label: label))
        slotCount += 1
    }
    /// `goto label`.
    public mutating func goto(_ label: String) {
        items.append(.branch(.goto(0), label: label))
        slotCount += 1
    }
    /// Calls the BPF function that starts at `label`.
    public mutating func callLocal(_ label: String) {
        items.append(.branch(.callLocal(0), label: label))
        slotCount += 1
    }

    /// Marks the position of the next instruction as the start of a BPF
    /// function named `name` (a callback or a function called with `callLocal`).
    public mutating func function(_ name: String) { items.append(.function(name)) }

    /// `dst = &function` for callbacks (LD_IMM64 with BPF_PSEUDO_FUNC).
    public mutating func loadFunction(_ dst: Register, _ label: String) {
        items.append(.functionReference(dst, label: label))
        slotCount += 2
    }

    /// `dst = &map`, where the map is named in the program's spec.
    public mutating func loadMap(_ dst: Register, _ map: String) {
        items.append(.mapReference(dst, map: map))
        slotCount += 2
    }

    /// `dst = ` the address of byte `offset` of a one-element array map's
    /// value, read without a helper call (BPF_PSEUDO_MAP_VALUE).
    public mutating func loadMapValue(_ dst: Register, _ map: String, offset: UInt32) {
        items.append(.mapValueReference(dst, map: map, offset: offset))
        slotCount += 2
    }

    /// Resolves labels. Fails on a missing or repeated label, or a jump too far.
    public func assemble() throws(AssemblerError) -> Assembled {
        var positions: [String: Int] = [:]
        var slot = 0
        for item in items {
            switch item {
            case .label(let name), .function(let name):
                if positions[name] != nil { throw .duplicateLabel(name) }
                positions[name] = slot
            case .instruction: slot += 1
            case .branch: slot += 1
            case .mapReference, .mapValueReference, .functionReference: slot += 2
            }
        }
        var out: [Instruction] = []
        var refs: [Int: String] = [:]
        var functions: [(offset: Int, name: String)] = []
        out.reserveCapacity(slot)
        for item in items {
            switch item {
            case .label: break
            case .function(let name): functions.append((out.count, name))
            case .functionReference(let dst, let label):
                guard let target = positions[label] else { throw .undefinedLabel(label) }
                out += Instruction.loadImm64(dst, UInt64(UInt32(bitPattern: Int32(target - (out.count + 1)))), pseudo: PseudoSource.function)
            case .instruction(let i): out.append(i)
            case .mapReference(let dst, let map):
                refs[out.count] = map
                out += Instruction.loadMapFD(dst, fd: 0)
            case .mapValueReference(let dst, let map, let offset):
                refs[out.count] = map  // the loader fills in the descriptor; the offset stays
                out += Instruction.loadMapValue(dst, fd: 0, offset: offset)
            case .branch(var i, let label):
                guard let target = positions[label] else { throw .undefinedLabel(label) }
                let delta = target - (out.count + 1)
                if i.opClass == .jmp && i.opcode & 0xf0 == JumpOp.call.rawValue {
                    i.imm = Int32(delta)
                } else {
                    guard let off = Int16(exactly: delta) else { throw .jumpTooFar(label, delta) }
                    i.offset = off
                }
                out.append(i)
            }
        }
        var assembled = Assembled(instructions: out, mapReferences: refs)
        assembled.functions = functions
        return assembled
    }
}

/// An assembled program: instructions, and which `LD_IMM64` slots must be
/// given the descriptor of which map at load time.
public struct Assembled: Hashable, Sendable {
    public var instructions: [Instruction]
    /// Instruction index of a map load → map name.
    public var mapReferences: [Int: String]
    /// Where BPF functions other than the main one start, by name.
    public var functions: [(offset: Int, name: String)] = []

    public static func == (a: Assembled, b: Assembled) -> Bool {
        a.instructions == b.instructions && a.mapReferences == b.mapReferences && a.functions.map(\.offset) == b.functions.map(\.offset)
    }
    public func hash(into h: inout Hasher) { h.combine(instructions); h.combine(mapReferences) }

    public init(instructions: [Instruction], mapReferences: [Int: String] = [:]) {
        self.instructions = instructions
        self.mapReferences = mapReferences
    }
}

public enum AssemblerError: Error, Equatable, Sendable, CustomStringConvertible {
    case undefinedLabel(String)
    case duplicateLabel(String)
    case jumpTooFar(String, Int)

    public var description: String {
        switch self {
        case .undefinedLabel(let l): "jump to undefined label \"\(l)\""
        case .duplicateLabel(let l): "label \"\(l)\" is defined twice"
        case .jumpTooFar(let l, let d): "jump to \"\(l)\" spans \(d) instructions, more than a 16-bit offset holds"
        }
    }
}
