import Foundation
import KeelBase

/// Python's `str()` and `repr()`, because Ansible users see Python's spelling of values in rendered
/// output: `True`, `None`, `[1, 'a']`, `{'a': 1}`, `1e+16`.
extension RValue {
    func pythonStr() throws -> String {
        switch self {
        case .undefined(let u): if u.lenient { return "" }; throw u.error
        case .string(let s): return s
        case .namespace(let n):
            if case .module(_, let body) = n.kind { return body }
            return try pythonRepr()
        default: return try pythonRepr()
        }
    }

    func pythonRepr() throws -> String {
        switch self {
        case .undefined(let u): throw u.error
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return PythonText.floatRepr(d)
        case .string(let s): return PythonText.stringRepr(s)
        case .list(let l): return "[" + (try l.map { try $0.pythonRepr() }).joined(separator: ", ") + "]"
        case .tuple(let l):
            let inner = try l.map { try $0.pythonRepr() }.joined(separator: ", ")
            return "(" + inner + (l.count == 1 ? ",)" : ")")
        case .dict(let d):
            return "{" + (try d.map { "\(try $0.key.pythonRepr()): \(try $0.value.pythonRepr())" }).joined(separator: ", ") + "}"
        case .callable(let c): return c.repr ?? "<function \(c.name)>"
        case .namespace(let n):
            switch n.kind {
            case .module(let name, _): return "<TemplateModule \((name.map(PythonText.stringRepr)) ?? "None")>"
            case .templateReference(let name): return "<TemplateReference \((name.map(PythonText.stringRepr)) ?? "None")>"
            case .namespace: break
            }
            return "<Namespace {" + (try n.attributes.map { "'\($0.key)': \(try $0.value.pythonRepr())" }).joined(separator: ", ") + "}>"
        case .loop(let l): return "<LoopContext \(l.index0 + 1)/\(l.items.count)>"
        }
    }
}

enum PythonText {
    /// `repr(float)`: the shortest digits that round-trip, fixed notation for exponents -4..<16.
    static func floatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let (digits, exponent, negative) = shortestDigits(d)
        var out = negative ? "-" : ""
        // exponent: value = 0.d1d2d3... * 10^exponent; Python's decimal exponent is exponent - 1.
        let e = exponent - 1
        if e >= -5 + 1 && e < 16 {
            if e >= 0 {
                if digits.count <= e + 1 {
                    out += digits + String(repeating: "0", count: e + 1 - digits.count) + ".0"
                } else {
                    let i = digits.index(digits.startIndex, offsetBy: e + 1)
                    out += digits[..<i] + "." + digits[i...]
                }
            } else {
                out += "0." + String(repeating: "0", count: -e - 1) + digits
            }
        } else {
            let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
            out += mantissa + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
        }
        return out
    }

    /// Swift's description already yields shortest round-trip digits; take them apart.
    static func shortestDigits(_ d: Double) -> (String, Int, Bool) {
        var s = "\(abs(d))"
        var exp = 0
        if let eIndex = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(s[s.index(after: eIndex)...]) ?? 0
            s = String(s[..<eIndex])
        }
        var intPart = s, frac = ""
        if let dot = s.firstIndex(of: ".") {
            intPart = String(s[..<dot]); frac = String(s[s.index(after: dot)...])
        }
        var digits = intPart + frac
        var pointPos = intPart.count + exp
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst(); pointPos -= 1 }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (digits, pointPos, d < 0)
    }

    /// `repr(str)`: single quotes unless the text has a single quote and no double quote.
    static func stringRepr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote { out += "\\" + String(quote) }
                else if scalar.value < 0x20 || scalar.value == 0x7f { out += String(format: "\\x%02x", scalar.value) }
                else if scalar.value >= 0x80 && scalar.value < 0xa0 { out += String(format: "\\x%02x", scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        out.append(quote)
        return out
    }
}
