import KeelBase
import OrderedCollections

/// `a.b` and `a[b]` with Jinja2's fallbacks: attribute access tries the Python attribute (methods)
/// then the item; item access tries the item then the attribute. A miss is an undefined value naming
/// what was missing; an undefined base stays undefined (Ansible's chained undefined), so
/// `foo.bar | default(1)` works when `foo` is undefined.
enum Access {
    static func attribute(_ base: RValue, _ name: String) throws -> RValue {
        switch base {
        case .undefined(let u): return u.lenient ? .undefined(UndefinedValue(message: u.message)) : base
        case .namespace(let ns): return ns.attributes[name] ?? .undefined(.attribute(name, of: base))
        case .loop(let l): return l.attribute(name) ?? .undefined(.attribute(name, of: base))
        case .dict(let d):
            if let m = Methods.bind(base, name) { return m }
            return d[.string(name)] ?? .undefined(.attribute(name, of: base))
        case .tuple(let t) where t.count == 2 && (name == "grouper" || name == "list"):
            // groupby's items are named tuples (grouper, list).
            return name == "grouper" ? t[0] : t[1]
        default:
            return Methods.bind(base, name) ?? .undefined(.attribute(name, of: base))
        }
    }

    static func item(_ base: RValue, _ key: RValue) throws -> RValue {
        switch base {
        case .undefined(let u): return u.lenient ? .undefined(UndefinedValue(message: u.message)) : base
        case .dict(let d):
            if let v = d[key] { return v }
        case .list(let l), .tuple(let l):
            if let i = index(key) {
                let j = i < 0 ? i + l.count : i
                if j >= 0 && j < l.count { return l[j] }
                return .undefined(.element(key, of: base))
            }
            if case .tuple(let parts) = key, parts.isEmpty { break }
        case .string(let s):
            if let i = index(key) {
                let chars = Array(s)
                let j = i < 0 ? i + chars.count : i
                if j >= 0 && j < chars.count { return .string(String(chars[j])) }
                return .undefined(.element(key, of: base))
            }
        case .namespace(let ns):
            if case .string(let k) = key, let v = ns.attributes[k] { return v }
        case .loop(let l):
            if case .string(let k) = key, let v = l.attribute(k) { return v }
        default: break
        }
        if case .string(let name) = key {
            if case .dict = base { return .undefined(.attribute(name, of: base)) }
            return try attribute(base, name)
        }
        if case .undefined(let u) = key { throw u.error }
        return .undefined(.element(key, of: base))
    }

    static func index(_ key: RValue) -> Int? {
        switch key {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
}
