import KeelBase
import OrderedCollections

/// Python's `ast.literal_eval` for the values of INI inventories: `5` is an int, `'5'` a string, `True` a
/// bool, `[1, 2]` a list. Anything Python would refuse (`yes`, `0644`, `a b`) stays the original text,
/// which is exactly what Ansible's INI plugin does with it. Tuples and sets become lists.
struct PythonLiteral {
    /// The typed value, or the raw text when it is not a Python literal.
    static func evaluate(_ text: String) -> Value {
        var parser = PythonLiteral(Array(text.unicodeScalars))
        return parser.parseWhole() ?? .string(text)
    }

    private let chars: [Unicode.Scalar]
    private var index = 0

    private init(_ chars: [Unicode.Scalar]) { self.chars = chars }

    private var current: Unicode.Scalar? { index < chars.count ? chars[index] : nil }

    private mutating func parseWhole() -> Value? {
        // literal_eval strips leading spaces and tabs only.
        while let c = current, c == " " || c == "\t" { index += 1 }
        guard let first = expressionList(allowBareTuple: true) else { return nil }
        skipSpace()
        guard current == nil else { return Optional<Value>.none }
        return first
    }

    /// Whitespace and a trailing `# comment`, which Python's tokenizer ignores.
    private mutating func skipSpace() {
        while let c = current {
            if c == " " || c == "\t" || c == "\u{0C}" { index += 1 }
            else if c == "#" { index = chars.count }
            else { break }
        }
    }

    /// Skips whitespace including newlines (inside brackets).
    private mutating func skipSpaceInBrackets() {
        while let c = current {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" { index += 1 }
            else if c == "#" { while let d = current, d != "\n" { index += 1 } }
            else { break }
        }
    }

    /// `a, b` at the top level is a tuple.
    private mutating func expressionList(allowBareTuple: Bool) -> Value? {
        guard let first = atom() else { return nil }
        skipSpace()
        guard allowBareTuple, current == "," else { return first }
        var items = [first]
        while current == "," {
            index += 1
            skipSpace()
            if current == nil { break }
            guard let next = atom() else { return nil }
            items.append(next)
            skipSpace()
        }
        return .list(items)
    }

    private mutating func atom() -> Value? {
        guard let c = current else { return nil }
        switch c {
        case "[": return bracketed(close: "]").map(Value.list)
        case "(":
            // A parenthesised single value without a comma is just that value.
            let start = index
            index += 1
            skipSpaceInBrackets()
            if current == ")" { index += 1; return .list([]) }
            guard let value = atom() else { return nil }
            skipSpaceInBrackets()
            if current == ")" { index += 1; return value }
            index = start
            return bracketed(close: ")").map(Value.list)
        case "{": return braced()
        case "+", "-":
            index += 1
            skipSpace()
            guard let n = number() else { return nil }
            if c == "+" { return n }
            switch n {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            default: return nil
            }
        case "'", "\"": return strings()
        case ".":
            if index + 2 < chars.count, chars[index + 1] == ".", chars[index + 2] == "." { index += 3; return .string("...") }
            return number()
        default:
            if c.properties.numericType != nil && c.isASCII { return number() }
            if c.properties.isAlphabetic || c == "_" { return nameOrPrefixedString() }
            return nil
        }
    }

    private mutating func bracketed(close: Unicode.Scalar) -> [Value]? {
        index += 1
        var items: [Value] = []
        while true {
            skipSpaceInBrackets()
            if current == close { index += 1; return items }
            guard let item = atom() else { return nil }
            items.append(item)
            skipSpaceInBrackets()
            if current == "," { index += 1; continue }
            if current == close { index += 1; return items }
            return nil
        }
    }

    private mutating func braced() -> Value? {
        index += 1
        var dict = OrderedDictionary<String, Value>()
        var set: [Value] = []
        var isSet: Bool?
        while true {
            skipSpaceInBrackets()
            if current == "}" { index += 1; break }
            guard let key = atom() else { return nil }
            skipSpaceInBrackets()
            if current == ":" {
                guard isSet != true else { return nil }
                isSet = false
                index += 1
                skipSpaceInBrackets()
                guard let value = atom() else { return nil }
                guard let name = PythonLiteral.keyText(key) else { return nil }
                dict[name] = value
            } else {
                guard isSet != false else { return nil }
                isSet = true
                if !set.contains(key) { set.append(key) }
            }
            skipSpaceInBrackets()
            if current == "," { index += 1; continue }
            if current == "}" { index += 1; break }
            return nil
        }
        return isSet == true ? .list(set) : .dict(dict)
    }

    /// Keys become strings, as they do once Ansible's variables pass through JSON.
    private static func keyText(_ key: Value) -> String? {
        switch key {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return Value.formatDouble(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return nil   // lists and dicts are unhashable in Python
        }
    }

    private mutating func nameOrPrefixedString() -> Value? {
        let start = index
        while let c = current, c.properties.isAlphabetic || c == "_" || (c.isASCII && c.properties.numericType != nil) { index += 1 }
        let name = String(String.UnicodeScalarView(chars[start..<index]))
        if let q = current, q == "'" || q == "\"" {
            let prefix = name.lowercased()
            guard ["r", "u", "b", "br", "rb"].contains(prefix) else { return nil }
            index = start
            return strings()
        }
        switch name {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .null
        default: return nil
        }
    }

    /// One or more adjacent string literals, concatenated as Python does.
    private mutating func strings() -> Value? {
        var text = ""
        var sawOne = false
        while true {
            let save = index
            var raw = false
            while let c = current, c == "r" || c == "R" || c == "u" || c == "U" || c == "b" || c == "B" {
                if c == "r" || c == "R" { raw = true }
                index += 1
            }
            guard let quote = current, quote == "'" || quote == "\"" else { index = save; break }
            guard let piece = stringBody(quote: quote, raw: raw) else { return nil }
            text += piece
            sawOne = true
            let afterString = index
            skipSpace()
            guard let next = current, next == "'" || next == "\"" || "rRuUbB".unicodeScalars.contains(next) else {
                index = afterString
                break
            }
        }
        guard sawOne else { return Optional<Value>.none }
        return .string(text)
    }

    private mutating func stringBody(quote: Unicode.Scalar, raw: Bool) -> String? {
        let triple = index + 2 < chars.count && chars[index + 1] == quote && chars[index + 2] == quote
        index += triple ? 3 : 1
        var out = String.UnicodeScalarView()
        while let c = current {
            if c == quote {
                if !triple { index += 1; return String(out) }
                if index + 2 < chars.count, chars[index + 1] == quote, chars[index + 2] == quote {
                    index += 3
                    return String(out)
                }
                out.append(c); index += 1; continue
            }
            if c == "\n" && !triple { return nil }
            if c == "\\" {
                guard index + 1 < chars.count else { return nil }
                let e = chars[index + 1]
                if raw { out.append(c); out.append(e); index += 2; continue }
                index += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "a": out.append("\u{07}")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                case "\\", "'", "\"": out.append(e)
                case "\n": break
                case "x": guard let v = hexDigits(2) else { return nil }; out.append(v)
                case "u": guard let v = hexDigits(4) else { return nil }; out.append(v)
                case "U": guard let v = hexDigits(8) else { return nil }; out.append(v)
                case "0"..."7":
                    var value = Int(e.value - 48)
                    var count = 1
                    while count < 3, let d = current, ("0"..."7").contains(d) { value = value * 8 + Int(d.value - 48); index += 1; count += 1 }
                    guard let s = Unicode.Scalar(value) else { return nil }
                    out.append(s)
                default: out.append("\\"); out.append(e)
                }
                continue
            }
            out.append(c)
            index += 1
        }
        return nil
    }

    private mutating func hexDigits(_ count: Int) -> Unicode.Scalar? {
        guard index + count <= chars.count,
              let v = UInt32(String(String.UnicodeScalarView(chars[index..<index + count])), radix: 16) else { return nil }
        index += count
        return Unicode.Scalar(v)
    }

    /// Python 3 number literals: no leading zeros on decimals, 0x/0o/0b, underscores between digits.
    private mutating func number() -> Value? {
        let start = index
        while let c = current, c.isASCII, c.properties.isAlphabetic || c.properties.numericType != nil || c == "_" || c == "." ||
              ((c == "+" || c == "-") && index > start && (chars[index - 1] == "e" || chars[index - 1] == "E")) {
            index += 1
        }
        let text = String(String.UnicodeScalarView(chars[start..<index]))
        guard !text.hasPrefix("_"), !text.hasSuffix("_"), !text.contains("__") else { return nil }
        let lower = text.lowercased()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
            var digits = lower.dropFirst(2)
            if digits.hasPrefix("_") { digits = digits.dropFirst() }
            guard !digits.isEmpty, let v = Int(digits.replacingOccurrences(of: "_", with: ""), radix: radix) else { return nil }
            return .int(v)
        }
        if lower.hasSuffix("j") { return nil }   // complex numbers: keep the text
        let plain = lower.replacingOccurrences(of: "_", with: "")
        if plain.allSatisfy({ $0.isASCIIDigit }) {
            guard !plain.isEmpty else { return nil }
            if plain.count > 1, plain.hasPrefix("0"), plain.contains(where: { $0 != "0" }) { return nil }
            return Int(plain).map(Value.int)
        }
        guard plain.allSatisfy({ $0.isASCIIDigit || $0 == "." || $0 == "e" || $0 == "+" || $0 == "-" }),
              plain.filter({ $0 == "." }).count <= 1, plain != "." else { return nil }
        var mantissa = plain
        if let e = plain.firstIndex(of: "e") {
            mantissa = String(plain[..<e])
            let exponent = plain[plain.index(after: e)...]
            let digits = exponent.hasPrefix("+") || exponent.hasPrefix("-") ? exponent.dropFirst() : exponent
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        }
        guard !mantissa.isEmpty, mantissa != ".", mantissa.allSatisfy({ $0.isASCIIDigit || $0 == "." }) else { return nil }
        return Double(plain.hasPrefix(".") ? "0" + plain : plain).map(Value.double)
    }
}
