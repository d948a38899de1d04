import Foundation
import KeelBase
import OrderedCollections

/// `-e`/`--extra-vars` values, read as Ansible reads them: `@file.yml` loads a YAML (or JSON) file,
/// a value starting with `{` or `[` is inline YAML/JSON, anything else is `key=value` pairs (values stay
/// strings, quotes around a whole value are removed). Several `-e` merge, later ones replacing keys.
public enum ExtraVars {
    public static func parse(_ options: [String]) throws -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        for option in options {
            for (key, value) in try parse(option) { result[key] = value }
        }
        return result
    }

    /// One `-e` value.
    public static func parse(_ option: String) throws -> OrderedDictionary<String, Value> {
        guard let first = option.first else { return [:] }
        if first == "@" {
            let path = String(option.dropFirst())
            guard FileManager.default.fileExists(atPath: path) else {
                throw KeelError("extra vars file '\(path)' does not exist", expected: "a YAML or JSON file after '@'", found: "no such file")
            }
            guard let node = try YAMLLoader.load(file: path) else { return [:] }
            guard case .dict(let dict) = node.value else {
                throw KeelError("extra vars file '\(path)' must contain a mapping", at: node.location,
                                expected: "a mapping of variable names to values", found: node.shapeDescription)
            }
            if node.fromVault { SecretRedactor.shared.register(allStringsIn: node.value) }
            return dict
        }
        if first == "/" || first == "." {
            throw KeelError("extra vars '\(option)' look like a file name", expected: "'@\(option)' to load a file, or key=value",
                            found: option, suggestion: "@\(option)")
        }
        if first == "{" || first == "[" {
            let node: YAMLNode?
            do {
                node = try YAMLLoader.load(string: option, file: "<extra vars>")
            } catch let error as KeelError {
                throw KeelError("extra vars are not valid YAML or JSON: \(error.message)", expected: "a mapping such as '{\"key\": 1}'", found: option)
            }
            guard case .dict(let dict)? = node?.value else {
                throw KeelError("extra vars must be a mapping", expected: "a mapping such as '{\"key\": 1}'", found: option)
            }
            return dict
        }
        return try keyValues(option)
    }

    /// `a=1 b="x y"`: Ansible's parse_kv. Words without an '=' are an error here (Ansible silently turns
    /// them into a `_raw_params` variable, which is never what the user meant).
    static func keyValues(_ text: String) throws -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        for word in splitArguments(text) {
            let decoded = decodeEscapes(word)
            let chars = Array(decoded)
            var position: Int?
            for i in 1..<max(chars.count, 1) where chars[i] == "=" && chars[i - 1] != "\\" { position = i; break }
            guard let position else {
                throw KeelError("extra vars must be key=value pairs, YAML/JSON, or @file", expected: "key=value",
                                found: word)
            }
            let key = String(chars[..<position]).trimmingCharacters(in: .whitespaces)
            let value = String(chars[(position + 1)...]).trimmingCharacters(in: .whitespaces)
            result[key] = .string(unquote(value))
        }
        return result
    }

    /// Splits on whitespace outside quotes and outside Jinja2 `{{ }}`, `{% %}`, `{# #}`; quotes stay in the words.
    static func splitArguments(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var depth = 0
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if quote == nil, depth == 0, c.isWhitespace {
                if !current.isEmpty { words.append(current); current = "" }
                i += 1
                continue
            }
            current.append(c)
            if c == "\\", let next { current.append(next); i += 2; continue }
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "{", let next, next == "{" || next == "%" || next == "#" {
                depth += 1; current.append(next); i += 2; continue
            } else if depth > 0, c == "}" || c == "%" || c == "#", next == "}" {
                depth -= 1; current.append("}"); i += 2; continue
            }
            i += 1
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Python string escapes (`\n`, `\t`, `\"`, `\\`, `\xHH`, `\uHHHH`), decoded as Ansible's parse_kv does.
    static func decodeEscapes(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var out = ""
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "\\", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let e = chars[i + 1]
            let simple: [Character: String] = ["\\": "\\", "'": "'", "\"": "\"", "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}",
                                               "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}"]
            if let s = simple[e] { out += s; i += 2; continue }
            let width = e == "x" ? 2 : e == "u" ? 4 : e == "U" ? 8 : 0
            if width > 0, i + 2 + width <= chars.count, let v = UInt32(String(chars[(i + 2)..<(i + 2 + width)]), radix: 16),
               let scalar = Unicode.Scalar(v) {
                out.unicodeScalars.append(scalar)
                i += 2 + width
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    static func unquote(_ s: String) -> String {
        guard s.count >= 2, let f = s.first, f == s.last, f == "\"" || f == "'" else { return s }
        return String(s.dropFirst().dropLast())
    }
}
