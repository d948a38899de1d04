import KeelBase

/// A request body as Ansible's uri encodes data with `body_format: json`: Python's json.dumps defaults
/// (", " and ": " separators, non-ASCII escaped, keys in the order given), so servers that sign or hash
/// bodies see the same bytes.
enum PythonJSONBody {
    static func dumps(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Value.formatDouble(d)
        case .string(let s): return Value.jsonQuote(s)
        case .list(let l): return "[" + l.map(dumps).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.map { Value.jsonQuote($0.key) + ": " + dumps($0.value) }.joined(separator: ", ") + "}"
        }
    }
}
