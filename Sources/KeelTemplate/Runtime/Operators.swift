import Foundation
import KeelBase
import OrderedCollections

/// Python's arithmetic, comparison, truthiness and membership, as Jinja2 inherits them.
enum Operators {
    static func truthy(_ v: RValue) throws -> Bool {
        switch v {
        case .undefined(let u): if u.lenient { return false }; throw u.error
        case .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l), .tuple(let l): return !l.isEmpty
        case .dict(let d): return !d.isEmpty
        case .callable, .namespace, .loop: return true
        }
    }

    static func defined(_ v: RValue) throws -> RValue {
        if case .undefined(let u) = v { throw u.error }
        return v
    }

    static func typeError(_ op: String, _ a: RValue, _ b: RValue) -> KeelError {
        KeelError("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    static func binary(_ op: String, _ lhs: RValue, _ rhs: RValue) throws -> RValue {
        let a = try defined(lhs), b = try defined(rhs)
        switch op {
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.tuple(let x), .tuple(let y)): return .tuple(x + y)
            default: break
            }
            if case .string = a { throw KeelError("can only concatenate str (not \"\(b.typeName)\") to str") }
            if case .list = a { throw KeelError("can only concatenate list (not \"\(b.typeName)\") to list") }
        case "*":
            switch (a, b) {
            case (.string(let s), .int(let n)), (.int(let n), .string(let s)):
                guard n < 50_000_000, s.count.multipliedReportingOverflow(by: max(0, n)).partialValue <= 50_000_000 else {
                    throw KeelError("the repeated string would be too large")
                }
                return .string(String(repeating: s, count: max(0, n)))
            case (.list(let l), .int(let n)), (.int(let n), .list(let l)):
                guard n < 10_000_000, l.count.multipliedReportingOverflow(by: max(0, n)).partialValue <= 10_000_000 else {
                    throw KeelError("the repeated list would be too large")
                }
                return .list(Array([[RValue]](repeating: l, count: max(0, n)).joined()))
            default: break
            }
        case "%":
            if case .string(let s) = a { return .string(try PythonFormat.percent(s, b)) }
        default: break
        }
        guard let x = a.numeric, let y = b.numeric else { throw typeError(op == "**" ? "** or pow()" : op, a, b) }
        return try arithmetic(op, x, y).value
    }

    static func arithmetic(_ op: String, _ x: Number, _ y: Number) throws -> Number {
        if case .int(let i) = x, case .int(let j) = y {
            switch op {
            case "+": let (r, o) = i.addingReportingOverflow(j); if !o { return .int(r) }
            case "-": let (r, o) = i.subtractingReportingOverflow(j); if !o { return .int(r) }
            case "*": let (r, o) = i.multipliedReportingOverflow(by: j); if !o { return .int(r) }
            case "/":
                guard j != 0 else { throw KeelError("division by zero") }
                return .double(Double(i) / Double(j))
            case "//":
                guard j != 0 else { throw KeelError("integer division or modulo by zero") }
                if j == -1 && i == .min { return .double(-Double(i)) }
                return .int(floorDiv(i, j))
            case "%":
                guard j != 0 else { throw KeelError("integer modulo by zero") }
                if j == -1 { return .int(0) }
                return .int(i - floorDiv(i, j) * j)
            case "**":
                if j >= 0 {
                    var result = 1, overflow = false
                    for _ in 0..<min(j, 4096) {
                        let (r, o) = result.multipliedReportingOverflow(by: i)
                        if o { overflow = true; break }
                        result = r
                    }
                    if !overflow { return .int(result) }
                }
                return .double(pow(Double(i), Double(j)))
            default: break
            }
        }
        let a = x.asDouble, b = y.asDouble
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw KeelError("float division by zero") }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw KeelError("float floor division by zero") }
            return .double((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw KeelError("float modulo") }
            let r = a.truncatingRemainder(dividingBy: b)
            return .double(r != 0 && (r < 0) != (b < 0) ? r + b : r)
        case "**": return .double(pow(a, b))
        default: throw KeelError("unknown operator \(op)")
        }
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func unary(_ op: String, _ v: RValue) throws -> RValue {
        let value = try defined(v)
        guard let n = value.numeric else { throw KeelError("bad operand type for unary \(op): '\(value.typeName)'") }
        if op == "+" { return n.value }
        switch n {
        case .int(let i): return i == .min ? .double(-Double(i)) : .int(-i)
        case .double(let d): return .double(-d)
        }
    }

    static func compare(_ op: String, _ lhs: RValue, _ rhs: RValue) throws -> Bool {
        let a = try defined(lhs), b = try defined(rhs)
        switch op {
        case "==": return a == b
        case "!=": return a != b
        case "in": return try contains(b, a)
        case "notin": return try !contains(b, a)
        default:
            let order = try ordering(a, b, op)
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    /// Python's ordering: numbers with numbers, strings with strings, sequences elementwise.
    static func ordering(_ a: RValue, _ b: RValue, _ op: String = "<") throws -> Int {
        if let x = a.numeric, let y = b.numeric {
            if case .int(let i) = x, case .int(let j) = y { return i < j ? -1 : (i > j ? 1 : 0) }
            let p = x.asDouble, q = y.asDouble
            return p < q ? -1 : (p > q ? 1 : 0)
        }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            let xs = Array(x.unicodeScalars), ys = Array(y.unicodeScalars)
            for (c, d) in zip(xs, ys) where c != d { return c.value < d.value ? -1 : 1 }
            return xs.count < ys.count ? -1 : (xs.count > ys.count ? 1 : 0)
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (c, d) in zip(x, y) where c != d { return try ordering(c, d, op) }
            return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
        default:
            throw KeelError("'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    static func contains(_ container: RValue, _ item: RValue) throws -> Bool {
        switch try defined(container) {
        case .string(let s):
            guard case .string(let sub) = try defined(item) else {
                throw KeelError("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return sub.isEmpty || s.contains(sub)
        case .list(let l), .tuple(let l): return l.contains(try defined(item))
        case .dict(let d): return d[try defined(item)] != nil
        case .namespace(let n): if case .string(let k) = item { return n.attributes[k] != nil }; return false
        default: throw KeelError("argument of type '\(container.typeName)' is not iterable")
        }
    }

    /// `for x in y` and filters that iterate: dicts yield keys, strings yield characters.
    static func iterate(_ v: RValue) throws -> [RValue] {
        if case .undefined(let u) = v, u.lenient { return [] }
        switch try defined(v) {
        case .list(let l), .tuple(let l): return l
        case .dict(let d): return Array(d.keys)
        case .string(let s): return s.map { .string(String($0)) }
        case .namespace(let n): return n.attributes.keys.map { .string($0) }
        case .loop(let l): return l.items
        default: throw KeelError("'\(v.typeName)' object is not iterable")
        }
    }

    static func length(_ v: RValue) throws -> Int {
        switch try defined(v) {
        case .string(let s): return s.count
        case .list(let l), .tuple(let l): return l.count
        case .dict(let d): return d.count
        case .namespace(let n): return n.attributes.count
        default: throw KeelError("object of type '\(v.typeName)' has no len()")
        }
    }

    /// Python slicing with negative indices and steps.
    static func slice(_ v: RValue, _ start: Int?, _ stop: Int?, _ step: Int?) throws -> RValue {
        let step = step ?? 1
        guard step != 0 else { throw KeelError("slice step cannot be zero") }
        func indices(_ count: Int) -> [Int] {
            func clamp(_ i: Int?, _ def: Int) -> Int {
                guard var i else { return def }
                if i < 0 { i += count }
                if step > 0 { return min(max(i, 0), count) }
                return min(max(i, -1), count - 1)
            }
            var result: [Int] = []
            if step > 0 {
                var i = clamp(start, 0); let end = clamp(stop, count)
                while i < end { result.append(i); i += step }
            } else {
                var i = clamp(start, count - 1); let end = clamp(stop, -1)
                while i > end { result.append(i); i += step }
            }
            return result
        }
        switch try defined(v) {
        case .string(let s):
            let chars = Array(s)
            return .string(String(indices(chars.count).map { chars[$0] }))
        case .list(let l): return .list(indices(l.count).map { l[$0] })
        case .tuple(let l): return .tuple(indices(l.count).map { l[$0] })
        default: throw KeelError("'\(v.typeName)' object is not subscriptable")
        }
    }
}
