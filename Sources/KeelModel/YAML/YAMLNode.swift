import KeelBase
import OrderedCollections

/// A YAML node that remembers where it was written. The model keeps these (not bare values) until it has
/// checked a node's shape, so every complaint can point at file:line:column.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(Value)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var kind: Kind
    public var location: SourceLocation
    /// A local tag such as `!unsafe` or `!vault`; nil for untagged nodes and YAML's own tags.
    public var tag: String?
    /// True for quoted scalars: `"yes"` is the string yes, never a boolean.
    public var isQuoted: Bool
    /// True for the root of a vault-encrypted file: every string in a vaulted variables file is a secret.
    public var fromVault = false

    public init(kind: Kind, location: SourceLocation, tag: String? = nil, isQuoted: Bool = false) {
        self.kind = kind
        self.location = location
        self.tag = tag
        self.isQuoted = isQuoted
    }

    /// The plain value of this node and everything below it (locations dropped).
    public var value: Value {
        switch kind {
        case .scalar(let v): return v
        case .sequence(let items): return .list(items.map(\.value))
        case .mapping(let pairs):
            var result = OrderedDictionary<String, Value>()
            for pair in pairs { result[pair.key] = pair.value.value }
            return .dict(result)
        }
    }

    public var pairs: [YAMLPair]? { if case .mapping(let p) = kind { return p }; return nil }
    public var items: [YAMLNode]? { if case .sequence(let i) = kind { return i }; return nil }
    public var scalar: Value? { if case .scalar(let v) = kind { return v }; return nil }

    /// The value under `key` in a mapping node.
    public subscript(key: String) -> YAMLNode? {
        pairs?.last(where: { $0.key == key })?.value
    }

    /// What this node is, in the words an error message uses ("a mapping", "a list", "the string 'x'").
    public var shapeDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let v):
            switch v {
            case .null: return "nothing (null)"
            case .string(let s): return "the string '\(s.count > 40 ? String(s.prefix(40)) + "…" : s)'"
            case .bool(let b): return "the boolean \(b)"
            case .int(let i): return "the integer \(i)"
            case .double(let d): return "the number \(d)"
            default: return v.typeName
            }
        }
    }
}

/// One `key: value` entry of a mapping, with the key's own location (where "unknown key" errors point).
public struct YAMLPair: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: YAMLNode

    public init(key: String, keyLocation: SourceLocation, value: YAMLNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}
