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
        // Over the UTF-8 bytes: \n and \r are one byte each, so the cut is on a scalar boundary. (Removing
        // scalars one by one from a copy showed up in profiles: every line of every edited file is asked.)
        let utf8 = line.utf8
        var end = utf8.endIndex
        while end > utf8.startIndex {
            let before = utf8.index(before: end)
            guard utf8[before] == UInt8(ascii: "\n") || utf8[before] == UInt8(ascii: "\r") else { break }
            end = before
        }
        return end == utf8.endIndex ? line : String(line[..<end])
    }

    /// Whether a line has its terminator. (Not `hasSuffix("\n")`: Swift sees "\r\n" as one Character.)
    public static func isTerminated(_ line: String) -> Bool { line.unicodeScalars.last == "\n" }

    /// Makes sure the last line ends with a newline before something is appended after it.
    public mutating func terminateLastLine() {
        if let last = lines.last, !TextLines.isTerminated(last) { lines[lines.count - 1] = last + "\n" }
    }
}
