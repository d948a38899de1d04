import Foundation
import KeelBase
import Synchronization

/// Regular expressions as playbooks write them (Python's `re` syntax), run with Foundation's engine.
/// Translates the Python-only spellings (`(?P<name>…)`, `(?P=name)`) and expands Python replacement
/// templates (`\1`, `\g<1>`, `\g<name>`).
public struct PythonRegex: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable and documented thread-safe.
    let expression: NSRegularExpression
    public let pattern: String

    /// Python's re flags that modules pass: MULTILINE (replace), DOTALL (replace's after/before).
    public struct Flags: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let multiline = Flags(rawValue: 1)
        public static let dotAll = Flags(rawValue: 2)
    }

    public init(_ pattern: String, option: String = "regexp", flags: Flags = []) throws {
        self.pattern = pattern
        // A task's pattern is compiled again for every host and every lookahead pass (lineinfile's plan):
        // the compiled expression, immutable, is kept by pattern and flags.
        let key = Key(pattern: pattern, flags: flags.rawValue)
        if let compiled = Self.compiled.withLock({ $0[key] }) {
            expression = compiled
            return
        }
        let translated = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
            .replacingOccurrences(of: #"\(\?P=(\w+)\)"#, with: #"\\k<$1>"#, options: .regularExpression)
        do {
            // Unix line separators: only \n ends a line for ^, $ and ., as in Python (ICU also counts \r, \u2028...).
            var options: NSRegularExpression.Options = [.useUnixLineSeparators]
            if flags.contains(.multiline) { options.insert(.anchorsMatchLines) }
            if flags.contains(.dotAll) { options.insert(.dotMatchesLineSeparators) }
            expression = try NSRegularExpression(pattern: translated, options: options)
        } catch {
            throw KeelError("invalid regular expression in '\(option)'", expected: "a Python-style regular expression", found: "'\(pattern)'")
        }
        let expression = self.expression
        Self.compiled.withLock { kept in
            if kept.count >= 512 { kept.removeAll(keepingCapacity: true) }
            kept[key] = expression
        }
    }

    private struct Key: Hashable {
        /// By bytes: canonically equivalent patterns are different expressions to the regex engine.
        var pattern: ExactText
        var flags: Int

        init(pattern: String, flags: Int) {
            self.pattern = ExactText(pattern)
            self.flags = flags
        }
    }

    private static let compiled = Mutex<[Key: NSRegularExpression]>([:])

    public func firstMatch(in text: String) -> NSTextCheckingResult? {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
    }

    public func matches(_ text: String) -> Bool { firstMatch(in: text) != nil }

    /// Whether the pattern turns on multi-line mode itself (`(?m)`), as Python's `pattern.flags & re.MULTILINE` tells.
    public var setsMultiline: Bool {
        guard let range = pattern.range(of: #"^\(\?[aiLmsux]+\)"#, options: .regularExpression) else { return false }
        return pattern[range].contains("m")
    }

    /// Python's `re.subn(pattern, template, text)`: every non-overlapping match replaced by the expanded
    /// template; returns the new text and the number of replacements.
    public func substitute(_ template: String, in text: String) -> (text: String, count: Int) {
        let matches = expression.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty else { return (text, 0) }
        let utf16 = text.utf16
        var out = ""
        var last = utf16.startIndex
        for match in matches {
            let start = utf16.index(utf16.startIndex, offsetBy: match.range.location)
            let end = utf16.index(start, offsetBy: match.range.length)
            out += String(utf16[last..<start]) ?? ""
            out += expand(template, match: match, in: text)
            last = end
        }
        out += String(utf16[last...]) ?? ""
        return (out, matches.count)
    }

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
                case "r": out.append("\r")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                case "a": out.append("\u{07}")
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
