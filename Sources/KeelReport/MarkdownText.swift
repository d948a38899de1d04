/// Escaping for text that goes into GitHub-flavoured Markdown: task names, hosts and messages come from
/// playbooks and hosts, and must not turn into tables, links, HTML or unbalanced code spans.
enum MarkdownText {
    private static let special: Set<Character> = ["\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "~"]

    /// Inline text with Markdown's punctuation backslash-escaped, on one line.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in oneLine(text) {
            if special.contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// Text inside a single-backtick code span: backticks cannot be escaped there, so they become ʼ.
    static func code(_ text: String) -> String {
        oneLine(text).replacingOccurrences(of: "`", with: "ʼ")
    }

    /// Text inside an HTML element such as `<summary>`.
    static func html(_ text: String) -> String {
        oneLine(text).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A code fence longer than any run of backticks in `text`, so a diff of a Markdown file cannot close it.
    static func fence(for text: String) -> String {
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }

    private static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}
