import KeelBase
import OrderedCollections

/// Jinja2's template composition: `include`, `import`, `from ... import`, `extends`, `block`, `super()`
/// and `self`, with the semantics of Jinja2 3.1's generated code (see docs/templates.md).
extension Renderer {
    /// Everything that says where the renderer is: swapped as a whole when a macro, block or other
    /// template runs, and put back afterwards.
    struct Place {
        var frame: TemplateFrame
        var template: LoadedTemplate
        var scope: Scope
        var contextScope: Scope
        var parentTemplate: LoadedTemplate?
        var outputCheck: Bool
        var topLevel: Bool
    }

    var place: Place {
        get { Place(frame: frame, template: template, scope: scope, contextScope: contextScope, parentTemplate: parentTemplate,
                    outputCheck: outputCheck, topLevel: topLevel) }
        set {
            frame = newValue.frame
            template = newValue.template
            scope = newValue.scope
            contextScope = newValue.contextScope
            parentTemplate = newValue.parentTemplate
            outputCheck = newValue.outputCheck
            topLevel = newValue.topLevel
        }
    }

    func within<T>(_ other: Place, _ body: () throws -> T) rethrows -> T {
        let saved = place
        place = other
        defer { place = saved }
        return try body()
    }

    /// A body below the top level (loop, `with`, `filter`, `set` block): blocks in it render in place.
    func nested<T>(outputCheck check: Bool, _ body: () throws -> T) rethrows -> T {
        let saved = (outputCheck, topLevel)
        outputCheck = check
        topLevel = false
        defer { (outputCheck, topLevel) = saved }
        return try body()
    }

    // MARK: Top levels

    /// Jinja2's root render function: the template's top level in the current frame, then the top level
    /// of the template it extends (same frame, so its blocks resolve to the most derived definitions).
    func runTopLevel(_ t: LoadedTemplate, into out: inout String) throws {
        guard templateDepth < Renderer.maximumTemplateDepth else {
            throw KeelError("templates include, import or extend each other more than \(Renderer.maximumTemplateDepth) levels deep; is there a cycle?")
        }
        templateDepth += 1
        defer { templateDepth -= 1 }
        var top = place
        top.template = t
        top.scope = frame.root
        top.contextScope = frame.root
        top.parentTemplate = nil
        top.outputCheck = true
        top.topLevel = true
        try within(top) {
            try execute(t.parsed.statements, into: &out)
            if let parent = parentTemplate { try runTopLevel(parent, into: &out) }
        }
    }

    /// A template's whole output in a frame of its own, as text (never native nodes).
    func renderInNewFrame(_ t: LoadedTemplate, _ newFrame: TemplateFrame) throws -> String {
        let savedNodes = nodes
        nodes = nil
        defer { nodes = savedNodes }
        var out = ""
        var there = place
        there.frame = newFrame
        try within(there) { try runTopLevel(t, into: &out) }
        return out
    }

    /// A frame for a template included or imported with context: it sees everything visible here,
    /// loop variables included, and its own assignments stay its own.
    func frameWithContext(for t: LoadedTemplate) -> TemplateFrame {
        TemplateFrame(template: t, root: Scope(parent: scope, hiddenFromParents: ["loop", "caller"]),
                      seesCallerVariables: frame.seesCallerVariables)
    }

    // MARK: Loading

    func loadedTemplate(named name: String) throws -> LoadedTemplate? {
        if let hit = loadedTemplates[name] { return hit }
        guard let loadTemplate else {
            throw KeelError("cannot load template '\(name)': templates rendered here have no search path for include, import or extends")
        }
        let loaded = try loadTemplate(name)
        if let loaded { loadedTemplates[name] = loaded }
        return loaded
    }

    func requireTemplate(_ value: RValue) throws -> LoadedTemplate {
        let name = try templateName(value)
        if let t = try loadedTemplate(named: name) { return t }
        throw TemplateNotFound(names: [name])
    }

    func templateName(_ value: RValue) throws -> String {
        switch value {
        case .string(let s): return s
        case .undefined(let u): throw u.error
        default: throw KeelError("a template name must be a string, not \(value.typeName)", expected: "a template name", found: value.typeName)
        }
    }

    /// Jinja2's get_or_select_template: a name, or the first of a list of names that exists (undefined
    /// entries are skipped).
    func selectTemplate(_ value: RValue) throws -> LoadedTemplate {
        guard let names = value.sequence else { return try requireTemplate(value) }
        guard !names.isEmpty else { throw TemplateNotFound(names: [], emptyList: true) }
        var tried: [String] = []
        for candidate in names {
            if candidate.isUndefined { continue }
            let name = try templateName(candidate)
            tried.append(name)
            if let t = try loadedTemplate(named: name) { return t }
        }
        throw TemplateNotFound(names: tried)
    }

    // MARK: Statements

    func include(_ nameExpr: Expr, ignoreMissing: Bool, withContext: Bool, into out: inout String) throws {
        let value = try evaluate(nameExpr)
        let t: LoadedTemplate
        do {
            t = try selectTemplate(value)
        } catch let missing as TemplateNotFound {
            if ignoreMissing { return }
            throw missing.error(searched: searchDescription)
        }
        let text = withContext ? try renderInNewFrame(t, frameWithContext(for: t)) : try defaultModule(of: t).body
        emitText(text, into: &out)
    }

    func importModule(_ nameExpr: Expr, withContext: Bool) throws -> Namespace {
        let t: LoadedTemplate
        do {
            t = try requireTemplate(try evaluate(nameExpr))
        } catch let missing as TemplateNotFound {
            throw missing.error(searched: searchDescription)
        }
        return withContext ? try makeModule(t, frameWithContext(for: t)) : try defaultModule(of: t).module
    }

    /// `{% from "x" import a, b as c %}`: a name the template does not export is bound to an undefined
    /// value that fails when used, naming the template and the line of the import.
    func importNames(_ names: [(String, String)], from nameExpr: Expr, withContext: Bool, at position: TemplatePosition) throws {
        let module = try importModule(nameExpr, withContext: withContext)
        let templateName: String
        if case .module(let name, _) = module.kind, let name { templateName = PythonText.stringRepr(name) } else { templateName = "None" }
        let place = template.name.map { "line \(position.line) in \(PythonText.stringRepr($0))" } ?? "line \(position.line)"
        for (name, alias) in names {
            scope.variables[alias] = module.attributes[name]
                ?? .undefined(UndefinedValue(message: "the template \(templateName) (imported on \(place)) does not export the requested name \(PythonText.stringRepr(name))"))
            frame.exported.remove(alias)
        }
    }

    func extend(_ nameExpr: Expr) throws {
        if parentTemplate != nil { throw KeelError("extended multiple times") }
        let parent: LoadedTemplate
        do {
            parent = try requireTemplate(try evaluate(nameExpr))
        } catch let missing as TemplateNotFound {
            throw missing.error(searched: searchDescription)
        }
        parentTemplate = parent
        for (name, definition) in parent.parsed.blocks {
            frame.blocks[name, default: []].append(BlockEntry(definition: definition, template: parent))
        }
    }

    // MARK: Modules

    /// A template rendered as a module: its exported names become attributes, its output the text it prints as.
    func makeModule(_ t: LoadedTemplate, _ newFrame: TemplateFrame) throws -> Namespace {
        let body = try renderInNewFrame(t, newFrame)
        var attributes = OrderedDictionary<String, RValue>()
        for name in newFrame.exported { if let v = newFrame.root.variables[name] { attributes[name] = v } }
        return Namespace(attributes, kind: .module(name: t.name, body: body))
    }

    /// The module of a template imported or included without context: it sees only the globals, and is
    /// made once per render (Jinja2 caches it on the template).
    func defaultModule(of t: LoadedTemplate) throws -> (module: Namespace, body: String) {
        let key = t.name ?? ""
        let module: Namespace
        if let cached = defaultModules[key] {
            module = cached
        } else {
            module = try makeModule(t, TemplateFrame(template: t, root: Scope(parent: nil), seesCallerVariables: false))
            defaultModules[key] = module
        }
        guard case .module(_, let body) = module.kind else { return (module, "") }
        return (module, body)
    }

    // MARK: Blocks

    func renderBlockInPlace(_ def: BlockDefinition, into out: inout String) throws {
        guard let stack = frame.blocks[def.name], !stack.isEmpty else { return }
        if def.required && stack.count <= 1 { throw KeelError("Required block '\(def.name)' not found") }
        let base = def.scoped ? scope : contextScope
        emitText(try renderBlock(def.name, stack: stack, depth: 0, base: base), into: &out)
    }

    /// One definition of a block (depth 0 is the most derived), with `super` bound to the next one.
    func renderBlock(_ name: String, stack: [BlockEntry], depth: Int, base: Scope) throws -> String {
        let entry = stack[depth]
        let inner = Scope(parent: base)
        inner.variables["super"] = depth + 1 < stack.count
            ? .callable(blockCallable(name, stack: stack, depth: depth + 1, base: base))
            : .undefined(UndefinedValue(message: "there is no parent block called \(PythonText.stringRepr(name))."))
        var there = place
        there.template = entry.template
        there.scope = inner
        there.contextScope = base
        there.outputCheck = false
        there.topLevel = false
        let savedNodes = nodes
        nodes = nil
        defer { nodes = savedNodes }
        return try within(there) { try render(entry.definition.body) }
    }

    func blockCallable(_ name: String, stack: [BlockEntry], depth: Int, base: Scope) -> Callable {
        Callable(name) { [unowned self] _, _ in .string(try self.renderBlock(name, stack: stack, depth: depth, base: base)) }
    }

    /// `self`: every block of the current frame, callable (`self.title()` renders the most derived `title`).
    func templateReference() -> Namespace {
        var attributes = OrderedDictionary<String, RValue>()
        let base = contextScope
        for name in frame.blocks.keys.sorted() {
            guard let stack = frame.blocks[name], !stack.isEmpty else { continue }
            attributes[name] = .callable(blockCallable(name, stack: stack, depth: 0, base: base))
        }
        return Namespace(attributes, kind: .templateReference(name: template.name))
    }
}

/// No template of that name (or none of a list): `ignore missing` forgives it.
struct TemplateNotFound: Error {
    var names: [String]
    var emptyList = false

    func error(searched: String?) -> KeelError {
        if emptyList { return KeelError("Tried to select from an empty list of templates.") }
        let message = names.count == 1 ? "template '\(names[0])' not found"
            : "none of the templates \(names.map { "'\($0)'" }.joined(separator: ", ")) was found"
        return KeelError(message, expected: searched.map { "a template in \($0)" }, found: "nothing")
    }
}
