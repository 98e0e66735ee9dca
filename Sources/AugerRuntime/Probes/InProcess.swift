import AugerCompiler
import AugerScript
import BPF

/// begin, end, bench, self and test: programs Auger runs itself (test runs
/// from user space), at the start, the end, on a signal, or in a loop.
struct InProcessProbes: ProbeFamily {
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        switch point.kind {
        case .bench:
            return [AttachTarget(kind: .bench, location: .bench(name: point.parts[0]), name: "bench:\(point.parts[0])", range: point.range)]
        case .selfSignal:
            let signal = point.parts[1]
            guard SignalWatcher.userSignals[signal] != nil else {
                throw AttachError(.invalid("self:signal probes take SIGUSR1 or SIGUSR2, not '\(signal)'"), at: point.range)
            }
            return [AttachTarget(kind: .selfSignal, location: .signal(name: signal), name: "self:signal:\(signal)", range: point.range)]
        case .test:
            throw AttachError(.notSupported(.test), at: point.range)
        default:
            return [AttachTarget(kind: point.kind, location: .inProcess, name: point.kind.name, range: point.range)]
        }
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] { [] }
}
