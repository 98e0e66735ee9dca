/// Linux signal numbers by name (x86_64 and most architectures), for
/// signal("SIGKILL") and signal_thread("STOP").
public enum SignalNumbers {
    static let byName: [String: Int64] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    /// `SIGKILL`, `KILL`, or a real-time signal such as `SIGRTMIN+1`.
    public static func number(_ name: String) -> Int64? {
        let bare = name.hasPrefix("SIG") ? String(name.dropFirst(3)) : name
        if let n = byName[bare] { return n }
        if bare.hasPrefix("RTMIN") {
            let rest = bare.dropFirst(5)
            guard rest.isEmpty || rest.hasPrefix("+"), let k = rest.isEmpty ? 0 : Int64(rest.dropFirst()), k >= 0, 34 + k <= 64 else { return nil }
            return 34 + k
        }
        return nil
    }
}
