import Foundation
import KeelBase

/// psycopg2's client-side parameter binding, which postgresql_query's positional_args and named_args go
/// through: `%s` (in order) or `%(name)s` become SQL literals, `%%` becomes `%`. Without arguments the
/// query is left exactly as written (psycopg2 does not touch `%` then).
enum QueryParameters {
    static func bind(_ query: String, positional: [Value]?, named: OrderedDictionaryLike?) throws -> String {
        guard positional != nil || named != nil else { return query }
        var out = ""
        var chars = Array(query)[...]
        var next = 0
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            guard let kind = chars.popFirst() else { throw KeelError("postgresql_query: incomplete placeholder at the end of the query", expected: "%s, %(name)s or %%", found: "%") }
            switch kind {
            case "%": out.append("%")
            case "s":
                guard let positional else { throw KeelError("postgresql_query: the query uses %s but named_args are given") }
                guard next < positional.count else { throw KeelError("postgresql_query: not enough positional_args for the query", expected: "at least \(next + 1)", found: "\(positional.count)") }
                out += try literal(positional[next]); next += 1
            case "(":
                guard let close = chars.firstIndex(of: ")") else { throw KeelError("postgresql_query: unclosed %( placeholder") }
                let name = String(chars[..<close])
                chars = chars[chars.index(after: close)...]
                guard chars.popFirst() == "s" else { throw KeelError("postgresql_query: placeholder %(\(name)) must end in s", expected: "%(\(name))s") }
                guard let named else { throw KeelError("postgresql_query: the query uses %(\(name))s but no named_args are given") }
                guard let value = named.value(name) else { throw KeelError("postgresql_query: named_args has no \(name)", expected: name, found: named.keys.joined(separator: ", ")) }
                out += try literal(value)
            default:
                throw KeelError("postgresql_query: unsupported placeholder %\(kind)", expected: "%s, %(name)s or %%", found: "%\(kind)")
            }
        }
        return out
    }

    /// A value as psycopg2 adapts it: strings quoted, numbers bare, booleans true/false, None NULL; a list
    /// first becomes the collection's array text ("{1, 2}", from Python's str(list)).
    static func literal(_ value: Value) throws -> String {
        switch value {
        case .null: return "NULL"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : "'\(d > 0 ? "Infinity" : d < 0 ? "-Infinity" : "NaN")'::float"
        case .string(let s): return try SQLQuote.literal(s)
        case .list(let items): return try SQLQuote.literal("{" + items.map(pythonRepr).joined(separator: ", ") + "}")
        case .dict: return try SQLQuote.literal(value.jsonString())
        }
    }

    /// Python's repr of a scalar, as str(list) writes each element.
    static func pythonRepr(_ value: Value) -> String {
        switch value {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return "\(d)"
        case .string(let s): return s.contains("'") && !s.contains("\"") ? "\"\(s)\"" : "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .list(let items): return "[" + items.map(pythonRepr).joined(separator: ", ") + "]"
        case .dict: return value.jsonString()
        }
    }
}

/// named_args as given (a mapping), looked up by name.
struct OrderedDictionaryLike {
    var pairs: [(String, Value)]
    var keys: [String] { pairs.map(\.0) }
    func value(_ name: String) -> Value? { pairs.first { $0.0 == name }?.1 }
}
