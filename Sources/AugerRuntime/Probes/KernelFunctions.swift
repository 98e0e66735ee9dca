import AugerCompiler
import AugerScript
import BPF

/// kprobe, kretprobe, fentry and fexit: the kernel's own functions. Auger
/// resolves their names against BTF but cannot attach them yet.
struct KernelFunctionProbes: ProbeFamily {
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        // A function the kernel does not have is named as bpftrace names it, before what Auger lacks.
        let function = point.parts.last ?? ""
        if !function.contains("*"), let btf = system.kernel.btf, btf.function(named: function) == nil {
            throw AttachError(.noMatches(point.kind, point.parts.joined(separator: ":")), at: point.range)
        }
        if point.kind == .kprobe || point.kind == .kretprobe, !system.hasKprobes {
            throw AttachError(.unavailable("\(point.kind.name) probes need kprobes, which this kernel does not have (CONFIG_KPROBES is off); Auger cannot serve them with fentry yet"), at: point.range)
        }
        throw AttachError(.notSupported(point.kind), at: point.range)
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        throw AttachError(.notSupported(target.kind), at: target.range)
    }
}
