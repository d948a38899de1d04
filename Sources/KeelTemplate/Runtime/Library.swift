import KeelBase
import OrderedCollections

typealias FilterBody = @Sendable (RValue, [RValue], KeywordArguments, Renderer) throws -> RValue
typealias TestBody = @Sendable (RValue, [RValue], Renderer) throws -> Bool

/// The filters, tests and global functions a template can use: Jinja2's and Ansible's built-ins plus
/// whatever the engine's user registered. Immutable once rendering starts.
struct Library: Sendable {
    var filters: [String: FilterBody] = BuiltinFilters.all
    var tests: [String: TestBody] = BuiltinTests.all
    var functions: [String: @Sendable ([Value], OrderedDictionary<String, Value>) throws -> Value] = [:]
    /// Lookup plugins: the builtin ones and those the engine's user registered (inventory_hostnames).
    var lookups: [String: LookupBody] = Lookups.all

    /// Filters that look at undefined input themselves; every other filter fails on it (StrictUndefined).
    static let undefinedAware: Set<String> = ["default", "d", "mandatory", "type_debug"]
    static let undefinedAwareTests: Set<String> = ["defined", "undefined", "none", "string", "number", "integer", "float",
                                                   "boolean", "mapping", "sequence", "iterable", "callable", "sameas"]

    /// `ansible.builtin.default` and `default` are the same filter.
    static func shortName(_ name: String) -> String {
        for prefix in ["ansible.builtin.", "ansible.legacy.", "ansible.utils.", "community.general."] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    func filter(_ name: String, _ input: RValue, _ args: [RValue], _ kwargs: KeywordArguments, renderer: Renderer) throws -> RValue {
        let short = Library.shortName(name)
        guard let body = filters[short] else {
            throw KeelError("no filter named '\(name)'", suggestion: Suggestion.closest(to: short, among: filters.keys))
        }
        if !Library.undefinedAware.contains(short), case .undefined(let u) = input {
            // Jinja2's lenient Undefined reads as an empty string.
            guard u.lenient else { throw u.error }
            return try body(.string(""), args, kwargs, renderer)
        }
        return try body(input, args, kwargs, renderer)
    }

    func test(_ name: String, _ input: RValue, _ args: [RValue], _ kwargs: KeywordArguments, renderer: Renderer) throws -> Bool {
        let short = Library.shortName(name)
        guard let body = tests[short] else {
            throw KeelError("no test named '\(name)'", suggestion: Suggestion.closest(to: short, among: tests.keys))
        }
        if !Library.undefinedAwareTests.contains(short), case .undefined(let u) = input {
            guard u.lenient else { throw u.error }
            return try body(.string(""), Library.bindTestArguments(short, args, kwargs), renderer)
        }
        return try body(input, Library.bindTestArguments(short, args, kwargs), renderer)
    }

    /// Tests take positional arguments; keyword arguments are placed where Ansible's signatures put them.
    static let testParameters: [String: [String]] = [
        "match": ["pattern", "ignorecase", "multiline"], "search": ["pattern", "ignorecase", "multiline"],
        "regex": ["pattern", "ignorecase", "multiline", "match_type"], "truthy": ["convert_bool"], "falsy": ["convert_bool"],
        "version": ["version", "operator", "strict", "version_type"], "version_compare": ["version", "operator", "strict", "version_type"],
    ]

    static func bindTestArguments(_ name: String, _ args: [RValue], _ kwargs: KeywordArguments) -> [RValue] {
        guard !kwargs.isEmpty else { return args }
        guard let names = testParameters[name] else { return args + kwargs.values }
        var bound = args
        for parameter in names.dropFirst(args.count) {
            bound.append(kwargs[parameter] ?? .none)
        }
        while let last = bound.last, last.isNone, bound.count > args.count { bound.removeLast() }
        return bound
    }

    func global(_ name: String, renderer: Renderer) -> RValue? {
        if let f = functions[name] {
            return .callable(Callable(name) { args, kwargs in
                var kw = OrderedDictionary<String, Value>()
                for (k, v) in kwargs { kw[k] = try v.toValue() }
                return RValue(try f(try args.map { try $0.toValue() }, kw))
            })
        }
        switch name {
        case "lookup", "query", "q":
            // lookup(name, *terms, **options): Ansible's controller-side plugins (Lookups).
            return .callable(Callable(name) { [library = self, context = renderer.context] args, kwargs in
                guard let first = args.first, case .string(let plugin) = first else {
                    throw KeelError("\(name)() needs the lookup's name first", expected: "\(name)('plugin', terms...)", found: args.first?.typeName)
                }
                var options = OrderedDictionary<String, Value>()
                for (k, v) in kwargs { options[k] = try v.toValue() }
                let terms = try args.dropFirst().map { try $0.toValue() }
                let environment = LookupEnvironment(context: context, library: library)
                return RValue(try LookupCall.invoke(plugin, terms: terms, kwargs: options, alwaysList: name != "lookup", environment: environment))
            })
        case "range":
            return .callable(Callable("range") { args, _ in try Conversions.range(args) })
        case "dict":
            return .callable(Callable("dict") { args, kwargs in
                var d = OrderedDictionary<RValue, RValue>()
                if let first = args.first { d = try Conversions.toDict(first) }
                for (k, v) in kwargs { d[.string(k)] = v }
                return .dict(d)
            })
        case "namespace":
            return .callable(Callable("namespace") { args, kwargs in
                var attrs = OrderedDictionary<String, RValue>()
                if let first = args.first { for (k, v) in try Conversions.toDict(first) { attrs[try k.pythonStr()] = v } }
                for (k, v) in kwargs { attrs[k] = v }
                return .namespace(Namespace(attrs))
            })
        default: return nil
        }
    }

    /// What `{{ }}` prints, as Ansible 2.19 finalizes output: Python's `str()`, except that a `None`
    /// result prints nothing (Ansible drops None-valued nodes) and tuples print as the lists Ansible turns
    /// them into. Undefined fails.
    func finalize(_ value: RValue) throws -> String {
        if case .none = value { return "" }
        return try value.withTuplesAsLists().pythonStr()
    }
}
