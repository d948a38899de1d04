/// Which variable names a piece of template reads: Jinja2 lets a macro accept extra positional or
/// keyword arguments (and a `caller`) only when its body mentions `varargs`, `kwargs` or `caller`.
enum NameReferences {
    static func mentions(_ name: String, in statements: [Statement]) -> Bool {
        statements.contains { mentions(name, in: $0) }
    }

    static func mentions(_ name: String, in s: Statement) -> Bool {
        switch s {
        case .text, .breakLoop, .continueLoop: return false
        case .output(let e, _), .doExpression(let e, _), .set(_, let e, _): return mentions(name, in: e)
        case .ifChain(let branches, let otherwise, _):
            return branches.contains { mentions(name, in: $0.0) || mentions(name, in: $0.1) } || mentions(name, in: otherwise)
        case .forLoop(let l):
            return mentions(name, in: l.iterable) || (l.condition.map { mentions(name, in: $0) } ?? false)
                || mentions(name, in: l.body) || mentions(name, in: l.otherwise)
        case .setBlock(_, let filters, let body, _), .filterBlock(let filters, let body, _):
            return filters.contains { mentions(name, in: $0.1) } || mentions(name, in: body)
        case .macro(let def): return mentions(name, in: def.body) || def.parameters.contains { $0.defaultValue.map { mentions(name, in: $0) } ?? false }
        case .callBlock(let call, let def, _): return mentions(name, in: call) || mentions(name, in: def.body)
        case .with(let assignments, let body, _): return assignments.contains { mentions(name, in: $0.1) } || mentions(name, in: body)
        case .include(let e, _, _, _), .importModule(let e, _, _, _), .fromImport(let e, _, _, _), .extends(let e, _): return mentions(name, in: e)
        case .block(let def): return mentions(name, in: def.body)
        }
    }

    static func mentions(_ name: String, in args: Arguments) -> Bool {
        args.positional.contains { mentions(name, in: $0) } || args.keyword.contains { mentions(name, in: $0.1) }
            || (args.star.map { mentions(name, in: $0) } ?? false) || (args.doubleStar.map { mentions(name, in: $0) } ?? false)
    }

    static func mentions(_ name: String, in e: Expr) -> Bool {
        switch e {
        case .literal: return false
        case .name(let n, _): return n == name
        case .list(let items), .tuple(let items), .concat(let items, _): return items.contains { mentions(name, in: $0) }
        case .dict(let pairs): return pairs.contains { mentions(name, in: $0.0) || mentions(name, in: $0.1) }
        case .attribute(let b, _, _), .unary(_, let b, _), .not(let b): return mentions(name, in: b)
        case .item(let b, let k, _): return mentions(name, in: b) || mentions(name, in: k)
        case .slice(let b, let x, let y, let z, _):
            return mentions(name, in: b) || [x, y, z].contains { $0.map { mentions(name, in: $0) } ?? false }
        case .call(let b, let args, _): return mentions(name, in: b) || mentions(name, in: args)
        case .filter(let b, _, let args, _): return (b.map { mentions(name, in: $0) } ?? false) || mentions(name, in: args)
        case .test(let b, _, let args, _, _): return mentions(name, in: b) || mentions(name, in: args)
        case .binary(_, let l, let r, _), .and(let l, let r), .or(let l, let r): return mentions(name, in: l) || mentions(name, in: r)
        case .compare(let f, let ops, _): return mentions(name, in: f) || ops.contains { mentions(name, in: $0.1) }
        case .conditional(let t, let a, let b): return mentions(name, in: t) || mentions(name, in: a) || (b.map { mentions(name, in: $0) } ?? false)
        }
    }
}
