import Foundation
import KeelBase

/// An INI file read as Python's `configparser.ConfigParser(inline_comment_prefixes=(';',))` reads it,
/// which is how Ansible reads ansible.cfg: `[section]` headers, `key = value` or `key: value` (the first
/// `=` or `:` splits), keys lowercased, whole-line comments starting with `#` or `;`, inline comments
/// only after whitespace and only with `;`, indented lines continuing the value above them (joined with
/// newlines) and a `[DEFAULT]` section whose keys every section sees. Ansible reads values raw, so
/// `%(name)s` is not interpolated (ansible-config shows it as written). A duplicate section or key, or a line that is none of these, is an error,
/// as configparser's strict mode makes it.
public struct IniFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public var value: String
        public var line: Int
    }


    /// Sections in file order; keys in file order within each. `DEFAULT` is kept apart.
    public private(set) var sections: [(name: String, entries: [(key: String, entry: Entry)])] = []
    public private(set) var defaults: [(key: String, entry: Entry)] = []
    public let path: String

    public init(text: String, path: String) throws {
        self.path = path
        var current: String?          // section name; nil before the first header
        var lastKey: String?          // the key a continuation line extends
        var lastIndent = 0
        var pendingBlankLines = 0
        var seenSections: Set<String> = []
        var seenKeys: Set<String> = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        for (index, raw) in lines.enumerated() {
            let lineNumber = index + 1
            let indent = raw.prefix { $0 == " " || $0 == "\t" }.count
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let content = IniFile.stripInlineComment(trimmed)
            if content.isEmpty {
                if lastKey != nil { pendingBlankLines += 1 }
                continue
            }
            if let key = lastKey, let section = current, indent > lastIndent {
                // A continuation: configparser keeps the blank lines between and joins with newlines.
                let addition = String(repeating: "\n", count: pendingBlankLines) + "\n" + content
                append(addition, to: key, in: section)
                pendingBlankLines = 0
                continue
            }
            pendingBlankLines = 0
            if content.hasPrefix("[") && content.hasSuffix("]") && content.count > 2 {
                let name = String(content.dropFirst().dropLast())
                guard !seenSections.contains(name) else {
                    throw KeelError("section '\(name)' appears twice", at: SourceLocation(file: path, line: lineNumber, column: 1),
                                    expected: "each [section] once (Python's configparser is strict)", found: "a second [\(name)]")
                }
                seenSections.insert(name)
                seenKeys = []
                current = name
                lastKey = nil
                if name != "DEFAULT" { sections.append((name, [])) }
                continue
            }
            guard let section = current else {
                throw KeelError("text before the first [section]", at: SourceLocation(file: path, line: lineNumber, column: indent + 1),
                                expected: "a [section] header", found: "'\(content)'")
            }
            guard let split = content.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw KeelError("a line that is not a setting", at: SourceLocation(file: path, line: lineNumber, column: indent + 1),
                                expected: "key = value, key: value or a [section]", found: "'\(content)'")
            }
            let key = content[..<split].trimmingCharacters(in: .whitespaces).lowercased()
            let value = content[content.index(after: split)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw KeelError("a setting without a name", at: SourceLocation(file: path, line: lineNumber, column: indent + 1),
                                expected: "key = value", found: "'\(content)'")
            }
            guard !seenKeys.contains(key) else {
                throw KeelError("'\(key)' is set twice in [\(section)]", at: SourceLocation(file: path, line: lineNumber, column: indent + 1),
                                expected: "each key once per section (Python's configparser is strict)", found: "a second '\(key)'")
            }
            seenKeys.insert(key)
            let entry = Entry(value: value, line: lineNumber)
            if section == "DEFAULT" { defaults.append((key, entry)) } else { sections[sections.count - 1].entries.append((key, entry)) }
            lastKey = key
            lastIndent = indent
        }
    }

    /// `;` starts a comment only at the start of the line's content or after whitespace, as configparser's
    /// inline_comment_prefixes do.
    static func stripInlineComment(_ text: String) -> String {
        var previous: Character = " "
        for index in text.indices {
            if text[index] == ";" && previous.isWhitespace {
                return text[..<index].trimmingCharacters(in: .whitespaces)
            }
            previous = text[index]
        }
        return text
    }

    private mutating func append(_ text: String, to key: String, in section: String) {
        if section == "DEFAULT" {
            if let i = defaults.firstIndex(where: { $0.key == key }) { defaults[i].entry.value += text }
        } else if let s = sections.lastIndex(where: { $0.name == section }),
                  let i = sections[s].entries.firstIndex(where: { $0.key == key }) {
            sections[s].entries[i].entry.value += text
        }
    }

    /// The raw (not interpolated) entry: the section's own, or `[DEFAULT]`'s.
    public func rawEntry(_ section: String, _ key: String) -> Entry? {
        let key = key.lowercased()
        if let own = sections.first(where: { $0.name == section })?.entries.first(where: { $0.key == key }) { return own.entry }
        guard sections.contains(where: { $0.name == section }) || section == "DEFAULT" else { return nil }
        return defaults.first { $0.key == key }?.entry
    }

    /// Every (section, key) the file sets in file order, DEFAULT's last.
    public var allKeys: [(section: String, key: String, line: Int)] {
        var keys: [(section: String, key: String, line: Int)] = []
        for section in sections {
            for item in section.entries { keys.append((section: section.name, key: item.key, line: item.entry.line)) }
        }
        for item in defaults { keys.append((section: "DEFAULT", key: item.key, line: item.entry.line)) }
        return keys
    }
}
