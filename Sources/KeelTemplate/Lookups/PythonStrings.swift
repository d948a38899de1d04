/// What Python's str methods count as whitespace and lines, for lookups that strip or split text as
/// Ansible's plugins do.
extension Character {
    /// Python's `str.strip()` whitespace.
    var isPythonWhitespace: Bool { self == " " || self == "\t" || self == "\n" || self == "\r" || self == "\u{0B}" || self == "\u{0C}" || self == "\r\n" }
}

extension String {
    func trimmingTrailingPythonWhitespace() -> String {
        var text = self
        while let last = text.last, last.isPythonWhitespace { text.removeLast() }
        return text
    }
}

/// Python's `str.splitlines()` for the common line ends (\n, \r\n, \r): no empty item after a final newline.
enum PythonLines {
    static func split(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for c in text {
            if c == "\n" || c == "\r" || c == "\r\n" { lines.append(current); current = "" } else { current.append(c) }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
