/// A text file as a list of lines that keep their terminators, so edits preserve everything they do
/// not touch (CRLF lines, a missing final newline).
public struct TextLines: Sendable, Equatable {
    public var lines: [String]

    public init(_ text: String) {
        var lines: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            current.unicodeScalars.append(scalar)
            if scalar == "\n" { lines.append(current); current = "" }
        }
        if !current.isEmpty { lines.append(current) }
        self.lines = lines
    }

    public var text: String { lines.joined() }

    /// The line without its terminator.
    public static func bare(_ line: String) -> String {
        var s = line
        while let last = s.unicodeScalars.last, last == "\n" || last == "\r" { s.unicodeScalars.removeLast() }
        return s
    }

    /// Whether a line has its terminator. (Not `hasSuffix("\n")`: Swift sees "\r\n" as one Character.)
    public static func isTerminated(_ line: String) -> Bool { line.unicodeScalars.last == "\n" }

    /// Makes sure the last line ends with a newline before something is appended after it.
    public mutating func terminateLastLine() {
        if let last = lines.last, !TextLines.isTerminated(last) { lines[lines.count - 1] = last + "\n" }
    }
}
