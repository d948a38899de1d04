import Foundation
import KeelBase

/// Ansible host patterns: `all`, `*`, names, groups, `web:db` or `web,db` (union), `&prod` (intersection),
/// `!db01` (exclusion), shell wildcards `web*`, regexes `~web\d+`, subscripts `web[0]`, `web[0:2]`,
/// `web[-1]`. Unions apply first, then intersections, then exclusions, whatever the written order.
extension Inventory {
    /// Hosts matching `pattern`, narrowed by `limit` (a pattern too, or `@file` naming one host per line).
    /// A pattern matching nothing gives an empty list: the caller decides whether that is an error.
    public func select(pattern: String, limit: String? = nil) throws -> [String] {
        var hosts = try evaluate(Self.splitPattern(pattern))
        if let limit {
            let allowed = Set(try evaluate(try Self.limitPatterns(limit)))
            hosts = hosts.filter(allowed.contains)
        }
        var seen = Set<String>()
        return hosts.filter { seen.insert($0).inserted }
    }

    /// `web:db,&prod` -> ["web", "db", "&prod"]. Commas always separate; without a comma, colons do,
    /// unless the whole pattern reads as one address (an IPv6 address, `host[1:3]`).
    public static func splitPattern(_ pattern: String) -> [String] {
        let parts: [String]
        if pattern.contains(",") {
            parts = pattern.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        } else if Self.isSingleAddressPattern(pattern) {
            parts = [pattern]
        } else {
            var result: [String] = []
            var current = ""
            var depth = 0
            for c in pattern {
                if c == "[" { depth += 1 } else if c == "]" { depth = max(0, depth - 1) }
                if depth == 0 && (c == ":" || c.isWhitespace) {
                    if !current.isEmpty { result.append(current) }
                    current = ""
                } else {
                    current.append(c)
                }
            }
            if !current.isEmpty { result.append(current) }
            parts = result
        }
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isSingleAddressPattern(_ pattern: String) -> Bool {
        let (host, _) = HostAddress.split(pattern)
        if host != pattern { return true }   // host:port parsed
        return HostAddress.isIPv4(pattern) || HostAddress.isIPv6(pattern) || HostAddress.isHostname(pattern)
    }

    /// The patterns of a `--limit` value; `@file` entries read host names, one per line.
    static func limitPatterns(_ limit: String) throws -> [String] {
        var result: [String] = []
        for part in splitPattern(limit) {
            if part.hasPrefix("@") {
                let path = String(part.dropFirst())
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                    throw KeelError("unable to find limit file '\(path)'", expected: "a file naming one host per line", found: "no such file")
                }
                guard !isDir.boolValue else {
                    throw KeelError("a limit starting with '@' must be a file, not a directory: '\(path)'")
                }
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                result += text.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else {
                result.append(part)
            }
        }
        return result
    }

    /// Applies union patterns, then `&` intersections, then `!` exclusions (an expression of only `&`/`!`
    /// starts from `all`).
    func evaluate(_ patterns: [String]) throws -> [String] {
        var regular = patterns.filter { !$0.hasPrefix("&") && !$0.hasPrefix("!") }
        let intersections = patterns.filter { $0.hasPrefix("&") }
        let exclusions = patterns.filter { $0.hasPrefix("!") }
        if regular.isEmpty { regular = ["all"] }
        var hosts: [String] = []
        for pattern in regular + intersections + exclusions {
            if hostsByName[pattern] != nil { hosts.append(pattern); continue }
            let matched = try matchOne(pattern)
            if pattern.hasPrefix("!") {
                let excluded = Set(matched)
                hosts.removeAll { excluded.contains($0) }
            } else if pattern.hasPrefix("&") {
                let kept = Set(matched)
                hosts.removeAll { !kept.contains($0) }
            } else {
                let existing = Set(hosts)
                hosts += matched.filter { !existing.contains($0) }
            }
        }
        return hosts
    }

    /// One pattern without its `&`/`!` prefix: groups matching it contribute all their hosts; hosts match
    /// by name when no group did or when the pattern is a wildcard or regex.
    func matchOne(_ raw: String) throws -> [String] {
        let pattern = raw.hasPrefix("&") || raw.hasPrefix("!") ? String(raw.dropFirst()) : raw
        guard !pattern.isEmpty else { return [] }
        let (expression, subscriptRange) = Self.splitSubscript(pattern)
        let matcher = try NameMatcher(expression)
        var results: [String] = []
        let matchingGroups = groupsByName.keys.filter(matcher.matches)
        for group in matchingGroups { results += hosts(inGroup: group) }
        let isWildcard = expression.hasPrefix("~") || expression.contains { ".?*[".contains($0) }
        if matchingGroups.isEmpty || isWildcard {
            results += hostsByName.keys.filter(matcher.matches)
        }
        if results.isEmpty && Self.localhostNames.contains(expression) { results = [expression] }
        guard let subscriptRange, !results.isEmpty else { return results }
        switch subscriptRange {
        case .index(let i):
            let index = i < 0 ? results.count + i : i
            guard results.indices.contains(index) else {
                throw KeelError("no hosts matched the subscripted pattern '\(pattern)'",
                                expected: "an index between \(-results.count) and \(results.count - 1)", found: String(i))
            }
            return [results[index]]
        case .range(let start, let end):
            let last = end ?? results.count - 1
            let upper = min(last + 1, results.count)
            guard start < upper else { return [] }
            return Array(results[start..<upper])
        }
    }

    enum Subscript: Equatable {
        case index(Int)
        case range(Int, Int?)
    }

    /// `web[1]`, `web[-1]`, `web[0:2]`, `web[1:]` (not for regexes, where brackets belong to the regex).
    static func splitSubscript(_ pattern: String) -> (String, Subscript?) {
        guard !pattern.hasPrefix("~"), pattern.hasSuffix("]"), let open = pattern.lastIndex(of: "["),
              open != pattern.startIndex else { return (pattern, nil) }
        let base = String(pattern[..<open])
        let inside = pattern[pattern.index(after: open)..<pattern.index(before: pattern.endIndex)]
        if let i = Int(inside), inside.first != "+" { return (base, .index(i)) }
        for separator in [":", "-"] {
            let parts = inside.split(separator: Character(separator), maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit),
                  parts[1].allSatisfy(\.isASCIIDigit), let start = Int(parts[0]) else { continue }
            return (base, .range(start, parts[1].isEmpty ? nil : Int(parts[1])))
        }
        return (pattern, nil)
    }
}

/// Matches names against a shell wildcard (fnmatch, case-sensitive, whole name) or, after `~`, a regular
/// expression anchored at the start (Python's re.match).
struct NameMatcher {
    let regex: NSRegularExpression

    init(_ pattern: String) throws {
        let source = pattern.hasPrefix("~") ? String(pattern.dropFirst()) : Self.translateWildcard(pattern)
        do {
            regex = try NSRegularExpression(pattern: source)
        } catch {
            throw KeelError("invalid host pattern '\(pattern)'", expected: pattern.hasPrefix("~") ? "a valid regular expression" : "a valid wildcard",
                            found: pattern)
        }
    }

    func matches(_ name: String) -> Bool {
        let range = NSRange(name.startIndex..., in: name)
        return regex.firstMatch(in: name, options: [.anchored], range: range) != nil
    }

    /// fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`, everything else literal, anchored at the end.
    static func translateWildcard(_ pattern: String) -> String {
        var out = ""
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            switch c {
            case "*": out += ".*"
            case "?": out += "."
            case "[":
                var j = i
                if j < chars.count && chars[j] == "!" { j += 1 }
                if j < chars.count && chars[j] == "]" { j += 1 }
                while j < chars.count && chars[j] != "]" { j += 1 }
                if j >= chars.count {
                    out += "\\["
                } else {
                    var inner = String(chars[i..<j]).replacingOccurrences(of: "\\", with: "\\\\")
                    if inner.hasPrefix("!") { inner = "^" + inner.dropFirst() } else if inner.hasPrefix("^") { inner = "\\" + inner }
                    out += "[" + inner + "]"
                    i = j + 1
                }
            default:
                out += NSRegularExpression.escapedPattern(for: String(c))
            }
        }
        return "(?s:" + out + ")\\z"
    }
}
