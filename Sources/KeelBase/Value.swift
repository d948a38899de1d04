import OrderedCollections

/// A variable's value as playbooks see it: what YAML, JSON and Jinja2 can express. Mappings keep their
/// insertion order, as Python's dicts do, so rendered output and JSON match Ansible's.
public enum Value: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case dict(OrderedDictionary<String, Value>)

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? { if case .int(let i) = self { return i }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var listValue: [Value]? { if case .list(let l) = self { return l }; return nil }
    public var dictValue: OrderedDictionary<String, Value>? { if case .dict(let d) = self { return d }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    public subscript(key: String) -> Value? {
        if case .dict(let d) = self { return d[key] }
        return nil
    }

    /// Python's truthiness: empty strings, lists and dicts, zero, None and False are false.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .dict(let d): return !d.isEmpty
        }
    }

    /// The name Ansible's error messages use for a value's type.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .dict: return "dict"
        }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
                 ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
                 ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        var d = OrderedDictionary<String, Value>()
        for (k, v) in elements { d[k] = v }
        self = .dict(d)
    }
    public init(nilLiteral: ()) { self = .null }
}
