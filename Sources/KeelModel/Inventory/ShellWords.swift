import KeelBase

/// POSIX shell-style word splitting as Python's `shlex.split(line, comments=True)` does it, which is how
/// Ansible's INI plugin reads host lines: quotes group words, backslash escapes outside single quotes, and
/// '#' starts a comment anywhere outside quotes (even inside a word).
enum ShellWords {
    static func split(_ line: String, comments: Bool) throws -> [String] {
        try splitWithOffsets(line, comments: comments).map(\.word)
    }

    /// Words with the 0-based character offset where each starts (for error columns).
    static func splitWithOffsets(_ line: String, comments: Bool) throws -> [(word: String, offset: Int)] {
        var words: [(word: String, offset: Int)] = []
        var start = 0
        var word = ""
        var inWord = false
        var quote: Character?
        var iterator = Array(line)
        var i = 0
        while i < iterator.count {
            let c = iterator[i]
            if let q = quote {
                if c == q { quote = nil }
                else if q == "\"" && c == "\\" && i + 1 < iterator.count && (iterator[i + 1] == "\"" || iterator[i + 1] == "\\") {
                    word.append(iterator[i + 1]); i += 1
                } else { word.append(c) }
            } else if c == " " || c == "\t" || c == "\n" || c == "\r" {
                if inWord { words.append((word, start)); word = ""; inWord = false }
            } else if comments && c == "#" {
                break
            } else if c == "'" || c == "\"" {
                if !inWord { start = i }
                quote = c; inWord = true
            } else if c == "\\" {
                if !inWord { start = i }
                inWord = true
                if i + 1 < iterator.count { word.append(iterator[i + 1]); i += 1 }
                else { throw KeelError("no escaped character", expected: "a character after '\\'", found: "end of line") }
            } else {
                if !inWord { start = i }
                word.append(c); inWord = true
            }
            i += 1
        }
        if quote != nil { throw KeelError("no closing quotation", expected: "a closing \(quote!)", found: line) }
        if inWord { words.append((word, start)) }
        iterator.removeAll()
        return words
    }
}
