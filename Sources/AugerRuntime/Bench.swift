import AugerCompiler
import BPF
#if canImport(Glibc)
import Glibc
#endif

extension Session {
    /// bench:NAME probes: each runs from user space for about a fifth of a
    /// second; the table gives its cost per run, less the cost of running an
    /// empty program the same way (the system call around it).
    func runBenchmarks(_ benches: [(CompiledProgram, BPF.Program)], drain: () -> Void) throws {
        let empty = try BPF.Program(ProgramSpec(name: "bench_base", type: .rawTracepoint, instructions: [.mov(.r0, 0), .exit]))
        let baseline = try Self.measure(empty, budget: 50_000_000).average
        var results: [(name: String, average: UInt64, iterations: Int)] = []
        for (compiled, program) in benches {
            let (average, iterations) = try Self.measure(program, budget: 200_000_000, drain: drain)
            guard case .bench(let name) = compiled.target.location else { continue }
            results.append((name, average > baseline ? average - baseline : 0, iterations))
        }
        options.format.output.benchmarks(results, out: out)
        out.flush()
    }

    /// Runs `program` in batches of 100 until `budget` ns have passed; the
    /// fastest batch's ns per run (the least disturbed by interrupts and
    /// scheduling) and the runs made.
    static func measure(_ program: BPF.Program, budget: UInt64, drain: () -> Void = {}) throws -> (average: UInt64, iterations: Int) {
        let context = [UInt8](repeating: 0, count: 8)
        let start = monotonicNanoseconds()
        var iterations = 0
        var fastest = UInt64.max
        while monotonicNanoseconds() - start < budget {
            let batch = monotonicNanoseconds()
            for _ in 0..<100 { _ = try program.testRun(context: context) }
            fastest = min(fastest, (monotonicNanoseconds() - batch) / 100)
            iterations += 100
            drain()
        }
        return (fastest, iterations)
    }
}
