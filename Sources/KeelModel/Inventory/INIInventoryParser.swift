import KeelBase

/// Reads Ansible's INI inventory format into the graph: `[group]` host lines with `key=value` variables
/// (Python-literal typed, after shell-style splitting), `[group:vars]` with `key = value` lines (also
/// literal-typed), `[group:children]`, ranges and `host:port`. Groups named as children or with vars
/// before they are declared are resolved at the end, like Ansible's pending declarations.
struct INIInventoryParser {
    let file: String

    private struct Pending {
        var location: SourceLocation
        var isChildren: Bool
        var parents: [String]
    }

    func parse(_ text: String, into graph: inout InventoryGraph) throws {
        var group = "ungrouped"
        var state = "hosts"
        var pending = OrderedDictionaryLite<String, Pending>()
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, rawLine) in lines.enumerated() {
            let lineNumber = offset + 1
            let leading = rawLine.prefix { $0 == " " || $0 == "\t" }.count
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            let at = { (column: Int) in SourceLocation(file: file, line: lineNumber, column: leading + column) }

            if let (name, kind) = Self.sectionHeader(line) {
                group = name
                state = kind ?? "hosts"
                guard ["hosts", "children", "vars"].contains(state) else {
                    throw KeelError("section [\(name):\(state)] has unknown type: \(state)", at: at(name.count + 3),
                                    expected: "[\(name)], [\(name):vars] or [\(name):children]", found: ":\(state)",
                                    suggestion: Suggestion.closest(to: state, among: ["vars", "children"]).map { "[\(name):\($0)]" })
                }
                if graph.groups[name] == nil {
                    if state == "vars" && pending[name] == nil {
                        pending[name] = Pending(location: at(1), isChildren: false, parents: [])
                    }
                    graph.addGroup(name)
                }
                if let waiting = pending[name], state != "vars" {
                    if waiting.isChildren { try resolvePending(name, &pending, &graph) } else { pending[name] = nil }
                }
                continue
            }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                throw KeelError("invalid section entry '\(line)'", at: at(1),
                                expected: "[name], [name:vars] or [name:children] without spaces", found: line)
            }
            do {
                switch state {
                case "hosts": try parseHostLine(line, group: group, at: at, into: &graph)
                case "vars":
                    guard let equals = line.firstIndex(of: "=") else {
                        throw KeelError("expected key=value", at: at(1), expected: "key=value", found: line)
                    }
                    let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                    let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                    try graph.setVariable(key, to: PythonLiteral.evaluate(value), on: group)
                default:
                    let child = try Self.groupName(line, at: at(1))
                    if graph.groups[child] == nil {
                        if pending[child] == nil {
                            pending[child] = Pending(location: at(1), isChildren: true, parents: [group])
                        } else {
                            pending[child]!.parents.append(group)
                        }
                    } else {
                        try graph.addChild(child, to: group)
                    }
                }
            } catch let error as KeelError {
                throw error.located(at: at(1))
            }
        }
        if let (name, waiting) = pending.first {
            if waiting.isChildren {
                throw KeelError("section [\(waiting.parents.last!):children] includes undefined group '\(name)'", at: waiting.location,
                                expected: "a group declared with [\(name)] or [\(name):children]", found: name,
                                suggestion: Suggestion.closest(to: name, among: graph.groups.keys.filter { $0 != "all" && $0 != "ungrouped" }))
            }
            throw KeelError("section [\(name):vars] not valid for undefined group '\(name)'", at: waiting.location,
                            expected: "a group declared with [\(name)] or [\(name):children]", found: "[\(name):vars]",
                            suggestion: Suggestion.closest(to: name, among: graph.groups.keys.filter { $0 != name }))
        }
    }

    private func resolvePending(_ group: String, _ pending: inout OrderedDictionaryLite<String, Pending>, _ graph: inout InventoryGraph) throws {
        guard let waiting = pending[group] else { return }
        for parent in waiting.parents {
            try graph.addChild(group, to: parent)
            if let p = pending[parent], p.isChildren { try resolvePending(parent, &pending, &graph) }
        }
        pending[group] = nil
    }

    private func parseHostLine(_ line: String, group: String, at column: (Int) -> SourceLocation, into graph: inout InventoryGraph) throws {
        let location = column(1)
        let tokens = try ShellWords.splitWithOffsets(line, comments: true)
        guard let first = tokens.first?.word else { return }
        let (pattern, port) = HostAddress.split(first)
        if first.hasSuffix(":") && port == nil {
            throw KeelError("invalid host pattern '\(first)': ending in ':' is not allowed, that character introduces a port",
                            at: location, expected: "host or host:port", found: first)
        }
        let names = try HostRange.expand(pattern)
        if names.contains(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) {
            throw KeelError("invalid host pattern '---': this looks like a YAML file", at: location)
        }
        var variables: [(String, Value)] = []
        for (token, offset) in tokens.dropFirst() {
            guard let equals = token.firstIndex(of: "=") else {
                throw KeelError("expected key=value host variable assignment", at: column(offset + 1), expected: "key=value", found: token)
            }
            variables.append((String(token[..<equals]), PythonLiteral.evaluate(String(token[token.index(after: equals)...]))))
        }
        for name in names {
            try graph.addHost(name, to: group, port: port)
            for (key, value) in variables { try graph.setVariable(key, to: value, on: name) }
        }
    }

    /// `[name]` or `[name:kind]` with an optional trailing comment; nil when the line is not a header.
    static func sectionHeader(_ line: String) -> (String, String?)? {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
        let rest = line[line.index(after: close)...].drop { $0 == " " || $0 == "\t" }
        guard rest.isEmpty || rest.hasPrefix("#") else { return nil }
        let inside = line[line.index(after: line.startIndex)..<close]
        let parts = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0]
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == "]" }) else { return nil }
        if parts.count == 2 {
            let kind = parts[1]
            guard !kind.isEmpty, kind.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
            return (String(name), String(kind))
        }
        return (String(name), nil)
    }

    static func groupName(_ line: String, at location: SourceLocation) throws -> String {
        var name = Substring(line)
        if let hash = name.firstIndex(of: "#") { name = name[..<hash] }
        name = Substring(name.trimmingCharacters(in: .whitespaces))
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == ":" || $0 == "]" }) else {
            throw KeelError("expected a group name", at: location, expected: "one group name per line", found: line)
        }
        return String(name)
    }
}

/// A tiny insertion-ordered map, so "the first unresolved declaration" is reported as Ansible reports it.
struct OrderedDictionaryLite<Key: Hashable, Element> {
    private var keys: [Key] = []
    private var values: [Key: Element] = [:]

    subscript(key: Key) -> Element? {
        get { values[key] }
        set {
            if newValue == nil { keys.removeAll { $0 == key } } else if values[key] == nil { keys.append(key) }
            values[key] = newValue
        }
    }

    var first: (Key, Element)? { keys.first.map { ($0, values[$0]!) } }
}
