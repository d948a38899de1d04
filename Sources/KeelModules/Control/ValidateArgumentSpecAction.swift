import KeelBase
import OrderedCollections

/// `validate_argument_spec`: checks variables against an argument spec, as ansible-core does before a
/// role with meta/argument_specs.yml runs (the loader puts this task first in such a role). The values
/// checked are the variables named in the spec (role defaults included) with `provided_arguments` over
/// them. Defaults in the spec are not applied.
public struct ValidateArgumentSpecAction: ControlAction {
    public static let name = "validate_argument_spec"
    public static let spec = ArgumentSpec([
        OptionSpec("argument_spec", .dict, required: true, help: "The options: each name with type, required, choices, elements, options, aliases."),
        OptionSpec("provided_arguments", .dict, default: .dict([:]), help: "Values to check over the variables of the same names."),
        OptionSpec("validate_args_context", .dict, default: .dict([:]), help: "What is validated (role, name, entry point), returned as is."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Validate variables against an argument spec",
        examples: """
            - validate_argument_spec:
                argument_spec:
                  port: {type: int, required: true}
                  mode: {type: str, choices: [fast, safe]}
            """)
    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        let spec = a["argument_spec"]?.dictValue ?? [:]
        var parameters = OrderedDictionary<String, Value>()
        for name in spec.keys {
            if let value = try context.variable(name) { parameters[name] = value }
        }
        for (key, value) in a["provided_arguments"]?.dictValue ?? [:] { parameters[key] = value }
        let validateContext = a["validate_args_context"] ?? .dict([:])
        let errors = RoleArgumentValidator(spec: spec).errors(parameters)
        guard errors.isEmpty else {
            return ControlOutcome(failed: true, message: "Validation of arguments failed:\n" + errors.joined(separator: "\n"),
                                  values: ["validate_args_context": validateContext, "argument_spec_data": .dict(spec),
                                           "argument_errors": .list(errors.map(Value.string))])
        }
        return ControlOutcome(message: "The arg spec validation passed", values: ["validate_args_context": validateContext])
    }
}
