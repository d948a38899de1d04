import KeelBase

/// Python's `json.dumps` spelling (separators, `ensure_ascii`, float repr, key sorting), which
/// `to_json` / `to_nice_json` output must match byte for byte.
enum JSONText {
    static func dump(_ v: RValue, indent: Int?, sortKeys: Bool, itemSeparator: String? = nil, htmlSafe: Bool = false) throws -> String {
        var out = ""
        let sep = itemSeparator ?? (indent == nil ? ", " : ",")
        try write(v, into: &out, indent: indent, level: 0, sortKeys: sortKeys, itemSeparator: sep)
        if htmlSafe {
            out = out.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
                .replacingOccurrences(of: "&", with: "\\u0026").replacingOccurrences(of: "'", with: "\\u0027")
        }
        return out
    }

    static func keyString(_ k: RValue) throws -> String {
        switch k {
        case .string(let s): return s
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return PythonText.floatRepr(d)
        default: throw KeelError("keys must be str, int, float, bool or None, not \(k.typeName)")
        }
    }

    static func write(_ v: RValue, into out: inout String, indent: Int?, level: Int, sortKeys: Bool, itemSeparator: String) throws {
        func newline(_ l: Int) { if let indent { out += "\n" + String(repeating: " ", count: indent * l) } }
        switch v {
        case .undefined(let u): throw u.error
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : PythonText.floatRepr(d)
        case .string(let s): out += Value.jsonQuote(s)
        case .list(let l), .tuple(let l):
            if l.isEmpty { out += "[]"; return }
            out += "["
            for (i, x) in l.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1)
                try write(x, into: &out, indent: indent, level: level + 1, sortKeys: sortKeys, itemSeparator: itemSeparator)
            }
            newline(level)
            out += "]"
        case .dict(let d):
            if d.isEmpty { out += "{}"; return }
            var pairs = try d.map { (try keyString($0.key), $0.value) }
            if sortKeys { pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } }
            out += "{"
            for (i, (k, x)) in pairs.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1)
                out += Value.jsonQuote(k) + ": "
                try write(x, into: &out, indent: indent, level: level + 1, sortKeys: sortKeys, itemSeparator: itemSeparator)
            }
            newline(level)
            out += "}"
        case .namespace, .callable, .loop:
            throw KeelError("Object of type \(v.typeName) is not JSON serializable")
        }
    }
}
