import Foundation
import KeelBase
import KeelModel
import KeelTemplate
import OrderedCollections

/// The items of `loop:` and the `with_<lookup>:` forms, as Ansible computes them: a `with_` form runs
/// the lookup of that name (KeelTemplate's Lookups) on the rendered value and loops over its result.
enum LoopItems {
    /// `action`: the task's module as written (with_first_found's search directory depends on it).
    static func resolve(_ loop: LoopSpec, in scope: VariableScope, action: String = "") throws -> [Value] {
        let rendered: Value
        if case .with("first_found") = loop.kind {
            rendered = try renderDroppingUndefined(loop.items, in: scope, origin: loop.location) ?? .list([])
        } else {
            rendered = try scope.render(loop.items, origin: loop.location)
        }
        switch loop.kind {
        case .loop:
            guard case .list(let items) = rendered else {
                throw KeelError("loop needs a list", at: loop.location, expected: "a list (use dict2items for a mapping)", found: rendered.typeName)
            }
            return items
        case .with(let lookup):
            // Ansible's listify_lookup_plugin_terms: a string (or any single value) is one term.
            let terms = rendered.listValue ?? [rendered]
            do {
                return try scope.templates.loopItems(lookup: lookup, terms: terms, context: scope, subdirectory: subdirectory(for: action))
            } catch let error as KeelError {
                throw error.located(at: loop.location)
            }
        }
    }

    /// with_first_found's terms without those that are undefined (`"{{ distro }}.yml"` on a host that lacks
    /// the variable), at any depth, as ansible-core renders them for that lookup only.
    static func renderDroppingUndefined(_ value: Value, in scope: VariableScope, origin: SourceLocation) throws -> Value? {
        switch value {
        case .list(let items):
            return .list(try items.compactMap { try renderDroppingUndefined($0, in: scope, origin: origin) })
        case .dict(let fields):
            var kept = OrderedDictionary<String, Value>()
            for (key, field) in fields { if let rendered = try renderDroppingUndefined(field, in: scope, origin: origin) { kept[key] = rendered } }
            return .dict(kept)
        default:
            do {
                return try scope.render(value, origin: origin)
            } catch let error as KeelError where TemplateEngine.isUndefinedError(error) {
                return nil
            }
        }
    }

    /// with_first_found looks where the task's action reads its files, as Ansible's task executor tells it:
    /// templates/ for template actions, vars/ for include_vars, files/ otherwise.
    static func subdirectory(for action: String) -> String {
        for kind in ["template", "var", "file"] where action.contains(kind) { return kind + "s" }
        return "files"
    }
}
