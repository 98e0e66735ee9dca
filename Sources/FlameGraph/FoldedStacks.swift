/// Folded stacks (`main;parse;lex 12`, one stack a line, outermost frame
/// first) merged into a tree of frames. Anyone may have written the input:
/// a line that is not a stack and a count is skipped and counted.
public struct FoldedStacks {
    public final class Frame {
        public let name: String
        /// Samples in this frame and everything it called.
        public internal(set) var total: UInt64 = 0
        /// Children by name, kept in name order when drawn.
        var children: [String: Frame] = [:]

        init(name: String) { self.name = name }

        public var sortedChildren: [Frame] { children.values.sorted { $0.name < $1.name } }

        func child(_ name: String) -> Frame {
            if let c = children[name] { return c }
            let c = Frame(name: name)
            children[name] = c
            return c
        }
    }

    /// The root ("all"), whose total is every sample.
    public let root = Frame(name: "all")
    public private(set) var skippedLines = 0
    public private(set) var depth = 0

    public init(_ text: String) {
        for line in text.split(whereSeparator: \.isNewline) { add(line) }
    }

    mutating func add(_ line: Substring) {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return }
        // The count follows the last space; frames may hold spaces (C++ names).
        guard let space = trimmed.lastIndex(of: " "), let count = UInt64(trimmed[trimmed.index(after: space)...]) else {
            skippedLines += 1
            return
        }
        let stack = trimmed[..<space].trimmingSuffix(" ")
        guard !stack.isEmpty, count > 0 else {
            if stack.isEmpty { skippedLines += 1 }
            return
        }
        let (sum, overflow) = root.total.addingReportingOverflow(count)
        guard !overflow else {
            skippedLines += 1
            return
        }
        root.total = sum
        var frame = root
        var levels = 0
        for name in stack.split(separator: ";", omittingEmptySubsequences: false) {
            frame = frame.child(String(name))
            frame.total += count
            levels += 1
        }
        depth = max(depth, levels)
    }
}

extension Substring {
    func trimmingSuffix(_ c: Character) -> Substring {
        var s = self
        while s.last == c { s = s.dropLast() }
        return s
    }
}
