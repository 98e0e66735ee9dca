/// How a script runs, from the command line.
public struct RunOptions: @unchecked Sendable { // Regex is not Sendable
    public enum Format: String, Sendable, CaseIterable { case text, json, folded }
    public var format: Format = .text
    public var quiet = false
    public var verbose = false
    public var dryRun = false
    public var unsafe = false
    /// -c: a command to start and trace; the run ends when it exits.
    public var command: String?
    /// -p: the process to trace.
    public var pid: Int32?
    /// $1, $2, … after the script.
    public var positional: [String] = []
    /// `--name=value` after `--`, for getopt().
    public var named: [String: String] = [:]
    /// Print __BPFTRACE_NOTIFY_PROBES_ATTACHED once attached (for bpftrace's test suite).
    public var notifyAttached = false
    /// --no-warnings: keep the script's warnings to ourselves.
    public var warnings = true
    /// --probe-filter: attach only probes whose names match (BEGIN/END always run).
    public var probeFilter: Regex<AnyRegexOutput>?
    /// -B: when output reaches its file: after each line, each write, or in blocks.
    public enum Buffering: String, Sendable { case none, line, full }
    public var buffering: Buffering = .full

    /// -d dis: print each program's BPF instructions before loading.
    public var dumpInstructions = false
    /// -k: report helper calls that fail (for now, reads of missing map elements).
    public var helperErrors = false
    /// -I: directories searched first for the script's #include headers.
    public var includeDirectories: [String] = []
    /// --include: headers included before the script, as `#include <FILE>`.
    public var includes: [String] = []

    /// --no-feature: kernel mechanisms not to use (kprobe_multi, …).
    public var disabledFeatures: Set<KernelFeature> = []

    public init() {}
}
