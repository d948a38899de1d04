import Foundation

/// A pip requirement as Ansible's pip module reads it (`name[extras] >=1.0,<2`): the canonical project
/// name (lowercase, runs of `-_.` as `-`) and the version specifiers, enough to tell whether an installed
/// version satisfies it without running Python. Anything that is not a plain name (a URL, a path, a VCS
/// link) has no project name and is never considered installed, as in Ansible.
struct PythonRequirement: Equatable, Sendable {
    var written: String
    var projectName: String?
    var specifiers: [(op: String, version: String)]

    static func == (l: PythonRequirement, r: PythonRequirement) -> Bool { l.written == r.written }

    static func canonical(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for c in name.lowercased() {
            if c == "-" || c == "_" || c == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else { out.append(c); lastWasSeparator = false }
        }
        return out
    }

    /// A requirement from `name` (and the module's `version`: a bare number means `==`).
    init(_ written: String, version: String? = nil) {
        var text = written.trimmingCharacters(in: .whitespaces)
        if let version = version?.trimmingCharacters(in: .whitespaces), let first = version.first {
            text += (first.isNumber ? "==" : " ") + version
        }
        self.written = text
        let nameEnd = text.firstIndex { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") } ?? text.endIndex
        let name = String(text[..<nameEnd])
        var rest = text[nameEnd...].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { rest = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces) }
        if let marker = rest.firstIndex(of: ";") { rest = rest[..<marker].trimmingCharacters(in: .whitespaces) }
        if rest.hasPrefix("("), rest.hasSuffix(")") { rest = String(rest.dropFirst().dropLast()) }
        var specifiers: [(String, String)] = []
        var valid = !name.isEmpty && (name.first?.isLetter == true || name.first?.isNumber == true)
        if valid && !rest.isEmpty {
            for part in rest.split(separator: ",") {
                let piece = part.trimmingCharacters(in: .whitespaces)
                guard let op = ["===", "~=", "==", "!=", ">=", "<=", ">", "<"].first(where: { piece.hasPrefix($0) }) else { valid = false; break }
                specifiers.append((op, piece.dropFirst(op.count).trimmingCharacters(in: .whitespaces)))
            }
        }
        self.projectName = valid ? Self.canonical(name) : nil
        self.specifiers = valid ? specifiers : []
    }

    var hasVersionSpecifier: Bool { !specifiers.isEmpty }

    /// Whether an installed version satisfies every specifier (pre-releases allowed, as Ansible asks).
    func isSatisfied(by installed: String) -> Bool {
        guard projectName != nil else { return false }
        let version = PythonVersion(installed)
        return specifiers.allSatisfy { op, wanted in
            switch op {
            case "===": return installed == wanted
            case "==", "!=":
                let matches: Bool
                if wanted.hasSuffix(".*") {
                    let prefix = PythonVersion(String(wanted.dropLast(2))).release
                    matches = Array(version.release.prefix(prefix.count)) + [Int](repeating: 0, count: max(0, prefix.count - version.release.count)) == prefix
                } else { matches = version == PythonVersion(wanted) }
                return op == "==" ? matches : !matches
            case ">=": return version >= PythonVersion(wanted)
            case "<=": return version <= PythonVersion(wanted)
            case ">": return version > PythonVersion(wanted)
            case "<": return version < PythonVersion(wanted)
            case "~=":
                let base = PythonVersion(wanted)
                guard base.release.count >= 2 else { return false }
                let prefix = Array(base.release.dropLast())
                return version >= base && Array(version.release.prefix(prefix.count)) == prefix
            default: return false
            }
        }
    }

    /// Ansible's _recover_package_name: `name` items split at commas are joined back when a piece is a
    /// version specifier of the package before it (`django>1.11.1`, `<1.11.3`).
    static func recover(_ names: [String]) -> [String] {
        let pieces = names.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        var packages: [String] = []
        var parts: [String] = []
        var inBrackets = false
        for piece in pieces {
            let isName = piece.trimmingCharacters(in: .whitespaces).first.map { $0.isLetter || $0.isNumber } ?? false
            if isName && !inBrackets {
                if !parts.isEmpty { packages.append(parts.joined(separator: ",")) }
                parts = []
            }
            if piece.contains("[") { inBrackets = true }
            if inBrackets && piece.contains("]") { inBrackets = false }
            parts.append(piece)
        }
        packages.append(parts.joined(separator: ","))
        return packages
    }
}

/// A PEP 440 version, compared by epoch, release, pre-release, post-release and dev-release.
struct PythonVersion: Comparable {
    var epoch = 0
    var release: [Int] = []
    /// (0 a, 1 b, 2 rc, n); nil for a final release.
    var pre: (Int, Int)?
    var post: Int?
    var dev: Int?

    init(_ text: String) {
        var s = text.lowercased().trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("v") { s.removeFirst() }
        if let bang = s.firstIndex(of: "!") { epoch = Int(s[..<bang]) ?? 0; s = String(s[s.index(after: bang)...]) }
        if let plus = s.firstIndex(of: "+") { s = String(s[..<plus]) }
        var i = s.startIndex
        func number() -> Int? {
            let start = i
            while i < s.endIndex, s[i].isNumber { i = s.index(after: i) }
            return start == i ? nil : Int(s[start..<i])
        }
        while let n = number() {
            release.append(n)
            if i < s.endIndex, s[i] == ".", s.index(after: i) < s.endIndex, s[s.index(after: i)].isNumber { i = s.index(after: i) } else { break }
        }
        func skipSeparator() { if i < s.endIndex, "._-".contains(s[i]) { i = s.index(after: i) } }
        func take(_ words: [String]) -> Bool {
            for word in words where s[i...].hasPrefix(word) { i = s.index(i, offsetBy: word.count); return true }
            return false
        }
        skipSeparator()
        for (rank, words) in [(2, ["rc", "c", "pre", "preview"]), (0, ["alpha", "a"]), (1, ["beta", "b"])] where take(words) {
            skipSeparator(); pre = (rank, number() ?? 0); break
        }
        skipSeparator()
        if take(["post", "rev", "r"]) { skipSeparator(); post = number() ?? 0 } else if i < s.endIndex, s[i] == "-" || pre == nil, let n = number() { post = n }
        skipSeparator()
        if take(["dev"]) { dev = number() ?? 0 }
    }

    /// The comparison key: release padded, pre-release before final, dev before everything of its release.
    private var key: [Int] {
        var r = release
        while r.count > 1, r.last == 0 { r.removeLast() }
        var k = [epoch] + r + [Int.min]   // the release ends here
        if let pre { k += [pre.0, pre.1] } else if post == nil, dev != nil { k += [-1, 0] } else { k += [3, 0] }
        k += [post ?? -1]
        k += [dev ?? Int.max]
        return k
    }

    static func == (l: PythonVersion, r: PythonVersion) -> Bool { l.key == r.key }
    static func < (l: PythonVersion, r: PythonVersion) -> Bool { l.key.lexicographicallyPrecedes(r.key) }
}
