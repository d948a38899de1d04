import KeelBase
import OrderedCollections

/// Ansible's `k=v` argument strings (`file: path=/x state=directory`, `shell: echo hi chdir=/tmp`),
/// split the way its `split_args`/`parse_kv` do: whitespace separates words except inside quotes or
/// Jinja2 blocks, `key=value` words become arguments with one level of quotes removed, and the other
/// words are joined back into `_raw_params`.
enum KeyValueArguments {
    /// Options that command-like modules accept inline; any other `k=v` stays part of the command.
    static let commandOptions: Set<String> = [
        "creates", "removes", "chdir", "executable", "warn", "stdin", "stdin_add_newline", "strip_empty_ends",
    ]

    struct SplitError: Error { var message: String }

    /// Parses `text`. With `checkRaw` (command, shell, raw, script, win_*), only `commandOptions` are
    /// split off; everything else is the command line.
    static func parse(_ text: String, checkRaw: Bool) throws(SplitError) -> OrderedDictionary<String, Value> {
        var options = OrderedDictionary<String, Value>()
        var rawParams: [String] = []
        for word in try split(text) {
            let decoded = decodeEscapes(word)
            guard let equals = unescapedEquals(in: decoded) else {
                // Only escaped `\=`: a plain word with the escapes removed, as Ansible does.
                rawParams.append(decoded.contains("=") ? decoded.replacingOccurrences(of: "\\=", with: "=") : word)
                continue
            }
            let key = String(decoded[..<equals]).trimmingWhitespace
            let value = String(decoded[decoded.index(after: equals)...]).trimmingWhitespace
            if checkRaw && !commandOptions.contains(key) {
                rawParams.append(word)
            } else {
                options[key] = .string(unquote(value))
            }
        }
        if !rawParams.isEmpty { options["_raw_params"] = .string(join(rawParams)) }
        return options
    }

    /// The first `=` after the first character that is not escaped with a backslash.
    private static func unescapedEquals(in word: String) -> String.Index? {
        guard !word.isEmpty else { return nil }
        var previous: Character = word[word.startIndex]
        var index = word.index(after: word.startIndex)
        while index < word.endIndex {
            let c = word[index]
            if c == "=" && previous != "\\" { return index }
            previous = c
            index = word.index(after: index)
        }
        return nil
    }

    /// Splits on spaces and newlines outside quotes and Jinja2 blocks. Extra spaces between words stay
    /// on the preceding word and a newline ends its word, so joining gives back the original spacing.
    static func split(_ text: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var depth = (print: 0, block: 0, comment: 0)
        let chars = Array(text)
        var i = 0
        func push(_ suffix: String = "") {
            if !current.isEmpty { words.append(current + suffix); current = "" }
            else if !words.isEmpty { words[words.count - 1] += suffix.isEmpty ? " " : suffix }
        }
        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            let previous: Character? = i > 0 ? chars[i - 1] : nil
            if let q = quote {
                current.append(c)
                if c == q && previous != "\\" { quote = nil }
                i += 1
                continue
            }
            switch (c, next) {
            case ("{", "{"): depth.print += 1; current += "{{"; i += 2; continue
            case ("{", "%"): depth.block += 1; current += "{%"; i += 2; continue
            case ("{", "#"): depth.comment += 1; current += "{#"; i += 2; continue
            case ("}", "}") where depth.print > 0: depth.print -= 1; current += "}}"; i += 2; continue
            case ("%", "}") where depth.block > 0: depth.block -= 1; current += "%}"; i += 2; continue
            case ("#", "}") where depth.comment > 0: depth.comment -= 1; current += "#}"; i += 2; continue
            default: break
            }
            let insideJinja = depth.print > 0 || depth.block > 0 || depth.comment > 0
            if insideJinja {
                current.append(c)
            } else if c == "\"" || c == "'", previous != "\\" {
                quote = c
                current.append(c)
            } else if c == " " {
                if !current.isEmpty { words.append(current); current = "" }
                else if !words.isEmpty && previous == " " { words[words.count - 1] += " " }
            } else if c == "\n" {
                push("\n")
            } else {
                current.append(c)
            }
            i += 1
        }
        if quote != nil || depth.print > 0 || depth.block > 0 || depth.comment > 0 {
            throw SplitError(message: "unbalanced quotes or Jinja2 block in '\(text)'")
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Ansible's join_args: words separated by one space, except after a newline.
    static func join(_ words: [String]) -> String {
        var result = ""
        for word in words {
            if result.isEmpty || result.hasSuffix("\n") { result += word } else { result += " " + word }
        }
        return result
    }

    /// Removes one level of matching outer quotes.
    static func unquote(_ s: String) -> String {
        guard s.count >= 2, let first = s.first, first == s.last, first == "\"" || first == "'" else { return s }
        let inner = s.dropFirst().dropLast()
        if inner.last == "\\" { return s }
        return String(inner)
    }

    /// Python string escapes (`\n`, `\t`, `\\`, `\'`, `\"`, `\xNN`, `\uNNNN`, octal), decoded as
    /// Ansible's parse_kv does before splitting keys from values.
    static func decodeEscapes(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        let chars = Array(s)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "\\", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let e = chars[i + 1]
            let simple: [Character: Character] = ["\\": "\\", "'": "'", "\"": "\"", "a": "\u{07}", "b": "\u{08}",
                                                  "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}"]
            if let replacement = simple[e] { out.append(replacement); i += 2; continue }
            let width = e == "x" ? 2 : e == "u" ? 4 : e == "U" ? 8 : 0
            if width > 0, i + 2 + width <= chars.count,
               let code = UInt32(String(chars[(i + 2)..<(i + 2 + width)]), radix: 16),
               let scalar = Unicode.Scalar(code) {
                out.append(Character(scalar)); i += 2 + width; continue
            }
            if e.isASCII, let _ = e.wholeNumberValue, e < "8" {
                var j = i + 1
                var digits = ""
                while j < chars.count, digits.count < 3, let d = chars[j].wholeNumberValue, d < 8 {
                    digits.append(chars[j]); j += 1
                }
                if let code = UInt32(digits, radix: 8), let scalar = Unicode.Scalar(code) {
                    out.append(Character(scalar)); i = j; continue
                }
            }
            out.append(c)
            i += 1
        }
        return out
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
