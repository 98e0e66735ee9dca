// Measures the front end on a generated 1,000-line script: parse, and parse
// plus type check. Run: swift run -c release bench-frontend
import AugerScript
import Dispatch
import Foundation

/// A script of `lines` lines in the shapes real scripts have.
func generateScript(lines: Int) -> String {
    var out = ["#include <linux/sched.h>", "config = { max_map_keys = 8192 }", "macro scaled(x) { x * 1000 }"]
    var i = 0
    while out.count < lines - 8 {
        out.append("tracepoint:syscalls:sys_enter_read\(i) /pid > \(i) && comm != \"bash\"/ {")
        out.append("  @reads\(i)[comm, tid] = count();")
        out.append("  $start = nsecs; $n = \(i) + (pid % 7) * 3;")
        out.append("  if ($n > 10) { @big\(i) = hist($n); } else { @small\(i) = lhist($n, 0, 100, 10); }")
        out.append("  printf(\"%-16s %6d %llu\\n\", comm, pid, scaled($start));")
        out.append("  for ($k : 0..4) { @sum\(i) += $k; }")
        out.append("}")
        i += 1
    }
    while out.count < lines { out.append("// padding") }
    return out.joined(separator: "\n")
}

func measure(_ runs: Int, _ body: () -> Void) -> (best: Double, median: Double) {
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    samples.sort()
    return (samples[0], samples[samples.count / 2])
}

let text = generateScript(lines: 1000)
let source = SourceFile(name: "bench.bt", text: text)
let (program, diagnostics) = Parser.parse(source)
precondition(!diagnostics.hasErrors, diagnostics.rendered(in: source))
let checked = Sema.check(program)
precondition(!checked.diagnostics.hasErrors, checked.diagnostics.rendered(in: source))

let runs = Int(ProcessInfo.processInfo.environment["RUNS"] ?? "") ?? 50
let parse = measure(runs) { _ = Parser.parse(source) }
let full = measure(runs) { _ = Sema.check(Parser.parse(source).program) }
print("front end on a 1,000-line script (\(text.utf8.count) bytes, \(program.probes.count) probes), 50 runs:")
func ms(_ v: Double) -> String { String(Double(Int(v * 100)) / 100) }
print("  parse:              best \(ms(parse.best)) ms, median \(ms(parse.median)) ms")
print("  parse + type check: best \(ms(full.best)) ms, median \(ms(full.median)) ms")
