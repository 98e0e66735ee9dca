import AugerCompiler
import AugerScript
import BPF

/// `iter:task`, `iter:task_file`, `iter:task_vma`, …: BPF iterators. The
/// kernel runs the program once per object (task, open file, mapping) when
/// the iterator is read, which the run does once, after BEGIN.
struct IteratorProbes: ProbeFamily {
    func resolve(_ point: AttachPoint, in system: ProbeSystem) throws(AttachError) -> [AttachTarget] {
        guard point.parts.count == 1, let name = point.parts.first, !name.isEmpty else {
            throw AttachError(.invalid("iter takes one name, e.g. iter:task (auger -l 'iter:*' lists them)"), at: point.range)
        }
        guard let btf = system.kernel.btf else {
            throw AttachError(.unavailable("iter probes need the kernel's BTF (/sys/kernel/btf/vmlinux), which this kernel does not have"), at: point.range)
        }
        let names = Glob.isPattern(name) ? Self.iterators(btf).filter { Glob.matches(name, $0) } : [name]
        let targets = names.compactMap { n in
            btf.function(named: "bpf_iter_\(n)").flatMap { Self.isTarget(btf, "bpf_iter_\(n)") ? $0 : nil }.map { id in
                AttachTarget(kind: .iter, location: .iterator(name: n, btfID: id), name: "iter:\(n)", range: point.range)
            }
        }
        guard !targets.isEmpty else { throw AttachError(.noMatches(point.kind, name), at: point.range) }
        return targets
    }

    func attach(_ program: BPF.Program, to target: AttachTarget, in system: ProbeSystem) throws(AttachError) -> [Link] {
        [try AttachError.attaching(target) { try program.attachIterator() }]
    }

    /// The iterators this kernel has: its `bpf_iter_NAME` functions in BTF
    /// whose first parameter is the iterator's `meta` (the rest, such as
    /// bpf_iter_bits_new, are kfuncs of open-coded iterators).
    static func iterators(_ btf: KernelBTF) -> [String] {
        btf.functionNames.filter { $0.hasPrefix("bpf_iter_") && $0.count > 9 && isTarget(btf, $0) }.map { String($0.dropFirst(9)) }.sorted()
    }

    static func isTarget(_ btf: KernelBTF, _ function: String) -> Bool {
        guard let id = btf.function(named: function), let proto = btf.prototype(ofFunction: id) else { return false }
        return btf.namedParameters(proto).first?.name == "meta"
    }
}
