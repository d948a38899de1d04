import KeelBase
import OrderedCollections

/// The load-time half of argument validation: a task's arguments as written, before any variable is
/// known. Values with templates are left for the run-time check (after rendering, before apply); every
/// other problem is reported, each at the argument's own location, all of them rather than the first.
extension ArgumentValidator {
    /// Problems in `arguments` that no variable can fix. `locations` holds where each argument was
    /// written; `location` is where the arguments as a whole were.
    public func literalProblems(_ arguments: OrderedDictionary<String, Value>, locations: [String: SourceLocation],
                                at location: SourceLocation?) -> [KeelError] {
        var problems: [KeelError] = []
        var literal = OrderedDictionary<String, Value>()   // canonical name -> coerced literal value
        var given = Set<String>()                           // canonical names written, templated or not
        var templated = Set<String>()                       // of those, the ones with a template (may render to omit)
        for (key, value) in arguments {
            let here = locations[key] ?? location
            // Free-form text (command lines, meta directives) passes as it is, as at run time; it counts as given.
            if key == "_raw_params" && spec.acceptsFreeForm { given.insert(key); continue }
            guard let option = spec.option(named: key) else {
                let names = spec.options.flatMap { [$0.name] + $0.aliases }
                problems.append(KeelError("unsupported argument '\(key)' for module '\(module)'", at: here,
                                          expected: "one of: \(names.sorted().joined(separator: ", "))",
                                          found: "'\(key)'", suggestion: Suggestion.closest(to: key, among: names)))
                continue
            }
            if case .null = value { continue }
            if given.contains(option.name) {
                problems.append(KeelError("argument '\(option.name)' of module '\(module)' is given twice (as '\(key)' and an alias)", at: here))
                continue
            }
            given.insert(option.name)
            if Self.containsTemplate(value) { templated.insert(option.name); continue }
            do {
                let coerced = try coerce(value, to: option.type, option: option, at: here)
                if let choices = option.choices, !choices.contains(coerced) {
                    problems.append(KeelError("value of '\(option.name)' for module '\(module)' must be one of: "
                                              + choices.map(Self.display).joined(separator: ", "), at: here,
                                              found: Self.display(coerced),
                                              suggestion: coerced.stringValue.flatMap { Suggestion.closest(to: $0, among: choices.compactMap(\.stringValue)) }))
                    continue
                }
                literal[option.name] = coerced
            } catch let error as KeelError {
                problems.append(error)
            } catch {
                problems.append(KeelError("\(error)", at: here))
            }
        }
        for option in spec.options where option.required && !given.contains(option.name) {
            problems.append(KeelError("missing required argument '\(option.name)' for module '\(module)'", at: location,
                                      expected: "\(option.name): <\(option.type)>  (\(option.help))"))
        }
        for group in spec.mutuallyExclusive {
            // A templated value may render to `omit` (`x | ternary(omit, y)`): only literal ones conflict now.
            let present = group.filter { given.contains($0) && !templated.contains($0) }
            if present.count > 1 {
                problems.append(KeelError("arguments \(present.map { "'\($0)'" }.joined(separator: " and ")) of module '\(module)' are mutually exclusive",
                                          at: locations[present[1]] ?? location))
            }
        }
        let withDefaults = Set(spec.options.filter { $0.defaultValue != nil }.map(\.name))
        for group in spec.requiredOneOf where !group.contains(where: { given.contains($0) || withDefaults.contains($0) }) {
            problems.append(KeelError("module '\(module)' needs one of: \(group.joined(separator: ", "))", at: location))
        }
        for rule in spec.requiredIf {
            // Only a literal (or default) value of the key decides; a templated one is checked once rendered.
            let value = literal[rule.key] ?? (given.contains(rule.key) ? nil : spec.option(named: rule.key)?.defaultValue)
            guard value == rule.value else { continue }
            for name in rule.requires where !given.contains(name) && !withDefaults.contains(name) {
                problems.append(KeelError("module '\(module)' needs '\(name)' when \(rule.key) is \(Self.display(rule.value))", at: location))
            }
        }
        return problems
    }

    /// True when a template is anywhere inside the value (a list item or a mapping's value counts).
    public static func containsTemplate(_ value: Value) -> Bool {
        switch value {
        case .string(let s): return s.contains("{{") || s.contains("{%") || s.contains("{#")
        case .list(let items): return items.contains(where: containsTemplate)
        case .dict(let d): return d.keys.contains(where: { $0.contains("{{") }) || d.values.contains(where: containsTemplate)
        default: return false
        }
    }
}
