import AugerCompiler
import AugerScript

/// How a run's output is written: bpftrace's text, or one JSON record a
/// line (`-f json`). Everything that differs between the two is here.
protocol OutputFormat {
    /// "Attached N probes", once everything is attached.
    func attached(_ count: Int, out: OutputSink, err: OutputSink)
    /// Text a program produced: printf, cat() and system() output.
    func text(_ text: String, from kind: EventKind, out: OutputSink)
    /// errorf()/warnf(), already rendered with their locations.
    func message(_ text: String, out: OutputSink, err: OutputSink)
    /// print(value).
    func value(_ type: SType, _ bytes: ArraySlice<UInt8>, decoder: ValueDecoder, out: OutputSink)
    /// join(array) and time(): a line of text.
    func line(_ text: String, from kind: EventKind, out: OutputSink)
    /// A map, at exit or by print(@m).
    func map(_ map: ScriptMap, _ entries: [MapEntry], _ printer: MapPrinter, top: Int, div: Int, out: OutputSink)
    /// Before the maps printed at exit.
    func beforeMapsAtExit(out: OutputSink)
    /// bench: probes' results: name, ns per run, runs.
    func benchmarks(_ results: [(name: String, average: UInt64, iterations: Int)], out: OutputSink)
}

extension RunOptions.Format {
    var output: any OutputFormat {
        switch self {
        case .text: TextOutput()
        case .json: JSONOutput()
        case .folded: FoldedOutput()
        }
    }
}

struct TextOutput: OutputFormat {
    func attached(_ count: Int, out: OutputSink, err: OutputSink) {
        err.write("Attached \(count) probe\(count == 1 ? "" : "s")\n")
        err.flush()
    }

    func text(_ text: String, from kind: EventKind, out: OutputSink) { out.write(text) }

    func message(_ text: String, out: OutputSink, err: OutputSink) {
        // Warnings and errors from the program go where auger's own do.
        out.flush()
        err.write(text)
        err.flush()
    }

    func value(_ type: SType, _ bytes: ArraySlice<UInt8>, decoder: ValueDecoder, out: OutputSink) {
        out.write(decoder.text(type, bytes) + "\n")
    }

    func line(_ text: String, from kind: EventKind, out: OutputSink) {
        out.write(kind == .join ? text + "\n" : text)
    }

    func map(_ map: ScriptMap, _ entries: [MapEntry], _ printer: MapPrinter, top: Int, div: Int, out: OutputSink) {
        if !printer.writeIntegers(map, entries, top: top, div: div, to: out) {
            out.write(printer.text(map, entries, top: top, div: div))
        }
        switch map.kind {
        case .hist, .lhist, .tseries: break
        default: out.write("\n")
        }
    }

    func beforeMapsAtExit(out: OutputSink) { out.write("\n") }

    func benchmarks(_ results: [(name: String, average: UInt64, iterations: Int)], out: OutputSink) {
        out.write("Benchmark".padding(41) + "Time(ns)".padding(15) + "Iterations\n")
        out.write(String(repeating: "-", count: 66) + "\n")
        for (name, average, iterations) in results {
            out.write(name.padding(41) + String(average).padding(15) + "\(iterations)\n")
        }
    }
}

struct JSONOutput: OutputFormat {
    func attached(_ count: Int, out: OutputSink, err: OutputSink) {
        out.write("{\"type\": \"attached_probes\", \"count\": \(count), \"data\": {\"probes\": \(count)}}\n")
    }

    func text(_ text: String, from kind: EventKind, out: OutputSink) {
        let type = kind == .cat ? "cat" : kind == .system ? "syscall" : "printf"
        out.write("{\"type\": \"\(type)\", \"data\": \(JSON.quote(text))}\n")
    }

    func message(_ text: String, out: OutputSink, err: OutputSink) { self.text(text, from: .message, out: out) }

    func value(_ type: SType, _ bytes: ArraySlice<UInt8>, decoder: ValueDecoder, out: OutputSink) {
        out.write("{\"type\": \"value\", \"data\": \(decoder.json(type, bytes))}\n")
    }

    func line(_ text: String, from kind: EventKind, out: OutputSink) {
        out.write("{\"type\": \"\(kind == .join ? "join" : "time")\", \"data\": \(JSON.quote(text))}\n")
    }

    func map(_ map: ScriptMap, _ entries: [MapEntry], _ printer: MapPrinter, top: Int, div: Int, out: OutputSink) {
        out.write(JSONMaps(printer: printer).record(map, entries, top: top, div: div) + "\n")
    }

    func beforeMapsAtExit(out: OutputSink) {}

    func benchmarks(_ results: [(name: String, average: UInt64, iterations: Int)], out: OutputSink) {
        for (name, average, iterations) in results {
            out.write("{\"type\": \"benchmark_result\", \"data\": {\(JSON.quote(name)): {\"average\": \(average), \"iters\": \(iterations)}}}\n")
        }
    }
}
