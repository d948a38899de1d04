/// The release history the host keeps in PATH/history, one line per switch: `TIME ACTION ID`, where
/// ACTION is `switch` (a deploy) or `rollback`. Read as a stack of deploys: a switch pushes its release,
/// a rollback pops back down to the release it went to. So "the previous release" is the one below the
/// current one on the stack, and two rollbacks in a row go back two deploys, not back and forth.
public struct ReleaseHistory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var time: String
        public var action: String
        public var release: String
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Parses the file's lines; lines that are not `TIME ACTION ID` are skipped (a hand edit must not
    /// stop a rollback).
    public init(text: String) {
        entries = text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 3, ["switch", "rollback"].contains(fields[1]) else { return nil }
            return Entry(time: fields[0], action: fields[1], release: fields[2])
        }
    }

    /// The deploys still in effect, oldest first.
    public var stack: [String] {
        var stack: [String] = []
        for entry in entries {
            if entry.action == "switch" {
                if stack.last != entry.release { stack.append(entry.release) }
            } else if let index = stack.lastIndex(of: entry.release) {
                stack.removeSubrange((index + 1)...)
            } else {
                stack.append(entry.release)
            }
        }
        return stack
    }

    /// The release a rollback from `current` goes to: the one below it on the stack that still exists.
    public func previous(current: String?, existing: Set<String>) -> String? {
        var stack = self.stack
        if let current, let index = stack.lastIndex(of: current) { stack.removeSubrange(index...) }
        return stack.reversed().first { $0 != current && existing.contains($0) }
    }

    /// Releases ordered from the most recently used to the least; releases never switched to (a failed
    /// validate, an interrupted deploy) come last, by name.
    public func byRecency(_ releases: [String]) -> [String] {
        var lastUse: [String: Int] = [:]
        for (index, entry) in entries.enumerated() { lastUse[entry.release] = index }
        return releases.sorted { one, other in
            let (a, b) = (lastUse[one] ?? -1, lastUse[other] ?? -1)
            return a != b ? a > b : one > other
        }
    }
}
