import Foundation
import KeelBase

/// Python `re` patterns on top of NSRegularExpression (ICU): the syntaxes agree except for named
/// groups (`(?P<n>…)`), `\Z`, and replacement templates (`\1`, `\g<n>` versus `$1`).
enum PythonRegex {
    static func compile(_ pattern: String, ignoreCase: Bool = false, multiline: Bool = false) throws -> NSRegularExpression {
        var p = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
        p = p.replacingOccurrences(of: #"\(\?P=(\w+)\)"#, with: #"\\k<$1>"#, options: .regularExpression)
        p = p.replacingOccurrences(of: "\\Z", with: "\\z")
        var options: NSRegularExpression.Options = []
        if ignoreCase { options.insert(.caseInsensitive) }
        if multiline { options.insert(.anchorsMatchLines) }
        do { return try NSRegularExpression(pattern: p, options: options) } catch {
            throw KeelError("invalid regular expression '\(pattern)'")
        }
    }

    static func matches(_ re: NSRegularExpression, _ s: String, limit: Int = 0) -> [NSTextCheckingResult] {
        let all = re.matches(in: s, range: NSRange(s.startIndex..., in: s))
        return limit > 0 ? Array(all.prefix(limit)) : all
    }

    static func group(_ m: NSTextCheckingResult, _ i: Int, in s: String) -> RValue {
        guard i < m.numberOfRanges, let r = Range(m.range(at: i), in: s) else { return .none }
        return .string(String(s[r]))
    }

    static func namedGroup(_ m: NSTextCheckingResult, _ name: String, in s: String) -> RValue {
        guard let r = Range(m.range(withName: name), in: s) else { return .none }
        return .string(String(s[r]))
    }

    /// Expands a Python replacement template for one match.
    static func expand(_ template: String, _ m: NSTextCheckingResult, in s: String) throws -> String {
        var out = ""
        var chars = Array(template)[...]
        while let c = chars.popFirst() {
            guard c == "\\", let n = chars.first else { out.append(c); continue }
            if n.isNumber {
                var digits = ""
                while let d = chars.first, d.isNumber, digits.count < 2 { digits.append(d); chars.removeFirst() }
                let i = Int(digits)!
                guard i < m.numberOfRanges else { throw KeelError("invalid group reference \(i)") }
                if case .string(let g) = group(m, i, in: s) { out += g }
            } else if n == "g", chars.dropFirst().first == "<" {
                chars.removeFirst(2)
                var name = ""
                while let d = chars.popFirst(), d != ">" { name.append(d) }
                let v = Int(name).map { group(m, $0, in: s) } ?? namedGroup(m, name, in: s)
                if case .string(let g) = v { out += g }
            } else {
                chars.removeFirst()
                switch n {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "\\": out += "\\"
                default: out += "\\" + String(n)
                }
            }
        }
        return out
    }

    static func substitute(_ re: NSRegularExpression, _ s: String, _ template: String, count: Int) throws -> String {
        var out = ""
        var last = s.startIndex
        for m in matches(re, s, limit: count) {
            guard let r = Range(m.range, in: s) else { continue }
            out += s[last..<r.lowerBound]
            out += try expand(template, m, in: s)
            last = r.upperBound
        }
        out += s[last...]
        return out
    }

    /// `re.escape`: every character except ASCII letters, digits and `_` is escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if c.isASCII && (c.isLetter || c.isNumber || c == "_") || !c.isASCII { out.append(c) }
            else if c == "\n" { out += "\\\n" }
            else { out += "\\" + String(c) }
        }
        return out
    }
}
