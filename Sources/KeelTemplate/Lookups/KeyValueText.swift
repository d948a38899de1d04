import KeelBase
import OrderedCollections

/// Ansible's `parse_kv` for lookup terms: space-separated `key=value` words, quotes grouping words; words
/// without `=` are the free-form part (`_raw_params`), kept in order.
enum KeyValueText {
    static func parse(_ text: String) throws -> OrderedDictionary<String, String> {
        var result = OrderedDictionary<String, String>()
        var raw: [String] = []
        for word in try words(text) {
            if let equals = word.firstIndex(of: "="), equals != word.startIndex, !word[..<equals].contains(where: { $0 == " " || $0 == "'" || $0 == "\"" }) {
                result[String(word[..<equals])] = unquote(String(word[word.index(after: equals)...]))
            } else {
                raw.append(word)
            }
        }
        if !raw.isEmpty { result["_raw_params"] = raw.joined(separator: " ") }
        return result
    }

    /// Words split on unquoted whitespace; quotes are kept (unquote removes them from values).
    static func words(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped { current.append(c); escaped = false; continue }
            if c == "\\" { current.append(c); escaped = true; continue }
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if c == " " || c == "\t" || c == "\n" {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                current.append(c)
            }
        }
        if quote != nil { throw KeelError("unbalanced quotes in lookup term", found: text) }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let first = s.first, first == "'" || first == "\"", s.last == first { return String(s.dropFirst().dropLast()) }
        return s
    }
}
