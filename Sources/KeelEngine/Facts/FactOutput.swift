import KeelBase

/// The gathering script's output: `key=value` lines (a key may repeat, in order), then the environment
/// as NUL-separated `NAME=value` entries after a marker line.
struct FactOutput {
    private(set) var values: [String: [String]] = [:]
    private(set) var environment: [(String, String)] = []

    init(_ text: String) {
        var head = Substring(text), envPart: Substring?
        if let marker = text.range(of: "KEEL_ENV_BEGIN\n") {
            head = text[..<marker.lowerBound]
            envPart = text[marker.upperBound...]
        }
        for line in head.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq]), default: []].append(String(line[line.index(after: eq)...]))
        }
        for entry in envPart?.split(separator: "\0") ?? [] {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            environment.append((String(entry[..<eq]), String(entry[entry.index(after: eq)...])))
        }
    }

    /// The first value of a key (empty values count as absent).
    subscript(_ key: String) -> String? {
        guard let value = values[key]?.first, !value.isEmpty else { return nil }
        return value
    }

    func all(_ key: String) -> [String] { values[key] ?? [] }

    /// `os-release` values lose their quotes.
    func unquoted(_ key: String) -> String? {
        guard let s = self[key] else { return nil }
        if s.count >= 2, let first = s.first, first == s.last, first == "\"" || first == "'" { return String(s.dropFirst().dropLast()) }
        return s
    }
}
