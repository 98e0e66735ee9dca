import BPF

/// The program on the raw sys_enter (or sys_exit) tracepoint that serves a
/// probe's syscalls:sys_enter_NAME tracepoints: one attachment for all of
/// them, where each syscall tracepoint would be a perf event of its own. It
/// reads the call's number and tail-calls the program for that call from a
/// program array; an empty slot falls through and costs nothing more.
enum SyscallDispatch {
    /// x86's TS_COMPAT: the task is in a 32-bit system call, whose numbers
    /// are another table's (syscall tracepoints skip those calls).
    static let compatFlag: Int32 = 0x0002

    static func program(name: String, exit: Bool, table: String, statusOffset: Int) throws(CompileError) -> ProgramSpec {
        var asm = Assembler()
        asm.emit(.mov(.r6, .r1), .store(.u64, .r10, -8, imm: 0))
        asm.emit(.call(.getCurrentTask), .mov(.r3, .r0), .alu64(.add, .r3, Int32(statusOffset)),
                 .mov(.r1, .r10), .alu64(.add, .r1, -8), .mov(.r2, 4), .call(.probeReadKernel), .load(.u32, .r1, .r10, -8))
        asm.jump(.jset, .r1, compatFlag, to: "exit")
        if exit {
            // sys_exit's context holds the registers and the return value: the number is orig_ax.
            asm.emit(.store(.u64, .r10, -16, imm: -1), .load(.u64, .r3, .r6, 0), .alu64(.add, .r3, Int32(Registers.offsets["orig_ax"]!)),
                     .mov(.r1, .r10), .alu64(.add, .r1, -16), .mov(.r2, 8), .call(.probeReadKernel), .load(.u64, .r3, .r10, -16))
        } else {
            asm.emit(.load(.u64, .r3, .r6, 8))
        }
        // A negative number (-1: not a system call) is far out of the table's range as a u32.
        asm.emit(.mov(.r1, .r6))
        asm.loadMap(.r2, table)
        asm.emit(.call(.tailCall))
        asm.label("exit")
        asm.emit(.mov(.r0, 0), .exit)
        do { return ProgramSpec(name: name, type: .rawTracepoint, assembled: try asm.assemble()) } catch {
            throw CompileError(message: "internal error: \(error)", range: .none)
        }
    }
}
