import KeelBase
import OrderedCollections

/// Reads one nested mapping of haproxy_config's data form (a frontend, a bind, a server) and rejects keys
/// it does not know, naming where the mapping sits (`frontends[0].binds[1]`), so a typo is an error
/// instead of a line silently missing from haproxy.cfg.
struct HAProxyFields {
    let path: String
    let values: OrderedDictionary<String, Value>

    init(_ value: Value, at path: String, allowed: [String]) throws {
        guard let dict = value.dictValue else {
            throw KeelError("haproxy_config: \(path) must be a mapping", expected: "a mapping with keys \(allowed.joined(separator: ", "))",
                            found: "\(value.typeName) \(value.shortText)")
        }
        for key in dict.keys where !allowed.contains(key) {
            throw KeelError("haproxy_config: \(path) has an unknown key '\(key)'", expected: "one of \(allowed.joined(separator: ", "))",
                            found: key, suggestion: Suggestion.closest(to: key, among: allowed))
        }
        self.path = path
        self.values = dict
    }

    func has(_ key: String) -> Bool { values[key].map { !$0.isNull } ?? false }

    func string(_ key: String) throws -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        default: throw wrongType(key, value, expected: "a string")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else {
            throw KeelError("haproxy_config: \(path) needs '\(key)'", expected: "a non-empty string for \(key)", found: "nothing")
        }
        return s
    }

    func int(_ key: String) throws -> Int? {
        guard let value = values[key], !value.isNull else { return nil }
        if let i = value.intValue { return i }
        if let s = value.stringValue, let i = Int(s) { return i }
        throw wrongType(key, value, expected: "an integer")
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = values[key], !value.isNull else { return nil }
        if let b = value.boolValue { return b }
        if let s = value.stringValue?.lowercased() {
            if ["yes", "true", "on", "1"].contains(s) { return true }
            if ["no", "false", "off", "0"].contains(s) { return false }
        }
        throw wrongType(key, value, expected: "a boolean")
    }

    /// A list of strings; a single string is a list of one.
    func strings(_ key: String) throws -> [String] {
        guard let value = values[key], !value.isNull else { return [] }
        if case .string(let s) = value { return [s] }
        guard let list = value.listValue else { throw wrongType(key, value, expected: "a list of strings") }
        return try list.enumerated().map { index, item in
            switch item {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: throw wrongType("\(key)[\(index)]", item, expected: "a string")
            }
        }
    }

    func list(_ key: String) throws -> [Value] {
        guard let value = values[key], !value.isNull else { return [] }
        guard let list = value.listValue else { throw wrongType(key, value, expected: "a list") }
        return list
    }

    func wrongType(_ key: String, _ value: Value, expected: String) -> KeelError {
        KeelError("haproxy_config: \(path).\(key) has the wrong type", expected: expected, found: "\(value.typeName) \(value.shortText)")
    }
}

extension Value {
    /// A short rendering of a value for error messages.
    var shortText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return "'\(s.count > 60 ? String(s.prefix(60)) + "…" : s)'"
        case .list(let l): return "[\(l.count) items]"
        case .dict(let d): return "{\(d.keys.prefix(5).joined(separator: ", "))}"
        }
    }
}
