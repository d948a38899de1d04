import KeelBase

/// Finds filters, tests and lookups the library does not have, before anything renders (Jinja2 reports these
/// when it compiles a template, so a playbook check catches them too).
struct NameCheck {
    let library: Library

    struct Problem {
        var message: String
        var position: TemplatePosition
        var found: String
        var suggestion: String?
    }

    func firstProblem(in statements: [Statement]) -> Problem? {
        for s in statements { if let p = check(s) { return p } }
        return nil
    }

    func check(_ s: Statement) -> Problem? {
        switch s {
        case .text, .breakLoop, .continueLoop: return nil
        case .output(let e, _), .doExpression(let e, _), .set(_, let e, _): return check(e)
        case .ifChain(let branches, let otherwise, _):
            for (c, body) in branches { if let p = check(c) ?? firstProblem(in: body) { return p } }
            return firstProblem(in: otherwise)
        case .forLoop(let l):
            return check(l.iterable) ?? l.condition.flatMap(check) ?? firstProblem(in: l.body) ?? firstProblem(in: l.otherwise)
        case .setBlock(_, let filters, let body, _), .filterBlock(let filters, let body, _):
            for (name, args, pos) in filters { if let p = filterProblem(name, pos) ?? check(args) { return p } }
            return firstProblem(in: body)
        case .macro(let def): return check(def)
        case .callBlock(let call, let def, _): return check(call) ?? check(def)
        case .with(let assignments, let body, _):
            for (_, e) in assignments { if let p = check(e) { return p } }
            return firstProblem(in: body)
        case .include(let e, _, _, _), .importModule(let e, _, _, _), .fromImport(let e, _, _, _), .extends(let e, _): return check(e)
        case .block(let def): return firstProblem(in: def.body)
        }
    }

    func check(_ def: MacroDefinition) -> Problem? {
        for p in def.parameters { if let d = p.defaultValue, let problem = check(d) { return problem } }
        return firstProblem(in: def.body)
    }

    func check(_ args: Arguments) -> Problem? {
        for e in args.positional { if let p = check(e) { return p } }
        for (_, e) in args.keyword { if let p = check(e) { return p } }
        return args.star.flatMap(check) ?? args.doubleStar.flatMap(check)
    }

    func filterProblem(_ name: String, _ pos: TemplatePosition) -> Problem? {
        let short = Library.shortName(name)
        if library.filters[short] != nil { return nil }
        return Problem(message: "no filter named '\(name)'", position: pos, found: "'\(name)'",
                       suggestion: Suggestion.closest(to: short, among: library.filters.keys))
    }

    /// `lookup('name', ...)`, `query(...)`, `q(...)` naming a lookup plugin Keel does not have (a literal name only).
    func lookupProblem(_ callee: Expr, _ args: Arguments) -> Problem? {
        guard case .name(let function, let position) = callee, ["lookup", "query", "q"].contains(function),
              library.functions[function] == nil,
              case .literal(.string(let name))? = args.positional.first else { return nil }
        let short = Lookups.shortName(name)
        if library.lookups[short] != nil { return nil }
        return Problem(message: "no lookup plugin named '\(name)'", position: position, found: "'\(name)'",
                       suggestion: Suggestion.closest(to: short, among: library.lookups.keys))
    }

    func check(_ e: Expr) -> Problem? {
        switch e {
        case .literal, .name: return nil
        case .list(let items), .tuple(let items), .concat(let items, _):
            for i in items { if let p = check(i) { return p } }
            return nil
        case .dict(let pairs):
            for (k, v) in pairs { if let p = check(k) ?? check(v) { return p } }
            return nil
        case .attribute(let b, _, _), .unary(_, let b, _), .not(let b): return check(b)
        case .item(let b, let k, _): return check(b) ?? check(k)
        case .slice(let b, let x, let y, let z, _): return check(b) ?? x.flatMap(check) ?? y.flatMap(check) ?? z.flatMap(check)
        case .call(let b, let args, _): return lookupProblem(b, args) ?? check(b) ?? check(args)
        case .filter(let b, let name, let args, let pos): return b.flatMap(check) ?? filterProblem(name, pos) ?? check(args)
        case .test(let b, let name, let args, _, let pos):
            if let p = check(b) ?? check(args) { return p }
            let short = Library.shortName(name)
            if library.tests[short] != nil { return nil }
            return Problem(message: "no test named '\(name)'", position: pos, found: "'\(name)'",
                           suggestion: Suggestion.closest(to: short, among: library.tests.keys))
        case .binary(_, let l, let r, _), .and(let l, let r), .or(let l, let r): return check(l) ?? check(r)
        case .compare(let f, let ops, _):
            if let p = check(f) { return p }
            for (_, x) in ops { if let p = check(x) { return p } }
            return nil
        case .conditional(let t, let a, let b): return check(t) ?? check(a) ?? b.flatMap(check)
        }
    }
}
