/// The text a string option may hold when it is written into a line-based format (crontab, fstab,
/// sysctl.conf) or used as a name: a line break there would add a line of configuration nobody asked for
/// (a second cron job), and a space in an fstab field would shift the fields after it.
public enum TextFormat: Sendable, Equatable {
    /// No line break (LF, CR, or the other line separators).
    case singleLine
    /// One whitespace-separated field: no space, tab or line break.
    case word
    /// A host name by RFC 1123: dot-separated labels of letters, digits and hyphens, each 1-63
    /// characters and not starting or ending with a hyphen, 253 characters at most.
    case hostname

    /// Why `text` does not fit, or nil when it does.
    public func problem(in text: String) -> String? {
        switch self {
        case .singleLine:
            return Self.lineBreak(in: text).map { "a line break (\($0))" }
        case .word:
            if let brk = Self.lineBreak(in: text) { return "a line break (\(brk))" }
            if text.contains(where: { $0 == " " || $0 == "\t" }) { return "whitespace" }
            if text.isEmpty { return "nothing" }
            return nil
        case .hostname:
            return Self.hostnameProblem(text)
        }
    }

    /// What the format expects, for the error message.
    public var expectation: String {
        switch self {
        case .singleLine: return "a single line of text (it is written as one line)"
        case .word: return "a single word without spaces or line breaks (it is one field of a line)"
        case .hostname: return "a host name (RFC 1123): labels of letters, digits and hyphens separated by dots"
        }
    }

    static func lineBreak(in text: String) -> String? {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": return "U+" + String(scalar.value, radix: 16, uppercase: true)
            default: continue
            }
        }
        return nil
    }

    static func hostnameProblem(_ name: String) -> String? {
        if name.isEmpty { return "an empty name" }
        if name.utf8.count > 253 { return "\(name.utf8.count) characters (at most 253)" }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { return "an empty label (two dots, or a dot at an end)" }
            if label.utf8.count > 63 { return "a label of \(label.utf8.count) characters (at most 63)" }
            if let bad = label.unicodeScalars.first(where: { !(("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-") }) {
                return "the character \(Self.show(bad))"
            }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "a label starting or ending with '-'" }
        }
        return nil
    }

    static func show(_ scalar: Unicode.Scalar) -> String {
        scalar.value < 0x20 || scalar.value == 0x7F ? "U+" + String(scalar.value, radix: 16, uppercase: true) : "'\(Character(scalar))'"
    }
}
