import Foundation
import KeelBase
import KeelVault
import Yams

/// Reads YAML as Ansible does (PyYAML, YAML 1.1 scalars: yes/no/on/off are booleans, 0644 is octal),
/// keeping every node's location, and turns libyaml's errors into located `KeelError`s.
public enum YAMLLoader {
    /// Loads a file; a missing or unreadable file is an error naming it.
    public static func load(file path: String) throws -> YAMLNode? {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeelError("cannot read '\(path)'", expected: "a readable YAML file",
                            found: FileManager.default.fileExists(atPath: path) ? "a file that cannot be read" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KeelError("'\(path)' is not UTF-8 text", at: SourceLocation(file: path, line: 1, column: 1))
        }
        return try load(string: text, file: path)
    }

    /// Loads the first document of `text`; nil for an empty document.
    public static func load(string text: String, file: String) throws -> YAMLNode? {
        try loadAll(string: text, file: file).first
    }

    /// Loads every document of a multi-document stream. A vault-encrypted file is decrypted first (as
    /// Ansible's loader does for every file it reads); its roots are marked `fromVault`.
    public static func loadAll(string text: String, file: String) throws -> [YAMLNode] {
        var text = text
        let vaulted = VaultEnvelope.isVaulted(text)
        if vaulted {
            text = try VaultKeyring.shared.decryptText(text, at: SourceLocation(file: file, line: 1, column: 1), registerSecret: false)
        }
        do {
            var nodes: [YAMLNode] = []
            let parser = try Parser(yaml: text, resolver: .default, constructor: .default, encoding: .default)
            while let root = try parser.nextRoot() {
                VaultKeyring.shared.prepare(vaultScalars(in: root))
                var node = try convert(root, file: file)
                node.fromVault = vaulted
                nodes.append(node)
            }
            return nodes
        } catch let error as YamlError {
            throw translate(error, file: file)
        }
    }

    static func convert(_ node: Node, file: String) throws -> YAMLNode {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        let localTag = localTagName(node.tag)
        switch node {
        case .scalar(let scalar) where localTag == "!vault":
            // An inline `!vault |` value: the decrypted text is a string, and a secret.
            let plaintext = try VaultKeyring.shared.decryptText(scalar.string, at: location)
            return YAMLNode(kind: .scalar(.string(plaintext)), location: location, isQuoted: true)
        case .scalar(let scalar):
            let quoted = scalar.style != .plain
            return YAMLNode(kind: .scalar(scalarValue(scalar, quoted: quoted)), location: location,
                            tag: localTag, isQuoted: quoted)
        case .sequence(let sequence):
            return YAMLNode(kind: .sequence(try sequence.map { try convert($0, file: file) }),
                            location: location, tag: localTag)
        case .mapping(let mapping):
            var pairs: [YAMLPair] = []
            for (keyNode, valueNode) in mapping {
                let keyLocation = SourceLocation(file: file, line: keyNode.mark?.line ?? location.line,
                                                 column: keyNode.mark?.column ?? location.column)
                if keyNode.tag.rawValue == Tag.Name.merge.rawValue || (keyNode.scalar?.string == "<<" && keyNode.scalar?.style == .plain) {
                    pairs.append(contentsOf: try mergePairs(valueNode, file: file, at: keyLocation))
                    continue
                }
                let key = try keyString(keyNode, at: keyLocation)
                let value = try convert(valueNode, file: file)
                // Later duplicates win, as in PyYAML.
                pairs.removeAll { $0.key == key }
                pairs.append(YAMLPair(key: key, keyLocation: keyLocation, value: value))
            }
            return YAMLNode(kind: .mapping(pairs), location: location, tag: localTag)
        case .alias:
            throw KeelError("unresolved YAML alias", at: location)
        }
    }

    /// The text of every inline `!vault` value below `node`, to derive their keys in parallel first.
    static func vaultScalars(in node: Node) -> [String] {
        switch node {
        case .scalar(let scalar): return localTagName(node.tag) == "!vault" ? [scalar.string] : []
        case .sequence(let sequence): return sequence.flatMap(vaultScalars)
        case .mapping(let mapping): return mapping.flatMap { vaultScalars(in: $0.value) }
        case .alias: return []
        }
    }

    /// `<<: *anchor` or `<<: [*a, *b]`: the merged mappings' pairs (explicit keys override them later).
    static func mergePairs(_ node: Node, file: String, at location: SourceLocation) throws -> [YAMLPair] {
        switch node {
        case .mapping:
            return try convert(node, file: file).pairs ?? []
        case .sequence(let seq):
            var result: [YAMLPair] = []
            for item in seq.reversed() {
                for pair in try mergePairs(item, file: file, at: location) {
                    result.removeAll { $0.key == pair.key }
                    result.append(pair)
                }
            }
            return result
        default:
            throw KeelError("a YAML merge key '<<' needs a mapping or a list of mappings", at: location,
                            found: "a scalar")
        }
    }

    /// Mapping keys become strings, as Ansible's variables are keyed by strings (`1: x` has the key "1").
    static func keyString(_ node: Node, at location: SourceLocation) throws -> String {
        guard let scalar = node.scalar else {
            throw KeelError("a mapping key must be a scalar", at: location, expected: "a string key",
                            found: node.mapping != nil ? "a mapping" : "a list")
        }
        switch scalarValue(scalar, quoted: scalar.style != .plain) {
        case .string(let s): return s
        case .bool(let b): return b ? "True" : "False"   // Python's str(True)
        case .int(let i): return String(i)
        case .double(let d): return Value.formatDouble(d)
        case .null: return "None"
        default: return scalar.string
        }
    }

    /// YAML 1.1 scalar resolution, as PyYAML does it. Quoted scalars and explicit `!!str` are strings.
    static func scalarValue(_ scalar: Node.Scalar, quoted: Bool) -> Value {
        let text = scalar.string
        if quoted { return .string(text) }
        switch Tag.Name(rawValue: scalar.tag.rawValue) {
        case .str: return .string(text)
        case .null: return .null
        case .bool: return Bool.construct(from: scalar).map(Value.bool) ?? .string(text)
        case .int:
            if let i = parseInt(text) { return .int(i) }
            return .string(text)
        case .float:
            if let d = Double.construct(from: scalar) { return .double(d) }
            return .string(text)
        default:
            return .string(text)   // timestamps and local tags stay text, as Ansible templates them
        }
    }

    /// YAML 1.1 integers: 0b…, 0x…, leading-zero octal (0644 == 420), underscores, sexagesimal.
    static func parseInt(_ raw: String) -> Int? {
        var text = raw.replacingOccurrences(of: "_", with: "")
        var sign = 1
        if text.hasPrefix("-") { sign = -1; text.removeFirst() } else if text.hasPrefix("+") { text.removeFirst() }
        let value: Int?
        if text.hasPrefix("0b") { value = Int(text.dropFirst(2), radix: 2) }
        else if text.hasPrefix("0x") { value = Int(text.dropFirst(2), radix: 16) }
        else if text.hasPrefix("0o") { value = Int(text.dropFirst(2), radix: 8) }
        else if text.count > 1 && text.hasPrefix("0") { value = Int(text.dropFirst(), radix: 8) }
        else if text.contains(":") {
            var total = 0
            for part in text.split(separator: ":") { guard let p = Int(part) else { return nil }; total = total * 60 + p }
            value = total
        } else { value = Int(text) }
        return value.map { $0 * sign }
    }

    static func localTagName(_ tag: Tag) -> String? {
        let name = tag.rawValue
        return name.hasPrefix("!") && name != "!" ? name : nil
    }

    static func translate(_ error: YamlError, file: String) -> KeelError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return KeelError(message, at: SourceLocation(file: file, line: mark.line, column: mark.column))
        case let .reader(problem, _, _, _):
            return KeelError("invalid YAML: \(problem)", at: SourceLocation(file: file, line: 1, column: 1))
        case let .duplicatedKeysInMapping(duplicates, context):
            return KeelError("duplicate keys \(duplicates.joined(separator: ", ")) in a mapping",
                             at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
        default:
            return KeelError("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }
}
