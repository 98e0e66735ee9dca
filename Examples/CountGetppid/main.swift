// Counts getppid(2) calls system-wide with a hand-assembled program, using
// nothing but the BPF module. Run as root: swift run count-getppid
import BPF
import Glibc

let counts = try Map(MapSpec(name: "counts", type: .array, keySize: 4, valueSize: 8, maxEntries: 1))
var asm = Assembler()
asm.emit(.store(.u32, .r10, -4, imm: 0), .mov(.r2, .r10), .alu64(.add, .r2, -4))  // key 0 on the stack
asm.loadMap(.r1, "counts")
asm.emit(.call(.mapLookupElem))
asm.jump(.jeq, .r0, 0, to: "out")
asm.emit(.mov(.r1, 1), .atomic(.add, .u64, .r0, 0, .r1))                          // counts[0] += 1
asm.label("out")
asm.emit(.mov(.r0, 0), .exit)
let program = try Program(ProgramSpec(name: "count", type: .tracepoint, assembled: asm.assemble()), maps: ["counts": counts])
let link = try program.attachTracepoint(category: "syscalls", name: "sys_enter_getppid")
for _ in 0..<42 { _ = getppid() }
print("getppid calls seen:", try counts.lookup(UInt32(0), as: UInt64.self) ?? 0)
