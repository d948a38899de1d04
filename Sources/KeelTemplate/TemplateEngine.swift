import Foundation
import KeelBase
import OrderedCollections

/// Ansible-compatible Jinja2 templating. Thread-safe: one engine serves every host. Parsed templates are
/// cached by source text, because the same task arguments are rendered for many hosts.
///
/// Register filters, tests and functions before the first render; a registration made later applies
/// only to renders that start after it.
public final class TemplateEngine: Sendable {
    public let options: TemplateOptions
    let state: LockedState

    public init(options: TemplateOptions = .ansible) {
        self.options = options
        state = LockedState()
    }

    // MARK: Extension points

    public func registerFilter(_ name: String, _ body: @escaping @Sendable (Value, [Value], OrderedDictionary<String, Value>) throws -> Value) {
        state.withLock { s in
            s.library.filters[name] = { input, args, kwargs, _ in
                var kw = OrderedDictionary<String, Value>()
                for (k, v) in kwargs { kw[k] = try v.toValue() }
                return RValue(try body(try input.toValue(), try args.map { try $0.toValue() }, kw))
            }
        }
    }

    public func registerTest(_ name: String, _ body: @escaping @Sendable (Value, [Value]) throws -> Bool) {
        state.withLock { s in
            s.library.tests[name] = { input, args, _ in try body(try input.toValue(), try args.map { try $0.toValue() }) }
        }
    }

    /// A global function such as `lookup(...)` or `query(...)`.
    public func registerFunction(_ name: String, _ body: @escaping @Sendable ([Value], OrderedDictionary<String, Value>) throws -> Value) {
        state.withLock { s in s.library.functions[name] = body }
    }

    // MARK: Lookups

    /// A lookup plugin that needs more than a template sees (the inventory, for inventory_hostnames): it
    /// gets the terms, the keyword options (without `wantlist` and `errors`) and the task's variables, and
    /// returns its list of results; `lookup()`, `query()` and `with_<name>` treat it as a builtin one.
    public func registerLookup(_ name: String, _ body: @escaping @Sendable ([Value], OrderedDictionary<String, Value>, any TemplateContext) throws -> [Value]) {
        state.withLock { s in s.library.lookups[name] = { terms, options, environment in try body(terms, options, environment.context) } }
    }

    /// Whether `name` (`file`, `ansible.builtin.file`) is a lookup plugin this engine has.
    public func hasLookup(_ name: String) -> Bool {
        state.withLock { $0.library.lookups[Lookups.shortName(name)] != nil }
    }

    /// The items of a `with_<name>:` loop: the lookup run on `terms` with the task's variables, its whole
    /// result list. `subdirectory` is where with_first_found looks (files, templates, vars).
    public func loopItems(lookup name: String, terms: [Value], context: some TemplateContext, subdirectory: String? = nil) throws -> [Value] {
        let library = state.withLock { $0.library }
        var environment = LookupEnvironment(context: context, library: library)
        environment.subdirectory = subdirectory
        do {
            return try LookupCall.loopItems(name, terms: terms, environment: environment)
        } catch let e as TemplateRuntimeError {
            throw e.error
        }
    }

    /// Whether `error` is the use of an undefined value (a missing variable, attribute or element), which
    /// with_first_found forgives in its terms.
    public static func isUndefinedError(_ error: KeelError) -> Bool {
        error.message.hasSuffix(" is undefined") || error.message.contains(" has no attribute '") || error.message.contains(" has no element ")
    }

    /// Finds the templates that `include`, `import` and `extends` name when a render is given no loader of
    /// its own (Ansible looks names in playbook strings up in the playbook's directory).
    public func setDefaultLoader(_ loader: (any TemplateLoader)?) {
        state.withLock { $0.defaultLoader = loader }
    }

    // MARK: Rendering

    /// Parses without rendering: syntax errors, unknown filters and tests.
    public func check(_ source: String, origin: SourceLocation?) throws {
        let parsed = try parse(source, origin: origin)
        let library = state.withLock { $0.library }
        if let problem = NameCheck(library: library).firstProblem(in: parsed.statements) {
            throw KeelError(problem.message, at: TemplateEngine.shift(origin, problem.position), found: problem.found,
                            suggestion: problem.suggestion)
        }
    }

    /// Renders to text, as the `template` module and string arguments do.
    public func render(_ source: String, context: some TemplateContext, origin: SourceLocation?) throws -> String {
        try render(source, context: context, origin: origin, options: options)
    }

    /// Renders with other settings than the engine's (the template module's trim_blocks / lstrip_blocks),
    /// with the same filters, tests and functions. `loader` finds the templates that `include`, `import`,
    /// `from` and `extends` name; they are parsed with the same settings.
    public func render(_ source: String, context: some TemplateContext, origin: SourceLocation?, options: TemplateOptions,
                       loader: (any TemplateLoader)? = nil) throws -> String {
        if !TemplateEngine.containsTemplate(source) { return source }
        let parsed = try parse(source, origin: origin, options: options)
        let top = LoadedTemplate(name: nil, parsed: parsed, origin: origin)
        var text = try run(context: context, origin: origin, top: top, loader: loader, options: options) { renderer in
            try renderer.renderTemplate()
        }
        if options.preserveTrailingNewlines {
            let missing = TemplateEngine.trailingNewlines(source) - TemplateEngine.trailingNewlines(text)
            if missing > 0 { text += String(repeating: "\n", count: missing) }
        }
        return text
    }

    /// Renders with Ansible's native typing: when the output is a single node (one `{{ expression }}`,
    /// possibly inside `{% if %}`, after dropping nodes whose value is None) the result keeps that value's
    /// type (a list stays a list); no output at all is null; anything else renders to a string.
    public func renderValue(_ source: String, context: some TemplateContext, origin: SourceLocation?,
                            loader: (any TemplateLoader)? = nil) throws -> Value {
        if !TemplateEngine.containsTemplate(source) { return .string(source) }
        let parsed = try parse(source, origin: origin)
        let top = LoadedTemplate(name: nil, parsed: parsed, origin: origin)
        let value = try run(context: context, origin: origin, top: top, loader: loader, options: options) { renderer in
            try renderer.renderTemplateNative().toValue()
        }
        if options.preserveTrailingNewlines, case .string(var text) = value {
            let missing = TemplateEngine.trailingNewlines(source) - TemplateEngine.trailingNewlines(text)
            if missing > 0 { text += String(repeating: "\n", count: missing) }
            return .string(text)
        }
        return value
    }

    /// Evaluates a bare expression (`when:`, `failed_when:`, `until:`) to its native value.
    public func evaluate(expression: String, context: some TemplateContext, origin: SourceLocation?) throws -> Value {
        let parsed = try parse(expression, origin: origin, bareExpression: true)
        guard case .output(let expr, let pos)? = parsed.statements.first else { return .null }
        let top = LoadedTemplate(name: nil, parsed: parsed, origin: origin)
        return try run(context: context, origin: origin, top: top, loader: nil, options: options) { renderer in
            try renderer.located(pos) { try renderer.evaluate(expr).toValue() }
        }
    }

    /// Whether a string needs templating at all (`{{`, `{%` or `{#` somewhere in it).
    public static func containsTemplate(_ s: String) -> Bool {
        // Bytes, not Foundation's String search: every task argument of every host is asked this.
        var afterBrace = false
        for byte in s.utf8 {
            if afterBrace, byte == UInt8(ascii: "{") || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "#") { return true }
            afterBrace = byte == UInt8(ascii: "{")
        }
        return false
    }

    // MARK: Internals

    private func run<T>(context: some TemplateContext, origin: SourceLocation?, top: LoadedTemplate, loader: (any TemplateLoader)?,
                        options: TemplateOptions, _ body: (Renderer) throws -> T) throws -> T {
        let (library, defaultLoader) = state.withLock { ($0.library, $0.defaultLoader) }
        let loader = loader ?? defaultLoader
        let load: ((String) throws -> LoadedTemplate?)? = loader.map { loader in
            { [self] name in try self.load(name, from: loader, options: options) }
        }
        do {
            return try body(Renderer(library: library, context: context, template: top, loadTemplate: load,
                                     searchDescription: loader?.searchDescription))
        } catch let e as TemplateRuntimeError {
            throw e.error.located(at: TemplateEngine.shift(e.origin, e.position))
        } catch let e as KeelError {
            throw e.located(at: origin)
        } catch is LoopControl {
            throw KeelError("'break' or 'continue' outside of a loop", at: origin)
        }
    }

    /// A template named by include, import or extends: read by the loader, line ends made `\n` as Jinja2's
    /// lexer makes them, parsed with the including template's settings. Ansible's trailing-newline fix-up
    /// applies to the whole result only, so a loaded template loses its last newline as in Jinja2.
    private func load(_ name: String, from loader: any TemplateLoader, options: TemplateOptions) throws -> LoadedTemplate? {
        guard let source = try loader.source(named: name) else { return nil }
        let origin = SourceLocation(file: source.path, line: 1, column: 1)
        let text = source.text.utf8.contains(13) ? source.text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            : source.text
        return LoadedTemplate(name: name, parsed: try parse(text, origin: origin, options: options), origin: origin)
    }

    func parse(_ source: String, origin: SourceLocation?, bareExpression: Bool = false,
                       options: TemplateOptions? = nil) throws -> ParsedTemplate {
        let options = options ?? self.options
        let key = CacheKey(source: source, bare: bareExpression, options: options)
        if let hit = state.withLock({ $0.cache[key] }) { return hit }
        let parsed: ParsedTemplate
        do {
            if bareExpression {
                var lexer = Lexer("{{" + source + "}}", options: .jinja)
                var parser = Parser(tokens: try lexer.tokenize())
                let (statements, _) = try parser.parseBody(until: [], opener: nil)
                parsed = ParsedTemplate(statements: statements)
            } else {
                var lexer = Lexer(source, options: options)
                var parser = Parser(tokens: try lexer.tokenize())
                let (statements, _) = try parser.parseBody(until: [], opener: nil)
                parsed = ParsedTemplate(statements: statements, blocks: try TemplateStructure.blocks(in: statements))
            }
        } catch var e as TemplateSyntaxError {
            if bareExpression, e.position.line == 1 { e.position.column = max(1, e.position.column - 2) }
            throw KeelError("template syntax error: \(e.message)", at: TemplateEngine.shift(origin, e.position),
                            expected: e.expected, found: e.found)
        }
        state.withLock { s in
            if s.cache.count > 20_000 { s.cache.removeAll(keepingCapacity: true) }
            s.cache[key] = parsed
        }
        return parsed
    }

    /// A position inside the template, as a position in the file the template came from.
    static func shift(_ origin: SourceLocation?, _ position: TemplatePosition) -> SourceLocation? {
        guard let origin else { return nil }
        if position.line == 1 {
            return SourceLocation(file: origin.file, line: origin.line, column: origin.column + position.column - 1)
        }
        return SourceLocation(file: origin.file, line: origin.line + position.line - 1, column: position.column)
    }

    static func trailingNewlines(_ s: String) -> Int {
        var n = 0
        for c in s.reversed() { if c == "\n" { n += 1 } else if c == "\r\n" { n += 1 } else { break } }
        return n
    }
}

struct ParsedTemplate: Sendable {
    var statements: [Statement]
    /// Every `{% block %}` of the template by name, however deeply nested.
    var blocks: [String: BlockDefinition] = [:]
}

struct CacheKey: Hashable, Sendable {
    /// By bytes: two canonically equivalent spellings of a text are two templates (their output differs).
    var source: ExactText
    var bare: Bool
    var options: TemplateOptions

    init(source: String, bare: Bool, options: TemplateOptions) {
        self.source = ExactText(source)
        self.bare = bare
        self.options = options
    }
}

/// The engine's mutable parts behind a lock: the library (changed only by registration) and the cache.
final class LockedState: @unchecked Sendable {
    struct Contents {
        var library = Library()
        var cache: [CacheKey: ParsedTemplate] = [:]
        var defaultLoader: (any TemplateLoader)?
    }
    private var contents = Contents()
    private let lock = NSLock()

    func withLock<T>(_ body: (inout Contents) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&contents)
    }
}
