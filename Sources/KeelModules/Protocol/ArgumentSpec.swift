import KeelBase

/// A module's arguments described as data, like Ansible's argument_spec: validation, coercion, defaults
/// and `keel doc` all come from this one description, so the docs cannot drift from the behaviour.
public struct ArgumentSpec: Sendable {
    public var options: [OptionSpec]
    /// At most one of each group may be given.
    public var mutuallyExclusive: [[String]]
    /// At least one of each group must be given.
    public var requiredOneOf: [[String]]
    /// When `key` has `value`, the listed options are required.
    public var requiredIf: [RequiredIf]
    /// Free-form text of modules like command/shell arrives as this key.
    public var acceptsFreeForm: Bool
    /// The option naming a file on the controller (copy's and template's `src`), so the loader can find a
    /// missing literal one before any host is touched without knowing the module.
    public var controllerSource: ControllerSource?

    public init(_ options: [OptionSpec], mutuallyExclusive: [[String]] = [], requiredOneOf: [[String]] = [],
                requiredIf: [RequiredIf] = [], acceptsFreeForm: Bool = false) {
        self.options = options
        self.mutuallyExclusive = mutuallyExclusive
        self.requiredOneOf = requiredOneOf
        self.requiredIf = requiredIf
        self.acceptsFreeForm = acceptsFreeForm
    }

    public func option(named name: String) -> OptionSpec? {
        options.first { $0.name == name || $0.aliases.contains(name) }
    }
}

public struct RequiredIf: Sendable {
    public var key: String
    public var value: Value
    public var requires: [String]

    public init(_ key: String, is value: Value, requires: [String]) {
        self.key = key
        self.value = value
        self.requires = requires
    }
}

/// One option: its name, type, default, allowed values and help text.
public struct OptionSpec: Sendable {
    public var name: String
    public var type: OptionType
    public var required: Bool
    public var defaultValue: Value?
    public var choices: [Value]?
    public var aliases: [String]
    public var help: String
    /// The value is a secret: never printed in results, diffs or errors.
    public var noLog: Bool
    /// What text the value may hold, when it becomes part of a line-based file or a name (checked at load
    /// time for literal values and again once rendered).
    public var format: TextFormat?

    public init(_ name: String, _ type: OptionType, required: Bool = false, default defaultValue: Value? = nil,
                choices: [Value]? = nil, aliases: [String] = [], noLog: Bool = false, format: TextFormat? = nil, help: String) {
        self.format = format
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.choices = choices
        self.aliases = aliases
        self.help = help
        self.noLog = noLog
    }
}

/// Ansible's option types, with its coercions (a `bool` accepts yes/no/on/off/1/0, a `list` accepts a
/// comma-separated string, a `mode` keeps octal strings and reads integers as YAML gave them).
public indirect enum OptionType: Sendable, Equatable, CustomStringConvertible {
    case string
    case bool
    case int
    case float
    case path
    case mode
    case list(OptionType)
    case dict
    case raw

    public var description: String {
        switch self {
        case .string: return "str"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .path: return "path"
        case .mode: return "mode"
        case .list(let element): return "list of \(element)"
        case .dict: return "dict"
        case .raw: return "any"
        }
    }
}

/// An option whose value is a file on the controller, looked up in a role's or playbook's `kind` folder
/// (files/, templates/) first, unless the boolean option `unless` is true (copy's remote_src).
public struct ControllerSource: Sendable {
    public var option: String
    public var kind: String
    public var unless: String?
    /// What `unless` is when the task does not set it: true when the file is on the host unless the task
    /// says otherwise (assemble's remote_src defaults to true).
    public var unlessByDefault: Bool

    public init(option: String, kind: String, unless: String? = nil, unlessByDefault: Bool = false) {
        self.option = option
        self.kind = kind
        self.unless = unless
        self.unlessByDefault = unlessByDefault
    }
}

extension ArgumentSpec {
    /// This spec, with `source` as its controller-side file option.
    public func readingControllerFile(_ source: ControllerSource) -> ArgumentSpec {
        var spec = self
        spec.controllerSource = source
        return spec
    }
}
