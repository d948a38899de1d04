import KeelBase
import OrderedCollections

/// Runs a parsed template against a context: one instance per render call, never shared.
final class Renderer {
    let library: Library
    let context: any TemplateContext
    var scope: Scope
    /// Macro calls in progress; a runaway recursive macro is an error, not a crashed process.
    var callDepth = 0
    static let maximumCallDepth = 200

    /// The template render whose variables are in use (see `TemplateFrame`).
    var frame: TemplateFrame
    /// The template whose statements are running: error positions are in its file.
    var template: LoadedTemplate
    /// Jinja2's context object for the code running now: the frame's top level, or inside a scoped
    /// block the locals it was rendered with. Non-scoped blocks and `self` see this, not loop variables.
    var contextScope: Scope
    /// The template the running top level extends, once its `{% extends %}` ran.
    var parentTemplate: LoadedTemplate?
    /// Whether text and `{{ }}` are dropped once `parentTemplate` is set: true along a template's top
    /// level and the loops and conditions in it; false in macros, blocks and `{% set %}` blocks.
    var outputCheck = true
    /// At the top level itself or in a condition there (not in a loop): a `{% block %}` here is not
    /// rendered in place once the template extends another, because the parent renders it.
    var topLevel = true
    /// Templates for include, import and extends, by name; nil when the engine was given no loader.
    let loadTemplate: ((String) throws -> LoadedTemplate?)?
    /// Where the loader looks, for the message about a missing template.
    let searchDescription: String?
    var loadedTemplates: [String: LoadedTemplate] = [:]
    /// Templates imported without context, rendered once per render as Jinja2 caches them.
    var defaultModules: [String: Namespace] = [:]
    /// Templates being rendered inside one another; a cycle of includes or extends is an error.
    var templateDepth = 0
    static let maximumTemplateDepth = 100

    init(library: Library, context: any TemplateContext, template: LoadedTemplate,
         loadTemplate: ((String) throws -> LoadedTemplate?)? = nil, searchDescription: String? = nil) {
        self.library = library
        self.searchDescription = searchDescription
        self.context = context
        self.template = template
        self.loadTemplate = loadTemplate
        frame = TemplateFrame(template: template, root: Scope(parent: nil), seesCallerVariables: true)
        scope = frame.root
        contextScope = frame.root
    }

    // MARK: Statements

    /// When set, the top level's output is collected as separate nodes (text and values) instead of
    /// text, for Ansible's native typing. Nested renders (macros, block sets, filter blocks) make text.
    var nodes: [RValue]?

    func render(_ statements: [Statement]) throws -> String {
        let saved = nodes
        nodes = nil
        defer { nodes = saved }
        var out = ""
        try execute(statements, into: &out)
        return out
    }

    /// Ansible's native rendering: output nodes whose value is None are dropped; no node gives None, a
    /// single node gives its value with its type, several nodes are joined as text.
    func renderNative(_ statements: [Statement]) throws -> RValue {
        nodes = []
        defer { nodes = nil }
        var unused = ""
        try execute(statements, into: &unused)
        return try nativeResult()
    }

    /// The template the renderer was made for, with the templates it extends.
    func renderTemplate() throws -> String {
        let saved = nodes
        nodes = nil
        defer { nodes = saved }
        var out = ""
        try runTopLevel(template, into: &out)
        return out
    }

    /// `renderTemplate` with Ansible's native typing.
    func renderTemplateNative() throws -> RValue {
        nodes = []
        defer { nodes = nil }
        var unused = ""
        try runTopLevel(template, into: &unused)
        return try nativeResult()
    }

    private func nativeResult() throws -> RValue {
        let collected = nodes ?? []
        switch collected.count {
        case 0: return .none
        case 1: return collected[0].withTuplesAsLists()
        default: return .string(try collected.map { try library.finalize($0) }.joined())
        }
    }

    /// One piece of output: text, or an expression's value.
    /// Text that is already rendered (an included template, a block).
    func emitText(_ text: String, into out: inout String) {
        if nodes != nil { nodes!.append(.string(text)) } else { out += text }
    }

    func emit(_ value: RValue, into out: inout String) throws {
        if nodes != nil {
            if case .undefined(let u) = value {
                if u.lenient { return }
                throw u.error
            }
            if !value.isNone { nodes!.append(value) }
        } else {
            out += try library.finalize(value)
        }
    }

    func execute(_ statements: [Statement], into out: inout String) throws {
        for statement in statements { try execute(statement, into: &out) }
    }

    func located<T>(_ position: TemplatePosition, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as KeelError { throw TemplateRuntimeError(error: e, position: position, origin: template.origin) }
    }

    func execute(_ statement: Statement, into out: inout String) throws {
        switch statement {
        case .text(let s):
            if outputCheck && parentTemplate != nil { return }
            emitText(s, into: &out)
        case .output(let expr, let pos):
            if outputCheck && parentTemplate != nil { return }
            try located(pos) { try emit(try evaluate(expr), into: &out) }
        case .ifChain(let branches, let otherwise, let pos):
            for (condition, body) in branches where try located(pos, { try Operators.truthy(try evaluate(condition)) }) {
                try execute(body, into: &out)
                return
            }
            try execute(otherwise, into: &out)
        case .forLoop(let loop):
            out += try runLoop(loop, iterable: try located(loop.position) { try evaluate(loop.iterable) }, depth: 0)
        case .set(let target, let expr, let pos):
            try located(pos) { try assign(target, try evaluate(expr)) }
        case .setBlock(let target, let filters, let body, let pos):
            var value = RValue.string(try nested(outputCheck: false) { try render(body) })
            for (name, args, _) in filters { value = try located(pos) { try applyFilter(name, value, args) } }
            try located(pos) { try assign(target, value) }
        case .macro(let def):
            scope.variables[def.name] = .callable(makeMacro(def, scope: scope))
            export(def.name)
        case .callBlock(let callExpr, let def, let pos):
            guard case .call(let callee, let args, _) = callExpr else { return }
            let caller = makeMacro(def, scope: scope)
            try located(pos) {
                let f = try evaluate(callee)
                var (positional, keywords) = try evaluateArguments(args)
                keywords["caller"] = .callable(caller)
                try emit(try call(f, positional, keywords), into: &out)
            }
        case .filterBlock(let filters, let body, let pos):
            var value = RValue.string(try nested(outputCheck: outputCheck) { try render(body) })
            for (name, args, _) in filters { value = try located(pos) { try applyFilter(name, value, args) } }
            try located(pos) { try emit(value, into: &out) }
        case .with(let assignments, let body, let pos):
            let inner = Scope(parent: scope)
            for (target, expr) in assignments {
                let v = try located(pos) { try evaluate(expr) }
                let saved = scope; scope = inner
                defer { scope = saved }
                try located(pos) { try assign(target, v) }
            }
            let saved = scope; scope = inner
            defer { scope = saved }
            try nested(outputCheck: outputCheck) { try execute(body, into: &out) }
        case .doExpression(let expr, let pos):
            _ = try located(pos) { try evaluate(expr) }
        case .breakLoop: throw LoopControl.breakLoop
        case .continueLoop: throw LoopControl.continueLoop
        case .include(let name, let ignoreMissing, let withContext, let pos):
            try located(pos) { try include(name, ignoreMissing: ignoreMissing, withContext: withContext, into: &out) }
        case .importModule(let name, let target, let withContext, let pos):
            try located(pos) { scope.variables[target] = .namespace(try importModule(name, withContext: withContext)) }
        case .fromImport(let name, let names, let withContext, let pos):
            try located(pos) { try importNames(names, from: name, withContext: withContext, at: pos) }
        case .extends(let name, let pos):
            try located(pos) { try extend(name) }
        case .block(let def):
            if topLevel && parentTemplate != nil { return }
            try located(def.position) { try renderBlockInPlace(def, into: &out) }
        }
    }

    func runLoop(_ loop: ForLoop, iterable: RValue, depth: Int) throws -> String {
        var items = try located(loop.position) { try Operators.iterate(iterable) }
        let outer = scope
        if let condition = loop.condition {
            let filterScope = Scope(parent: outer)
            scope = filterScope
            defer { scope = outer }
            items = try items.filter { item in
                try located(loop.position) {
                    try assign(loop.target, item)
                    return try Operators.truthy(try evaluate(condition))
                }
            }
        }
        var out = ""
        if items.isEmpty {
            try execute(loop.otherwise, into: &out)
            return out
        }
        let recurse: Callable? = loop.recursive ? Callable("loop") { [unowned self] args, _ in
            guard depth < Renderer.maximumCallDepth else { throw KeelError("recursive loop nests deeper than \(Renderer.maximumCallDepth) levels") }
            let saved = self.nodes
            self.nodes = nil
            defer { self.nodes = saved }
            return .string(try self.runLoop(loop, iterable: args.first ?? .list([]), depth: depth + 1))
        } : nil
        let state = LoopState(items: items, depth0: depth, recurse: recurse)
        let body = Scope(parent: outer)
        scope = body
        let savedTopLevel = topLevel
        topLevel = false
        defer { scope = outer; topLevel = savedTopLevel }
        for (i, item) in items.enumerated() {
            state.index0 = i
            body.variables = [:]
            body.variables["loop"] = .loop(state)
            try located(loop.position) { try assign(loop.target, item) }
            do {
                try execute(loop.body, into: &out)
            } catch LoopControl.breakLoop {
                break
            } catch LoopControl.continueLoop {
                continue
            }
        }
        return out
    }

    func assign(_ target: AssignTarget, _ value: RValue) throws {
        switch target {
        case .name(let n):
            scope.variables[n] = value
            export(n)
        case .attribute(let n, let attr):
            guard case .namespace(let ns)? = lookup(n), ns.isPlainNamespace else {
                throw KeelError("can only set attributes on a namespace object; '\(n)' is not one")
            }
            ns.attributes[attr] = value
        case .tuple(let targets):
            let items = try Operators.iterate(value)
            guard items.count == targets.count else {
                throw KeelError(items.count > targets.count ? "too many values to unpack (expected \(targets.count))"
                                : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v) }
        }
    }

    /// A name assigned at a template's top level is exported: `import` and `from` can see it.
    func export(_ name: String) {
        if scope === frame.root, !name.hasPrefix("_") { frame.exported.append(name) }
    }

    func makeMacro(_ def: MacroDefinition, scope defining: Scope) -> Callable {
        let takesVarargs = NameReferences.mentions("varargs", in: def.body)
        let takesKwargs = NameReferences.mentions("kwargs", in: def.body)
        // A macro runs where it was defined: an imported macro sees its own template's names and is
        // located in its own file, wherever it is called from.
        let home = place
        let repr = def.name == "caller" ? "<Macro anonymous>" : "<Macro \(PythonText.stringRepr(def.name))>"
        return Callable(def.name, repr: repr) { [unowned self] args, kwargs in
            if args.count > def.parameters.count, !takesVarargs {
                throw KeelError("macro '\(def.name)' takes not more than \(def.parameters.count) argument(s)")
            }
            if !takesKwargs, let extra = kwargs.keys.first(where: { k in k != "caller" && !def.parameters.contains { $0.name == k } }) {
                throw KeelError("macro '\(def.name)' takes no keyword argument '\(extra)'",
                                suggestion: Suggestion.closest(to: extra, among: def.parameters.map(\.name)))
            }
            guard self.callDepth < Renderer.maximumCallDepth else {
                throw KeelError("macro '\(def.name)' nests deeper than \(Renderer.maximumCallDepth) calls; is its recursion unbounded?")
            }
            self.callDepth += 1
            defer { self.callDepth -= 1 }
            let inner = Scope(parent: defining)
            var macroPlace = home
            macroPlace.scope = inner
            macroPlace.outputCheck = false
            macroPlace.topLevel = false
            return try self.within(macroPlace) {
                var kwargs = kwargs
                for (i, p) in def.parameters.enumerated() {
                    if i < args.count {
                        inner.variables[p.name] = args[i]
                    } else if let v = kwargs.removeValue(forKey: p.name) {
                        inner.variables[p.name] = v
                    } else if let d = p.defaultValue {
                        inner.variables[p.name] = try self.evaluate(d)
                    } else {
                        inner.variables[p.name] = .undefined(UndefinedValue(message: "parameter '\(p.name)' was not provided"))
                    }
                }
                inner.variables["varargs"] = .tuple(args.count > def.parameters.count ? Array(args[def.parameters.count...]) : [])
                if let caller = kwargs.removeValue(forKey: "caller") { inner.variables["caller"] = caller }
                var extra = OrderedDictionary<RValue, RValue>()
                for (k, v) in kwargs { extra[.string(k)] = v }
                inner.variables["kwargs"] = .dict(extra)
                return .string(try self.render(def.body))
            }
        }
    }

    // MARK: Expressions

    func lookup(_ name: String) -> RValue? {
        if let v = scope.lookup(name) { return v }
        return nil
    }

    func resolve(_ name: String) throws -> RValue {
        if let v = scope.lookup(name) { return v }
        if name == "self" { return .namespace(templateReference()) }
        if frame.seesCallerVariables, let v = try context.lookup(name) {
            let r = RValue(v)
            frame.root.variables[name] = r
            return r
        }
        if let f = library.global(name, renderer: self) { return f }
        return .undefined(.variable(name))
    }

    func evaluate(_ expr: Expr) throws -> RValue {
        switch expr {
        case .literal(let l): return RValue(l)
        case .name(let n, _): return try resolve(n)
        case .list(let items): return .list(try items.map(evaluate))
        case .tuple(let items): return .tuple(try items.map(evaluate))
        case .dict(let pairs):
            var d = OrderedDictionary<RValue, RValue>()
            for (k, v) in pairs { d[try Operators.defined(try evaluate(k))] = try evaluate(v) }
            return .dict(d)
        case .attribute(let base, let name, _):
            return try Access.attribute(try evaluate(base), name)
        case .item(let base, let key, _):
            return try Access.item(try evaluate(base), try evaluate(key))
        case .slice(let base, let start, let stop, let step, _):
            func bound(_ e: Expr?) throws -> Int? {
                guard let e else { return nil }
                let v = try evaluate(e)
                if case .none = v { return nil }
                return try Conversions.toIntStrict(v)
            }
            return try Operators.slice(try evaluate(base), try bound(start), try bound(stop), try bound(step))
        case .call(let callee, let args, _):
            if case .attribute(.name(let varName, _), let method, _) = callee, Methods.mutating.contains(method),
               try Renderer.hasMethods(resolve(varName)), let owner = scope.owner(of: varName) {
                let (positional, _) = try evaluateArguments(args)
                let (newValue, result) = try Methods.mutate(owner.variables[varName]!, method, positional)
                owner.variables[varName] = newValue
                return result
            }
            let f = try evaluate(callee)
            let (positional, keywords) = try evaluateArguments(args)
            return try call(f, positional, keywords)
        case .filter(let base, let name, let args, _):
            let input = try base.map(evaluate) ?? .none
            return try applyFilter(name, input, args)
        case .test(let base, let name, let args, let negated, _):
            let input = try evaluate(base)
            let (positional, keywords) = try evaluateArguments(args)
            let result = try library.test(name, input, positional, keywords, renderer: self)
            return .bool(negated ? !result : result)
        case .unary(let op, let e, _): return try Operators.unary(op, try evaluate(e))
        case .binary(let op, let l, let r, _): return try Operators.binary(op, try evaluate(l), try evaluate(r))
        case .compare(let first, let ops, _):
            var left = try evaluate(first)
            for (op, e) in ops {
                let right = try evaluate(e)
                if !(try Operators.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let l, let r):
            let a = try evaluate(l)
            return try Operators.truthy(a) ? try evaluate(r) : a
        case .or(let l, let r):
            let a = try evaluate(l)
            return try Operators.truthy(a) ? a : try evaluate(r)
        case .not(let e): return .bool(!(try Operators.truthy(try evaluate(e))))
        case .conditional(let test, let then, let otherwise):
            if try Operators.truthy(try evaluate(test)) { return try evaluate(then) }
            if let otherwise { return try evaluate(otherwise) }
            return .undefined(UndefinedValue(message: "the inline if-expression evaluated to false and no else section was defined.",
                                             lenient: true))
        case .concat(let items, _):
            return .string(try items.map { try evaluate($0).pythonStr() }.joined())
        }
    }

    /// A list or dict, whose in-place methods write back to the variable; a macro of an imported
    /// template that happens to be called `update` or `pop` is just called.
    static func hasMethods(_ value: RValue) -> Bool {
        switch value {
        case .list, .dict: return true
        default: return false
        }
    }

    func evaluateArguments(_ args: Arguments) throws -> ([RValue], KeywordArguments) {
        var positional = try args.positional.map(evaluate)
        if let star = args.star { positional += try Operators.iterate(try evaluate(star)) }
        var keywords = KeywordArguments()
        for (k, e) in args.keyword { keywords[k] = try evaluate(e) }
        if let ds = args.doubleStar, case .dict(let d) = try evaluate(ds) {
            for (k, v) in d { keywords[try k.pythonStr()] = v }
        }
        return (positional, keywords)
    }

    func call(_ f: RValue, _ args: [RValue], _ kwargs: KeywordArguments) throws -> RValue {
        switch f {
        case .callable(let c): return try c.body(args, kwargs)
        case .loop(let l):
            guard let r = l.recurse else { throw KeelError("'LoopContext' object is not callable; add 'recursive' to the for loop") }
            return try r.body(args, kwargs)
        case .undefined(let u): throw u.error
        default: throw KeelError("'\(f.typeName)' object is not callable")
        }
    }

    func applyFilter(_ name: String, _ input: RValue, _ args: Arguments) throws -> RValue {
        let (positional, keywords) = try evaluateArguments(args)
        return try library.filter(name, input, positional, keywords, renderer: self)
    }
}
