import Foundation
import KeelBase

/// Regular expressions as playbooks write them (Python's `re` syntax), run with Foundation's engine.
/// Translates the Python-only spellings (`(?P<name>…)`, `(?P=name)`) and expands Python replacement
/// templates (`\1`, `\g<1>`, `\g<name>`).
public struct PythonRegex: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable and documented thread-safe.
    let expression: NSRegularExpression
    public let pattern: String

    public init(_ pattern: String, option: String = "regexp") throws {
        self.pattern = pattern
        let translated = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
            .replacingOccurrences(of: #"\(\?P=(\w+)\)"#, with: #"\\k<$1>"#, options: .regularExpression)
        do {
            expression = try NSRegularExpression(pattern: translated)
        } catch {
            throw KeelError("invalid regular expression in '\(option)'", expected: "a Python-style regular expression", found: "'\(pattern)'")
        }
    }

    public func firstMatch(in text: String) -> NSTextCheckingResult? {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
    }

    public func matches(_ text: String) -> Bool { firstMatch(in: text) != nil }

    /// Python's `match.expand(template)`.
    public func expand(_ template: String, match: NSTextCheckingResult, in text: String) -> String {
        func group(_ index: Int) -> String {
            guard index < match.numberOfRanges, let range = Range(match.range(at: index), in: text) else { return "" }
            return String(text[range])
        }
        func named(_ name: String) -> String {
            guard let range = Range(match.range(withName: name), in: text) else { return "" }
            return String(text[range])
        }
        var out = ""
        var chars = Array(template)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "\\", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let next = chars[i + 1]
            if next.isNumber {
                var digits = String(next)
                if i + 2 < chars.count, chars[i + 2].isNumber { digits.append(chars[i + 2]) }
                out += group(Int(digits)!)
                i += 1 + digits.count
            } else if next == "g", i + 2 < chars.count, chars[i + 2] == "<", let close = chars[(i + 3)...].firstIndex(of: ">") {
                let name = String(chars[(i + 3)..<close])
                out += Int(name).map(group) ?? named(name)
                i = close + 1
            } else {
                switch next {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\\": out.append("\\")
                default: out.append("\\"); out.append(next)
                }
                i += 2
            }
        }
        chars.removeAll()
        return out
    }
}
