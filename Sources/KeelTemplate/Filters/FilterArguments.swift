import KeelBase
import OrderedCollections

/// Positional-or-keyword argument lookup, as Python binds `f(value, a, b=1)`.
struct FilterArguments {
    let positional: [RValue]
    let keywords: KeywordArguments

    init(_ positional: [RValue], _ keywords: KeywordArguments) {
        self.positional = positional
        self.keywords = keywords
    }

    subscript(_ index: Int, _ name: String) -> RValue? {
        if index < positional.count { return positional[index] }
        return keywords[name]
    }

    func bool(_ index: Int, _ name: String, _ def: Bool) throws -> Bool {
        guard let v = self[index, name] else { return def }
        return try Operators.truthy(v)
    }

    func int(_ index: Int, _ name: String, _ def: Int) throws -> Int {
        guard let v = self[index, name], !v.isNone else { return def }
        return try Conversions.toIntStrict(v)
    }

    func string(_ index: Int, _ name: String, _ def: String) throws -> String {
        guard let v = self[index, name] else { return def }
        return try v.pythonStr()
    }

    func optionalString(_ index: Int, _ name: String) throws -> String? {
        guard let v = self[index, name], !v.isNone else { return nil }
        return try v.pythonStr()
    }
}

extension RValue {
    /// Jinja2's `make_attrgetter`: `"a.b.0"` walks attributes and items.
    func path(_ dotted: String) throws -> RValue {
        var v = self
        for part in dotted.split(separator: ".", omittingEmptySubsequences: false) {
            if let i = Int(part) { v = try Access.item(v, .int(i)) } else { v = try Access.item(v, .string(String(part))) }
        }
        return v
    }
}
