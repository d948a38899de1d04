import Foundation
import KeelBase
import OrderedCollections

/// An INI file read as Python's `configparser.ConfigParser` reads it (what the ini lookup uses): `=` or
/// `:` between key and value, `#` and `;` comment lines, indented lines continuing a value, keys in
/// lower case unless case-sensitive, `[DEFAULT]` entries inherited by every section, duplicate sections
/// and keys refused, and BasicInterpolation (`%(key)s`, `%%`).
struct INIText {
    private(set) var sections: OrderedDictionary<String, OrderedDictionary<String, String?>> = [:]
    private(set) var defaults: OrderedDictionary<String, String?> = [:]

    init(_ text: String, file: String, caseSensitive: Bool, allowNoValue: Bool) throws {
        var current: String?
        var lastKey: String?
        var seenInSection: Set<String> = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = String(rawLine)
            let stripped = line.trimmingCharacters(in: .whitespaces)
            let location = SourceLocation(file: file, line: lineNumber, column: 1)
            if stripped.hasPrefix("#") || stripped.hasPrefix(";") { continue }
            if stripped.isEmpty { lastKey = nil; continue }
            let indented = line.first == " " || line.first == "\t"
            if indented, let key = lastKey, let section = current {
                // A continuation line: appended to the previous value with a newline.
                let previous = (section == "DEFAULT" ? defaults[key] : sections[section]?[key]).flatMap { $0 } ?? ""
                let joined = previous + "\n" + stripped
                if section == "DEFAULT" { defaults[key] = joined } else { sections[section]![key] = joined }
                continue
            }
            if stripped.hasPrefix("["), let close = stripped.firstIndex(of: "]") {
                let name = String(stripped[stripped.index(after: stripped.startIndex)..<close])
                if name != "DEFAULT", sections[name] != nil {
                    throw KeelError("While reading from '\(file)' [line \(lineNumber)]: section '\(name)' already exists", at: location)
                }
                current = name
                if name != "DEFAULT" { sections[name] = [:] }
                seenInSection = []
                lastKey = nil
                continue
            }
            guard let section = current else {
                throw KeelError("File contains no section headers.", at: location, expected: "a [section] line first", found: line)
            }
            let delimiter = stripped.firstIndex { $0 == "=" || $0 == ":" }
            var key = delimiter.map { String(stripped[..<$0]).trimmingCharacters(in: .whitespaces) } ?? stripped
            if !caseSensitive { key = key.lowercased() }
            var value: String?
            if let delimiter { value = String(stripped[stripped.index(after: delimiter)...]).trimmingCharacters(in: .whitespaces) }
            guard value != nil || allowNoValue else {
                throw KeelError("Source contains parsing errors: '\(file)' [line \(lineNumber)]: '\(line)'", at: location, expected: "key = value (or allow_no_value=True)")
            }
            guard seenInSection.insert(key).inserted else {
                throw KeelError("Duplicate option in '\(file)'.", at: location, found: key)
            }
            if section == "DEFAULT" { defaults[key] = value } else { sections[section]![key] = value }
            lastKey = key
        }
    }

    /// The section's entries with the DEFAULT ones it does not override; nil for a missing section.
    func items(in section: String) -> OrderedDictionary<String, String?>? {
        if section == "DEFAULT" { return defaults }
        guard var entries = sections[section] else { return nil }
        for (key, value) in defaults where entries[key] == nil { entries[key] = value }
        return entries
    }

    /// BasicInterpolation: `%(name)s` replaced by that key's (interpolated) value in the same section, `%%` by `%`.
    func interpolate(_ value: String, section: String, depth: Int = 0) throws -> String {
        guard value.contains("%") else { return value }
        guard depth < 10 else { throw KeelError("ini: interpolation too deep in '\(value)'") }
        let entries = items(in: section) ?? [:]
        var out = ""
        var rest = Substring(value)
        while let percent = rest.firstIndex(of: "%") {
            out += rest[..<percent]
            rest = rest[rest.index(after: percent)...]
            if rest.first == "%" { out += "%"; rest = rest.dropFirst(); continue }
            guard rest.first == "(", let close = rest.range(of: ")s") else {
                throw KeelError("ini: '%' must be followed by '%' or '(', found: '%\(rest.prefix(10))'", found: value)
            }
            let name = String(rest[rest.index(after: rest.startIndex)..<close.lowerBound]).lowercased()
            guard let replacement = entries[name] else { throw KeelError("ini: bad interpolation variable reference '%(\(name))s'", found: value) }
            out += try interpolate(replacement ?? "", section: section, depth: depth + 1)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
