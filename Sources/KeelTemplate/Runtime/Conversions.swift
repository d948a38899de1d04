import Foundation
import KeelBase
import OrderedCollections

/// Python's conversions (`int()`, `float()`, `list()`, `dict()`, `range()`) as Jinja2 filters use them.
enum Conversions {
    /// For indices and counts: ints, bools, and floats truncated (as `%d` does).
    static func toIntStrict(_ v: RValue) throws -> Int {
        switch try Operators.defined(v) {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .double(let d) where d.isFinite:
            guard let i = Int(exactly: d.rounded(.towardZero)) else { throw KeelError("\(PythonText.floatRepr(d)) is too large for a 64-bit integer") }
            return i
        case .string(let s):
            if let i = Int(s.trimmingCharacters(in: .whitespaces)) { return i }
            throw KeelError("invalid literal for int() with base 10: \(PythonText.stringRepr(s))")
        default: throw KeelError("'\(v.typeName)' object cannot be interpreted as an integer")
        }
    }

    /// The `int` filter: never fails; unparsable input gives the default.
    static func intFilter(_ v: RValue, default def: Int = 0, base: Int = 10) -> Int {
        switch v {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .double(let d): return Int(exactly: d.rounded(.towardZero)) ?? def
        case .string(var s):
            s = s.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "_", with: "")
            if base != 10 {
                let lower = s.lowercased()
                for p in ["0x", "0o", "0b"] where lower.hasPrefix(p) { s = String(s.dropFirst(2)) }
                return Int(s, radix: base) ?? def
            }
            if let i = Int(s) { return i }
            if let d = Double(s), let i = Int(exactly: d.rounded(.towardZero)) { return i }
            return def
        default: return def
        }
    }

    static func toDouble(_ v: RValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .bool(let b): return b ? 1 : 0
        case .double(let d): return d
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().replacingOccurrences(of: "_", with: "")
            switch t {
            case "inf", "+inf", "infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            case "nan": return .nan
            default: return Double(t)
            }
        default: return nil
        }
    }

    static func toNumber(_ v: RValue) throws -> Number {
        if let n = try Operators.defined(v).numeric { return n }
        throw KeelError("unsupported operand type: '\(v.typeName)' is not a number")
    }

    static func toDict(_ v: RValue) throws -> OrderedDictionary<RValue, RValue> {
        switch try Operators.defined(v) {
        case .dict(let d): return d
        case .namespace(let n):
            var d = OrderedDictionary<RValue, RValue>()
            for (k, v) in n.attributes { d[.string(k)] = v }
            return d
        default:
            var d = OrderedDictionary<RValue, RValue>()
            for pair in try Operators.iterate(v) {
                let kv = try Operators.iterate(pair)
                guard kv.count == 2 else { throw KeelError("dictionary update sequence element has length \(kv.count); 2 is required") }
                d[kv[0]] = kv[1]
            }
            return d
        }
    }

    static func range(_ args: [RValue]) throws -> RValue {
        let ints = try args.map(toIntStrict)
        var start = 0, stop = 0, step = 1
        switch ints.count {
        case 1: stop = ints[0]
        case 2: start = ints[0]; stop = ints[1]
        case 3: start = ints[0]; stop = ints[1]; step = ints[2]
        default: throw KeelError("range expected 1 to 3 arguments, got \(ints.count)")
        }
        guard step != 0 else { throw KeelError("range() arg 3 must not be zero") }
        var out: [RValue] = []
        var i = start
        while step > 0 ? i < stop : i > stop {
            out.append(.int(i)); i += step
            if out.count > 100_000 { throw KeelError("range too big, maximum length is 100000") }
        }
        return .list(out)
    }
}
