import Foundation
import KeelBase
import KeelModel
import KeelTemplate
import OrderedCollections

/// The variables one task sees on one host, layered by Ansible's precedence (VariablePrecedence), with
/// the magic variables on top. Values are templated lazily, when looked up, as Ansible does: a play var
/// `url: "http://{{ host }}:{{ port }}"` is rendered in the scope of the task that uses it.
public final class VariableScope: TemplateContext, @unchecked Sendable {
    // @unchecked: built for one task on one host and used on that task only; the cache is local to it.
    let precedence: VariablePrecedence
    let magic: OrderedDictionary<String, Value>
    let templates: TemplateEngine
    let hostvars: @Sendable () -> Value
    private var rendered: [String: Value] = [:]
    private var resolving: Set<String> = []
    /// Where `{% include %}` and `{% import %}` in these strings find templates: the play's playbook
    /// directory, as Ansible's loader basedir (an imported playbook's own directory for its plays).
    private lazy var includeLoader: (any TemplateLoader)? = magic["playbook_dir"]?.stringValue.map {
        FileSystemTemplateLoader(searchPaths: [$0])
    }

    init(precedence: VariablePrecedence, magic: OrderedDictionary<String, Value>, templates: TemplateEngine,
         hostvars: @escaping @Sendable () -> Value) {
        self.precedence = precedence
        self.magic = magic
        self.templates = templates
        self.hostvars = hostvars
    }

    public func lookup(_ name: String) throws -> Value? {
        try lookup(name) { precedence.winner(of: name) }
    }

    /// Looks up `name` whose winning level and raw value were found already (VariablePrecedence.winners),
    /// exactly as `lookup(_:)` would: the magic variables and what was rendered before still come first.
    func lookup(_ name: String, winner: (level: VariableLevel, value: Value)?) throws -> Value? {
        try lookup(name) { winner }
    }

    private func lookup(_ name: String, winner: () -> (level: VariableLevel, value: Value)?) throws -> Value? {
        if let cached = rendered[name] { return cached }
        if name == "hostvars" { return hostvars() }
        if let value = magic[name] { return value }
        if name == "vars", precedence.level(of: "vars") == nil { return try allVariables() }
        guard let (level, raw) = winner() else { return nil }
        // set_fact, register and gathered facts hold results, not templates: a file read by a lookup or a
        // command's output that contains "{{ }}" stays as it is, as in Ansible (lookup results and module
        // results are never templated again).
        if level == .setFacts || level == .hostFacts { return raw }
        // A value with nothing to render is itself: no loop guard and no memo (a task's settings look up
        // some thirty connection variables, most of them plain strings or absent).
        switch raw {
        case .string(let text) where !TemplateEngine.containsTemplate(text): return raw
        case .null, .bool, .int, .double: return raw
        default: break
        }
        guard resolving.insert(name).inserted else {
            throw KeelError("recursive loop detected in the template for variable '\(name)'")
        }
        defer { resolving.remove(name) }
        let value = try render(raw)
        rendered[name] = value
        return value
    }

    /// Ansible's `vars` magic variable: every variable of the task, templated. Ansible templates each value
    /// when it is read; Keel's values are not lazy, so each is rendered here, and one that cannot be
    /// rendered (an undefined reference the task never reads) is given as written instead of failing.
    private func allVariables() throws -> Value {
        guard resolving.insert("vars").inserted else {
            throw KeelError("recursive loop detected in the template for variable 'vars'")
        }
        defer { resolving.remove("vars") }
        var all = OrderedDictionary<String, Value>()
        for (key, raw) in precedence.merged() { all[key] = (try? lookup(key)) ?? raw }
        for (key, value) in magic { all[key] = value }
        let value = Value.dict(all)
        rendered["vars"] = value
        return value
    }

    /// Every variable's name (the varnames lookup): all levels, the magic variables and hostvars.
    public func variableNames() throws -> [String] {
        var names = Array(precedence.merged().keys)
        for name in magic.keys where !names.contains(name) { names.append(name) }
        if !names.contains("hostvars") { names.append("hostvars") }
        return names
    }

    /// Renders every template string inside a value, keeping native types for `"{{ expr }}"` strings.
    func render(_ value: Value, origin: SourceLocation? = nil) throws -> Value {
        switch value {
        case .string(let s):
            guard TemplateEngine.containsTemplate(s) else { return value }
            return try templates.renderValue(s, context: self, origin: origin, loader: includeLoader)
        case .list(let items):
            return .list(try items.map { try render($0, origin: origin) })
        case .dict(let d):
            var out = OrderedDictionary<String, Value>()
            for (k, v) in d {
                let key = TemplateEngine.containsTemplate(k)
                    ? try templates.render(k, context: self, origin: origin, options: templates.options, loader: includeLoader) : k
                out[key] = try render(v, origin: origin)
            }
            return .dict(out)
        default:
            return value
        }
    }

    /// Renders to text (for names, paths, messages).
    func renderString(_ text: String, origin: SourceLocation? = nil) throws -> String {
        guard TemplateEngine.containsTemplate(text) else { return text }
        return try templates.render(text, context: self, origin: origin, options: templates.options, loader: includeLoader)
    }

    /// All of `conditions` hold (Ansible's `when` list is an and).
    func holds(_ conditions: [Conditional]) throws -> Bool {
        for condition in conditions where !(try evaluate(condition)) { return false }
        return true
    }

    func evaluate(_ condition: Conditional) throws -> Bool {
        var expression = condition.expression.trimmingCharacters(in: .whitespaces)
        // `when: "{{ x }}"` is deprecated but common: strip one level of braces.
        if expression.hasPrefix("{{"), expression.hasSuffix("}}"), !expression.dropFirst(2).contains("{{") {
            expression = String(expression.dropFirst(2).dropLast(2))
        }
        let result = try templates.evaluate(expression: expression, context: self, origin: condition.location)
        return truthy(result)
    }

    /// Ansible's conditional truth: booleans as they are, strings "true"/"yes"/"1" true, others by Python.
    func truthy(_ value: Value) -> Bool {
        if case .string(let s) = value {
            switch s.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0", "", "none": return false
            default: return true
            }
        }
        return value.isTruthy
    }

    /// A child scope with more variables at a level (loop items, include params), sharing nothing mutable.
    func adding(_ level: VariableLevel, _ variables: OrderedDictionary<String, Value>, magic extra: OrderedDictionary<String, Value> = [:]) -> VariableScope {
        var layers = precedence
        layers.add(level, variables)
        var magic = self.magic
        for (k, v) in extra { magic[k] = v }
        return VariableScope(precedence: layers, magic: magic, templates: templates, hostvars: hostvars)
    }

    /// Every variable merged and rendered (for debug var=vars, hostvars).
    func merged() -> OrderedDictionary<String, Value> {
        var all = precedence.merged()
        for (k, v) in magic { all[k] = v }
        return all
    }
}
