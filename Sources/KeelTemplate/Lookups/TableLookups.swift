import Foundation
import KeelBase
import OrderedCollections

/// Lookups that read one value out of a controller file: csvfile (a column of the row whose key column
/// matches) and ini (a key of a section, Python configparser's way). Both take options as keyword
/// arguments or, in the older style, as `key=value` words after the search key; such words stay in
/// force for the following terms, as in Ansible.
enum TableLookups {
    static let all: [String: LookupBody] = [
        "csvfile": { terms, options, environment in try csvfile(terms, options, environment) },
        "ini": { terms, options, environment in try ini(terms, options, environment) },
    ]

    static func csvfile(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        var options = try LookupOptions("csvfile", defaults: ["file": "ansible.csv", "delimiter": "TAB", "col": 1, "keycol": 0, "default": .null, "encoding": "utf-8"], given: given)
        guard !terms.isEmpty else { throw KeelError("Search key is required but was not found") }
        var result: [Value] = []
        for term in terms {
            var words = try KeyValueText.parse(try term.lookupTerm("csvfile"))
            guard let key = words.removeValue(forKey: "_raw_params") else { throw KeelError("Search key is required but was not found", found: term.stringValue) }
            for (name, value) in words { try options.set(name, .string(value)) }
            var delimiter = options.string("delimiter") ?? "TAB"
            if delimiter == "TAB" || delimiter == "\\t" { delimiter = "\t" }
            guard delimiter.count == 1, let separator = delimiter.first else { throw KeelError("csvfile: \"delimiter\" must be a 1-character string", found: delimiter) }
            let path = try environment.require(options.string("file") ?? "ansible.csv", in: "files", for: "csvfile")
            let column = try options.int("col"), keyColumn = try options.int("keycol")
            var found: Value?
            for row in CSVText.rows(try FileLookups.read(path, for: "csvfile"), delimiter: separator) where !row.isEmpty {
                guard keyColumn < row.count else { throw KeelError("csvfile: list index out of range", expected: "a key column below \(row.count)", found: "\(keyColumn)") }
                if row[keyColumn] == key {
                    guard column < row.count else { throw KeelError("csvfile: list index out of range", expected: "a column below \(row.count)", found: "\(column)") }
                    found = .string(row[column])
                    break
                }
            }
            let value = found ?? options["default"]
            if case .list(let values) = value { result += values } else if !value.isNull { result.append(value) }
        }
        return result
    }

    static func ini(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        var options = try LookupOptions("ini", defaults: [
            "type": "ini", "file": "ansible.ini", "section": "global", "re": false, "encoding": "utf-8", "default": "",
            "case_sensitive": false, "allow_no_value": false, "allow_none": false, "interpolation": true,
        ], given: given)
        var result: [Value] = []
        for term in terms {
            let text = try term.lookupTerm("ini")
            var key = text
            if text.contains("=") || text.trimmingCharacters(in: .whitespaces).contains(" ") {
                var keyGiven = false
                for phrase in inlinePhrases(text, options: Array(options.values.keys)) {
                    if let equals = phrase.firstIndex(of: "=") {
                        try options.set(String(phrase[..<equals]), .string(String(phrase[phrase.index(after: equals)...])))
                    } else if !keyGiven {
                        key = phrase
                        keyGiven = true
                    }
                }
                guard keyGiven else { throw KeelError("No key to look up was provided as first term within string inline options: \(text)") }
            }
            let file = options.string("file") ?? "ansible.ini"
            let path = try environment.require(file, in: "files", for: "ini")
            var content = try FileLookups.read(path, for: "ini")
            var section = options.string("section") ?? "global"
            if options.string("type") == "properties" { content = "[java_properties]\n" + content; section = "java_properties" }
            let parsed = try INIText(content, file: file, caseSensitive: try options.bool("case_sensitive"),
                                     allowNoValue: try options.bool("allow_no_value") || options.bool("allow_none"))
            guard let entries = parsed.items(in: section) else { throw KeelError("No section '\(section)' in '\(file)'.", found: section) }
            let interpolate = try options.bool("interpolation")
            func value(_ raw: String?) throws -> Value {
                guard let raw else { return .null }
                return .string(interpolate ? try parsed.interpolate(raw, section: section) : raw)
            }
            if try options.bool("re") {
                let regex = try PythonRegex.compile(key)
                for (name, raw) in entries where regex.firstMatch(in: name, options: .anchored, range: NSRange(name.startIndex..., in: name)) != nil {
                    result.append(try value(raw))
                }
            } else {
                let lookupKey = try options.bool("case_sensitive") ? key : key.lowercased()
                let found = try entries[lookupKey].map { try value($0) } ?? options["default"]
                if !found.isNull { result.append(found) }
            }
        }
        return result
    }

    /// Ansible's `_parse_params`: words split on spaces; a word `option=value` starts that option, the
    /// following words without one are appended to it (so a key or value may contain spaces).
    static func inlinePhrases(_ text: String, options: [String]) -> [String] {
        var keys: [String] = []
        var params: [String: String] = [:]
        var current = "key"
        for (index, word) in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init).enumerated() {
            if word.contains("=") { for option in options where word.contains(option + "=") { current = option } }
            if index == 0 || (params[current] ?? "").isEmpty {
                params[current] = word
                keys.append(current)
            } else {
                params[current]! += " " + word
            }
        }
        return keys.compactMap { params[$0] }
    }
}
