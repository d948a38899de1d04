import KeelBase
import OrderedCollections

/// What an expression evaluates to while a template runs. Richer than `Value`: Jinja2 has undefined
/// values that fail only when used, tuples, macros and bound methods, loop objects and namespaces.
/// Converted to `Value` at the engine's border.
enum RValue {
    case undefined(UndefinedValue)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([RValue])
    case tuple([RValue])
    case dict(OrderedDictionary<RValue, RValue>)
    case callable(Callable)
    case namespace(Namespace)
    case loop(LoopState)

    init(_ literal: RuntimeLiteral) {
        switch literal {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        }
    }

    init(_ value: Value) {
        switch value {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .list(let l): self = .list(l.map(RValue.init))
        case .dict(let d):
            var out = OrderedDictionary<RValue, RValue>(minimumCapacity: d.count)
            for (k, v) in d { out[.string(k)] = RValue(v) }
            self = .dict(out)
        }
    }

    /// Back to a plain `Value`; tuples become lists, non-string keys become their Python `str`.
    func toValue() throws -> Value {
        switch self {
        case .undefined(let u): throw u.error
        case .none: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .list(let l), .tuple(let l): return .list(try l.map { try $0.toValue() })
        case .dict(let d):
            var out = OrderedDictionary<String, Value>(minimumCapacity: d.count)
            for (k, v) in d { out[try k.pythonStr()] = try v.toValue() }
            return .dict(out)
        case .namespace(let ns):
            var out = OrderedDictionary<String, Value>()
            for (k, v) in ns.attributes { out[k] = try v.toValue() }
            return .dict(out)
        case .callable, .loop: return .string(try pythonStr())
        }
    }

    /// Ansible stores template results in lists, never tuples.
    func withTuplesAsLists() -> RValue {
        switch self {
        case .tuple(let l), .list(let l): return .list(l.map { $0.withTuplesAsLists() })
        case .dict(let d):
            var out = OrderedDictionary<RValue, RValue>(minimumCapacity: d.count)
            for (k, v) in d { out[k] = v.withTuplesAsLists() }
            return .dict(out)
        default: return self
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }
    var isNone: Bool { if case .none = self { return true }; return false }

    var asString: String? { if case .string(let s) = self { return s }; return nil }

    /// The elements of a list or tuple (not strings or dicts).
    var sequence: [RValue]? {
        switch self {
        case .list(let l), .tuple(let l): return l
        default: return nil
        }
    }

    /// Python's `type(x).__name__`, used by error messages.
    var typeName: String {
        switch self {
        case .undefined: return "AnsibleUndefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .callable: return "function"
        case .namespace(let n): return n.typeName
        case .loop: return "LoopContext"
        }
    }

    /// How Jinja2 names an object in "has no attribute" messages.
    var objectDescription: String {
        if case .none = self { return "None" }
        if case .namespace(let n) = self {
            switch n.kind {
            case .module: return "jinja2.environment.TemplateModule object"
            case .templateReference: return "jinja2.runtime.TemplateReference object"
            case .namespace: break
            }
        }
        return "\(typeName) object"
    }
}

/// A value that does not exist. Using it fails with `error` (StrictUndefined); `default` and
/// `is defined` can look at it without failing.
struct UndefinedValue {
    var message: String
    /// The variable's name when the undefined value is a missing variable (`mandatory` names it).
    var variable: String? = nil
    /// Jinja2's plain Undefined, which the implicit else of an inline `if` gives even under
    /// StrictUndefined: it prints as '', is false and iterates as empty; using it otherwise fails.
    var lenient = false
    var error: KeelError { KeelError(message) }

    static func variable(_ name: String) -> UndefinedValue { UndefinedValue(message: "'\(name)' is undefined", variable: name) }
    static func attribute(_ name: String, of object: RValue) -> UndefinedValue {
        UndefinedValue(message: "'\(object.objectDescription)' has no attribute '\(name)'")
    }
    static func element(_ key: RValue, of object: RValue) -> UndefinedValue {
        UndefinedValue(message: "\(object.objectDescription) has no element \((try? key.pythonRepr()) ?? "?")")
    }
}

typealias KeywordArguments = OrderedDictionary<String, RValue>

/// Anything `()` applies to: macros, `caller`, bound string methods, global functions.
final class Callable {
    let name: String
    let body: ([RValue], KeywordArguments) throws -> RValue
    /// What Python prints for it, when not `<function name>` (macros print as `<Macro 'name'>`).
    let repr: String?
    init(_ name: String, repr: String? = nil, _ body: @escaping ([RValue], KeywordArguments) throws -> RValue) {
        self.name = name
        self.repr = repr
        self.body = body
    }
}

/// `namespace()`: the one mutable object templates may assign attributes to from inside loops. Imported
/// templates (`{% import "x" as m %}`) and `self` are objects with attributes too, so they share the type.
final class Namespace {
    enum Kind {
        case namespace
        /// An imported template: its macros and top-level variables; printed, its rendered text.
        case module(name: String?, body: String)
        /// `self`: the blocks of the template being rendered.
        case templateReference(name: String?)
    }

    var attributes: OrderedDictionary<String, RValue>
    let kind: Kind
    init(_ attributes: OrderedDictionary<String, RValue>, kind: Kind = .namespace) {
        self.attributes = attributes
        self.kind = kind
    }

    var isPlainNamespace: Bool { if case .namespace = kind { return true }; return false }

    var typeName: String {
        switch kind {
        case .namespace: return "Namespace"
        case .module: return "TemplateModule"
        case .templateReference: return "TemplateReference"
        }
    }
}

/// The `loop` variable inside `{% for %}`.
final class LoopState {
    let items: [RValue]
    var index0 = 0
    let depth0: Int
    let recurse: Callable?
    init(items: [RValue], depth0: Int, recurse: Callable?) {
        self.items = items
        self.depth0 = depth0
        self.recurse = recurse
    }

    func attribute(_ name: String) -> RValue? {
        let n = items.count
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(n - index0)
        case "revindex0": return .int(n - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == n - 1)
        case "length": return .int(n)
        case "depth": return .int(depth0 + 1)
        case "depth0": return .int(depth0)
        case "previtem": return index0 > 0 ? items[index0 - 1] : .undefined(UndefinedValue(message: "there is no previous item"))
        case "nextitem": return index0 + 1 < n ? items[index0 + 1] : .undefined(UndefinedValue(message: "there is no next item"))
        case "cycle":
            let i = index0
            return .callable(Callable("cycle") { args, _ in
                guard !args.isEmpty else { throw KeelError("no items for cycling given") }
                return args[i % args.count]
            })
        case "changed":
            return .callable(Callable("changed") { [weak self] args, _ in
                guard let self else { return .bool(false) }
                let key = RValue.tuple(args)
                if let last = self.lastChanged, last == key { return .bool(false) }
                self.lastChanged = key
                return .bool(true)
            })
        default: return nil
        }
    }
    var lastChanged: RValue?
}

extension RValue: Hashable {
    /// Python equality: numbers compare across int/float/bool, lists never equal tuples.
    static func == (lhs: RValue, rhs: RValue) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)): return a == b
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a { guard let w = b[k], w == v else { return false } }
            return true
        case (.callable(let a), .callable(let b)): return a === b
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.loop(let a), .loop(let b)): return a === b
        case (.undefined, .undefined): return true
        default:
            if let a = lhs.numeric, let b = rhs.numeric {
                switch (a, b) {
                case (.int(let x), .int(let y)): return x == y
                default: return a.asDouble == b.asDouble
                }
            }
            return false
        }
    }

    func hash(into hasher: inout Hasher) {
        switch self {
        case .none: hasher.combine(0)
        case .bool(let b): hasher.combine(b ? 1 : 0)
        case .int(let i): hasher.combine(i)
        case .double(let d):
            if d.rounded() == d, abs(d) < 9e18 { hasher.combine(Int(d)) } else { hasher.combine(d) }
        case .string(let s): hasher.combine(s)
        case .list(let l), .tuple(let l): hasher.combine(l)
        case .dict(let d): hasher.combine(d.count)
        case .callable(let c): hasher.combine(ObjectIdentifier(c))
        case .namespace(let n): hasher.combine(ObjectIdentifier(n))
        case .loop(let l): hasher.combine(ObjectIdentifier(l))
        case .undefined: hasher.combine(-1)
        }
    }

    /// Numbers as Python sees them: bools are ints.
    var numeric: Number? {
        switch self {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        default: return nil
        }
    }
}

enum Number {
    case int(Int)
    case double(Double)
    var asDouble: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }
    var value: RValue {
        switch self {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        }
    }
}
