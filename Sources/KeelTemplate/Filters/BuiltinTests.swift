import Foundation
import KeelBase
import OrderedCollections

/// Jinja2's tests and Ansible's (core, mathstuff, result tests): `x is defined`, `r is failed`, …
enum BuiltinTests {
    static let all: [String: TestBody] = {
        var t: [String: TestBody] = [
            "defined": { v, _, _ in !v.isUndefined },
            "undefined": { v, _, _ in v.isUndefined },
            "none": { v, _, _ in v.isNone },
            "string": { v, _, _ in if case .string = v { return true }; return false },
            "number": { v, _, _ in v.numeric != nil },
            "integer": { v, _, _ in if case .int = v { return true }; return false },
            "float": { v, _, _ in if case .double = v { return true }; return false },
            "boolean": { v, _, _ in if case .bool = v { return true }; return false },
            "mapping": { v, _, _ in if case .dict = v { return true }; return false },
            "sequence": { v, _, _ in
                switch v {
                case .string, .list, .tuple, .dict: return true
                default: return false
                }
            },
            "iterable": { v, _, _ in
                switch v {
                case .string, .list, .tuple, .dict, .loop, .namespace: return true
                default: return false
                }
            },
            "callable": { v, _, _ in if case .callable = v { return true }; return false },
            "sameas": { v, a, _ in
                switch (v, a.first ?? .none) {
                case (.none, .none): return true
                case (.bool(let x), .bool(let y)): return x == y
                case (.int(let x), .int(let y)): return x == y && x >= -5 && x <= 256
                case (.callable(let x), .callable(let y)): return x === y
                case (.namespace(let x), .namespace(let y)): return x === y
                default: return false
                }
            },
            "divisibleby": { v, a, _ in
                let n = try Conversions.toNumber(a.first ?? .int(1))
                let r = try Operators.arithmetic("%", try Conversions.toNumber(v), n)
                return r.asDouble == 0
            },
            "even": { v, _, _ in try Conversions.toIntStrict(v) % 2 == 0 },
            "odd": { v, _, _ in try Conversions.toIntStrict(v) % 2 != 0 },
            "lower": { v, _, _ in let s = try v.pythonStr(); return s.contains { $0.isCased } && s == s.lowercased() },
            "upper": { v, _, _ in let s = try v.pythonStr(); return s.contains { $0.isCased } && s == s.uppercased() },
            "in": { v, a, _ in try Operators.contains(a.first ?? .list([]), v) },
            "contains": { v, a, _ in try Operators.contains(v, a.first ?? .none) },
            "escaped": { _, _, _ in false },
            "match": { v, a, _ in try regexTest(v, a, mode: "match") },
            "search": { v, a, _ in try regexTest(v, a, mode: "search") },
            "regex": { v, a, _ in
                let mode = a.count > 3 && !a[3].isNone ? try a[3].pythonStr() : "search"
                return try regexTest(v, Array(a.prefix(3)), mode: mode)
            },
            "succeeded": { v, _, _ in !(try failed(v, "succeeded")) },
            "failed": { v, _, _ in try failed(v, "failed") },
            "changed": { v, _, _ in try changed(v) },
            "skipped": { v, _, _ in
                guard case .dict(let d) = v else { throw KeelError("The 'skipped' test expects a dictionary") }
                return try d[.string("skipped")].map(Operators.truthy) ?? false
            },
            "finished": { v, _, _ in
                guard case .dict(let d) = v else { throw KeelError("The 'finished' test expects a dictionary") }
                return try d[.string("finished")].map(Operators.truthy) ?? true
            },
            "reachable": { v, _, _ in
                guard case .dict(let d) = v else { throw KeelError("The 'reachable' test expects a dictionary") }
                return !(try d[.string("unreachable")].map(Operators.truthy) ?? false)
            },
            "unreachable": { v, _, _ in
                guard case .dict(let d) = v else { throw KeelError("The 'unreachable' test expects a dictionary") }
                return try d[.string("unreachable")].map(Operators.truthy) ?? false
            },
            "version": { v, a, _ in try versionCompare(v, a) },
            "subset": { v, a, _ in
                let other = try Operators.iterate(a.first ?? .list([]))
                return try Operators.iterate(v).allSatisfy { other.contains($0) }
            },
            "superset": { v, a, _ in
                let mine = try Operators.iterate(v)
                return try Operators.iterate(a.first ?? .list([])).allSatisfy { mine.contains($0) }
            },
            "truthy": { v, a, _ in try truthy(v, a) },
            "falsy": { v, a, _ in !(try truthy(v, a)) },
            "any": { v, _, _ in try Operators.iterate(v).contains { try Operators.truthy($0) } },
            "all": { v, _, _ in try Operators.iterate(v).allSatisfy { try Operators.truthy($0) } },
            "nan": { v, _, _ in if case .double(let d) = v { return d.isNaN }; return false },
        ]
        let comparisons: [(String, String)] = [("eq", "=="), ("equalto", "=="), ("==", "=="), ("ne", "!="), ("!=", "!="),
                                               ("lt", "<"), ("lessthan", "<"), ("<", "<"), ("le", "<="), ("<=", "<="),
                                               ("gt", ">"), ("greaterthan", ">"), (">", ">"), ("ge", ">="), (">=", ">=")]
        for (name, op) in comparisons {
            t[name] = { v, a, _ in try Operators.compare(op, v, a.first ?? .none) }
        }
        for (alias, name) in [("success", "succeeded"), ("failure", "failed"), ("change", "changed"), ("skip", "skipped"),
                              ("version_compare", "version"), ("issubset", "subset"), ("issuperset", "superset")] {
            t[alias] = t[name]
        }
        return t
    }()

    static func failed(_ v: RValue, _ name: String) throws -> Bool {
        guard case .dict(let d) = v else { throw KeelError("The '\(name)' test expects a dictionary") }
        return try d[.string("failed")].map(Operators.truthy) ?? false
    }

    static func changed(_ v: RValue) throws -> Bool {
        guard case .dict(let d) = v else { throw KeelError("The 'changed' test expects a dictionary") }
        if let c = d[.string("changed")], try Operators.truthy(c) { return true }
        if d[.string("changed")] == nil, case .list(let results)? = d[.string("results")] {
            for r in results { if case .dict(let rd) = r, let c = rd[.string("changed")], try Operators.truthy(c) { return true } }
        }
        return false
    }

    static func truthy(_ v: RValue, _ a: [RValue]) throws -> Bool {
        let convert = try a.first.map(Operators.truthy) ?? false
        if convert, case .string(let s) = v {
            let l = s.lowercased()
            if ["yes", "on", "true", "1", "y", "t"].contains(l) { return true }
            if ["no", "off", "false", "0", "n", "f", ""].contains(l) { return false }
        }
        return try Operators.truthy(v)
    }

    static func regexTest(_ v: RValue, _ a: [RValue], mode: String) throws -> Bool {
        let s = try v.pythonStr()
        guard let pattern = a.first else { throw KeelError("the \(mode) test needs a pattern") }
        let re = try PythonRegex.compile(try pattern.pythonStr(), ignoreCase: try a.count > 1 && Operators.truthy(a[1]),
                                         multiline: try a.count > 2 && Operators.truthy(a[2]))
        let range = NSRange(s.startIndex..., in: s)
        switch mode {
        case "match": return re.firstMatch(in: s, options: .anchored, range: range) != nil
        case "fullmatch":
            guard let m = re.firstMatch(in: s, options: .anchored, range: range) else { return false }
            return m.range.length == range.length
        default: return re.firstMatch(in: s, range: range) != nil
        }
    }

    /// LooseVersion components: runs of digits (numbers) and runs of letters.
    static func looseParts(_ s: String) -> [RValue] {
        var parts: [RValue] = []
        var current = ""
        var currentIsDigit = false
        func flush() {
            if !current.isEmpty { parts.append(currentIsDigit ? .int(Int(current) ?? 0) : .string(current)) }
            current = ""
        }
        for c in s {
            if c == "." { flush(); continue }
            let isDigit = c.isNumber
            if !current.isEmpty && isDigit != currentIsDigit { flush() }
            currentIsDigit = isDigit
            current.append(c)
        }
        flush()
        return parts
    }

    static func versionCompare(_ v: RValue, _ a: [RValue]) throws -> Bool {
        guard let other = a.first else { throw KeelError("version test requires a version to compare to") }
        let op = a.count > 1 && !a[1].isNone ? try a[1].pythonStr() : "eq"
        let ops = ["==": "==", "=": "==", "eq": "==", "<": "<", "lt": "<", "<=": "<=", "le": "<=", ">": ">", "gt": ">",
                   ">=": ">=", "ge": ">=", "!=": "!=", "<>": "!=", "ne": "!="]
        guard let mapped = ops[op] else { throw KeelError("Invalid operator type (\(op))") }
        let x = looseParts(try v.pythonStr()), y = looseParts(try other.pythonStr())
        switch mapped {
        case "==": return x == y
        case "!=": return x != y
        default:
            let c = try Operators.ordering(.list(x), .list(y))
            switch mapped {
            case "<": return c < 0
            case "<=": return c <= 0
            case ">": return c > 0
            default: return c >= 0
            }
        }
    }
}
