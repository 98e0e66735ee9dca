import AugerCompiler
import AugerScript

/// `-f folded`: maps keyed by stacks print as folded stacks, one
/// `frame;frame;…;frame COUNT` line per distinct stack, the input of
/// flamegraph.pl, inferno, speedscope and `auger flamegraph`. Frames run from
/// the outermost caller to the innermost function: the key's other parts
/// (comm, pid) first, then user stacks, then kernel stacks. Everything else
/// prints as text.
struct FoldedOutput: OutputFormat {
    let plain = TextOutput()

    func attached(_ count: Int, out: OutputSink, err: OutputSink) { plain.attached(count, out: out, err: err) }
    func text(_ t: String, from kind: EventKind, out: OutputSink) { plain.text(t, from: kind, out: out) }
    func message(_ t: String, out: OutputSink, err: OutputSink) { plain.message(t, out: out, err: err) }
    func value(_ type: SType, _ bytes: ArraySlice<UInt8>, decoder: ValueDecoder, out: OutputSink) {
        plain.value(type, bytes, decoder: decoder, out: out)
    }
    func line(_ t: String, from kind: EventKind, out: OutputSink) { plain.line(t, from: kind, out: out) }
    func beforeMapsAtExit(out: OutputSink) {}
    func benchmarks(_ results: [(name: String, average: UInt64, iterations: Int)], out: OutputSink) {
        plain.benchmarks(results, out: out)
    }

    func map(_ map: ScriptMap, _ entries: [MapEntry], _ printer: MapPrinter, top: Int, div: Int, out: OutputSink) {
        guard let lines = Self.folded(map, entries, printer.decoder, div: div) else {
            plain.map(map, entries, printer, top: top, div: div, out: out)
            return
        }
        for (stack, count) in lines { out.write("\(stack) \(count)\n") }
    }

    /// The map's folded lines, sorted, identical stacks summed; nil when its
    /// key holds no stack or its values are not counts.
    static func folded(_ map: ScriptMap, _ entries: [MapEntry], _ decoder: ValueDecoder, div: Int) -> [(String, Int128)]? {
        guard let key = map.key else { return nil }
        let parts: [SType]
        if case .tuple(let types) = key { parts = types } else { parts = [key] }
        let offsets = parts.count == 1 ? [0] : Layout.offsets(parts)
        // Order: other parts, user stacks, kernel stacks (a kernel stack runs on top of the user one).
        func rank(_ t: SType) -> Int {
            switch t { case .ustack: 1; case .kstack: 2; default: 0 }
        }
        guard parts.contains(where: { rank($0) > 0 }) else { return nil }
        let order = parts.indices.sorted { (rank(parts[$0]), $0) < (rank(parts[$1]), $1) }
        var sums: [String: Int128] = [:]
        for entry in entries {
            let count: Int128
            switch entry.value {
            case .number(let n): count = n
            case .bytes(let b) where map.value.isPlainInteger: count = decoder.integer(decoder.word(b), map.value)
            default: return nil
            }
            var frames: [String] = []
            for i in order {
                let bytes = entry.key.dropFirst(offsets[i])
                switch parts[i] {
                case .kstack(let f): frames += decoder.stackFrames(decoder.word(bytes), user: false, limit: f.limit)
                case .ustack(let f): frames += decoder.stackFrames(decoder.word(bytes), user: true, limit: f.limit)
                default: frames.append(decoder.text(parts[i], bytes))
                }
            }
            // A frame may not hold the separator, nor a line break.
            let stack = frames.map { frame in
                String(frame.map { $0 == ";" ? ":" : $0 == "\n" ? " " : $0 })
            }.joined(separator: ";")
            sums[stack.isEmpty ? "[empty]" : stack, default: 0] += count / Int128(max(div, 1))
        }
        return sums.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
