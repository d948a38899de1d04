import KeelBase
import OrderedCollections

/// Checks a task's rendered arguments against a module's spec before anything runs on a host: unknown
/// keys (with "did you mean"), wrong types, missing required options, invalid choices, conflicts.
/// Returns the arguments coerced to their types, aliases resolved and defaults filled in.
public struct ArgumentValidator: Sendable {
    public let module: String
    public let spec: ArgumentSpec

    public init(module: String, spec: ArgumentSpec) {
        self.module = module
        self.spec = spec
    }

    public func validate(_ arguments: OrderedDictionary<String, Value>, at location: SourceLocation?) throws
        -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        for (key, value) in arguments {
            if key == "_raw_params" && spec.acceptsFreeForm { result[key] = value; continue }
            guard let option = spec.option(named: key) else {
                let names = spec.options.flatMap { [$0.name] + $0.aliases }
                throw KeelError("unsupported argument '\(key)' for module '\(module)'", at: location,
                                expected: "one of: \(names.sorted().joined(separator: ", "))",
                                found: "'\(key)'", suggestion: Suggestion.closest(to: key, among: names))
            }
            if result[option.name] != nil {
                throw KeelError("argument '\(option.name)' of module '\(module)' is given twice (as '\(key)' and an alias)", at: location)
            }
            if case .null = value { continue }   // `key:` with nothing means "not given", as in Ansible
            result[option.name] = try coerce(value, to: option.type, option: option, at: location)
            if let format = option.format, let coerced = result[option.name] { try check(coerced, format, option: option, at: location) }
            if let choices = option.choices, let given = result[option.name], !choices.contains(given) {
                throw KeelError("value of '\(option.name)' for module '\(module)' must be one of: "
                                + choices.map(Self.display).joined(separator: ", "), at: location,
                                found: Self.display(given),
                                suggestion: given.stringValue.flatMap { Suggestion.closest(to: $0, among: choices.compactMap(\.stringValue)) })
            }
        }
        for option in spec.options where result[option.name] == nil {
            if option.required {
                throw KeelError("missing required argument '\(option.name)' for module '\(module)'", at: location,
                                expected: "\(option.name): <\(option.type)>  (\(option.help))")
            }
            if let defaultValue = option.defaultValue { result[option.name] = defaultValue }
        }
        let given = Set(arguments.keys.compactMap { spec.option(named: $0)?.name })
        for group in spec.mutuallyExclusive {
            let present = group.filter(given.contains)
            if present.count > 1 {
                throw KeelError("arguments \(present.map { "'\($0)'" }.joined(separator: " and ")) of module '\(module)' are mutually exclusive",
                                at: location)
            }
        }
        for group in spec.requiredOneOf where !group.contains(where: { result[$0] != nil }) {
            throw KeelError("module '\(module)' needs one of: \(group.joined(separator: ", "))", at: location)
        }
        for rule in spec.requiredIf where result[rule.key] == rule.value {
            for name in rule.requires where result[name] == nil {
                throw KeelError("module '\(module)' needs '\(name)' when \(rule.key) is \(Self.display(rule.value))", at: location)
            }
        }
        return result
    }

    func coerce(_ value: Value, to type: OptionType, option: OptionSpec, at location: SourceLocation?) throws -> Value {
        func mismatch(_ expected: String) -> KeelError {
            KeelError("argument '\(option.name)' of module '\(module)' has the wrong type", at: location,
                      expected: expected, found: option.noLog ? "a value of type \(value.typeName)" : "\(Self.display(value)) (\(value.typeName))")
        }
        switch type {
        case .raw:
            return value
        case .string, .path:
            switch value {
            case .string: return value
            case .int(let i): return .string(String(i))
            case .double(let d): return .string(Value.formatDouble(d))
            case .bool(let b): return .string(b ? "True" : "False")
            default: throw mismatch("a string")
            }
        case .mode:
            // YAML 0644 arrives as the integer 420; Ansible treats an int mode as that number.
            switch value {
            case .string(let s):
                // "preserve" (copy, template: the source file's mode) is resolved by the module.
                guard s == "preserve" || FileMode.parse(s) != nil else {
                    throw mismatch("an octal mode such as '0644' or a symbolic one such as 'u=rw,g=r,o='")
                }
                return value
            case .int: return value
            default: throw mismatch("an octal mode such as '0644'")
            }
        case .bool:
            switch value {
            case .bool: return value
            case .string(let s):
                switch s.lowercased() {
                case "yes", "on", "true", "1", "y", "t": return .bool(true)
                case "no", "off", "false", "0", "n", "f", "": return .bool(false)
                default: throw mismatch("a boolean (yes/no, true/false)")
                }
            case .int(let i) where i == 0 || i == 1: return .bool(i == 1)
            default: throw mismatch("a boolean (yes/no, true/false)")
            }
        case .int:
            switch value {
            case .int: return value
            case .string(let s): if let i = Int(s.trimmingCharacters(in: .whitespaces)) { return .int(i) }; throw mismatch("an integer")
            case .double(let d) where d == d.rounded(): return .int(Int(d))
            default: throw mismatch("an integer")
            }
        case .float:
            switch value {
            case .double: return value
            case .int(let i): return .double(Double(i))
            case .string(let s): if let d = Double(s) { return .double(d) }; throw mismatch("a number")
            default: throw mismatch("a number")
            }
        case .list(let element):
            let items: [Value]
            switch value {
            case .list(let l): items = l
            case .string(let s): items = s.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }
            case .int, .double, .bool: items = [value]
            default: throw mismatch("a list")
            }
            return .list(try items.map { try coerce($0, to: element, option: option, at: location) })
        case .dict:
            if case .dict = value { return value }
            throw mismatch("a mapping")
        }
    }

    /// A string (or each string of a list) has the text `format` allows.
    func check(_ value: Value, _ format: TextFormat, option: OptionSpec, at location: SourceLocation?) throws {
        switch value {
        case .list(let items): for item in items { try check(item, format, option: option, at: location) }
        case .string(let text):
            guard let problem = format.problem(in: text) else { return }
            throw KeelError("value of '\(option.name)' for module '\(module)' cannot be written as it is: it contains \(problem)",
                            at: location, expected: format.expectation,
                            found: option.noLog ? "a secret value with \(problem)" : Self.escaped(text))
        default: return
        }
    }

    /// The text with its control characters spelled out, so an error shows where the line break is.
    static func escaped(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars.prefix(120) {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out += scalar.value < 0x20 ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
            }
        }
        return out + (text.unicodeScalars.count > 120 ? "...'" : "'")
    }

    static func display(_ value: Value) -> String {
        switch value {
        case .string(let s): return "'\(s)'"
        default: return value.jsonString()
        }
    }
}
