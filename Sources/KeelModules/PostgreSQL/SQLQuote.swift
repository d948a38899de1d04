import KeelBase

/// Quoting for SQL text Keel writes itself: every name and value that comes from a task reaches PostgreSQL
/// as a quoted identifier or literal, never spliced in raw.
enum SQLQuote {
    /// `"name"` with inner double quotes doubled: any text becomes one identifier, case kept.
    static func identifier(_ name: String) throws -> String {
        try refuseNul(name)
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `schema.name` written by the user (public.t, "My Schema".t): each dot-separated part quoted unless it
    /// is quoted already, as the collection's pg_quote_identifier does.
    static func qualified(_ text: String) throws -> String {
        try splitQualified(text).map { try identifier($0) }.joined(separator: ".")
    }

    /// The parts of a dotted name, with quoted parts unquoted ("a.b"."c" -> [a.b, c]).
    static func splitQualified(_ text: String) throws -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { current.append("\""); chars.removeFirst() } else { quoted = false }
                } else { current.append(c) }
            } else if c == "\"" { quoted = true } else if c == "." {
                parts.append(current); current = ""
            } else { current.append(c) }
        }
        guard !quoted else { throw KeelError("unbalanced double quote in the name \(text)", expected: "a name like schema.table or \"My Schema\".table", found: text) }
        parts.append(current)
        return parts
    }

    /// `E'text'` with backslashes and single quotes doubled: the same string whatever
    /// standard_conforming_strings says, and psql's lexer sees one literal (no meta-command, no variable).
    static func literal(_ text: String) throws -> String {
        try refuseNul(text)
        return "E'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    private static func refuseNul(_ text: String) throws {
        guard !text.contains("\u{0}") else { throw KeelError("PostgreSQL text cannot hold a NUL character", expected: "text without NUL", found: "a NUL character") }
    }
}
