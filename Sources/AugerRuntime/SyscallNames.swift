extension SyscallNumbers {
    /// Number → the call's name, for syscall_name().
    static let names: [Int: String] = Dictionary(
        x86_64.filter { !tracepointAliases.contains($0.key) }.map { ($0.value, $0.key) }) { a, _ in a }
}
