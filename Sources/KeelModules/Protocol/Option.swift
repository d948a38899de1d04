import KeelBase
import OrderedCollections

/// One module option declared once, in the style of swift-argument-parser: the attribute is the spec
/// (name, type, default, choices, aliases, help) and the property is the decoded value.
///
///     struct Arguments: ModuleArguments {
///         @Option("path", .path, required: true, aliases: ["dest"], help: "The file.") var path: String
///         @Option("state", choices: LineState.self, default: .present, help: "...") var state: LineState
///     }
///     static let spec = ArgumentSpec(Arguments.self)
///
/// The spec is read from a fresh `Arguments()` by reflection; decoding fills the same properties from the
/// validated arguments (keyed by the option's name, so the property is named like the option).
@propertyWrapper
public struct Option<T: Sendable>: Sendable, DeclaredOption {
    enum Storage: Sendable {
        case declared
        case decoded(T)
    }

    var storage: Storage
    public let spec: OptionSpec?

    public init(_ name: String, _ type: OptionType, required: Bool = false, default defaultValue: Value? = nil,
                choices: [Value]? = nil, aliases: [String] = [], noLog: Bool = false, format: TextFormat? = nil, help: String) {
        storage = .declared
        spec = OptionSpec(name, type, required: required, default: defaultValue, choices: choices, aliases: aliases,
                          noLog: noLog, format: format, help: help)
    }

    /// An option whose declaration is shared by several modules (FileAttributes.mode).
    public init(_ spec: OptionSpec) {
        storage = .declared
        self.spec = spec
    }

    init(decoded value: T) {
        storage = .decoded(value)
        spec = nil
    }

    public var wrappedValue: T {
        get {
            guard case .decoded(let value) = storage else {
                // Only a declaration instance (the one the spec is read from) has no value.
                fatalError("option '\(spec?.name ?? "?")' read before the arguments were decoded")
            }
            return value
        }
        set { storage = .decoded(newValue) }
    }
}

extension Option where T: OptionChoice {
    /// A choice option whose choices are the cases of a String-backed enum (`state`).
    public init(_ name: String, choices: T.Type, required: Bool = false, default defaultValue: T? = nil, aliases: [String] = [],
                help: String) {
        self.init(name, .string, required: required, default: defaultValue.map { .string($0.rawValue) },
                  choices: T.allCases.map { .string($0.rawValue) }, aliases: aliases, help: help)
    }
}

extension Option where T: ExpressibleByNilLiteral {
    /// An optional choice option (no default: nil when not given).
    public init<E: OptionChoice>(_ name: String, choices: E.Type, aliases: [String] = [], help: String) where T == E? {
        self.init(name, .string, choices: E.allCases.map { .string($0.rawValue) }, aliases: aliases, help: help)
    }
}

/// The values of a choice option: a String-backed enum whose cases are the choices.
public protocol OptionChoice: RawRepresentable, CaseIterable, Decodable, Sendable, Equatable where RawValue == String {}

/// Type-erased access to an option's declaration, for reading a spec by reflection.
protocol DeclaredOption {
    var spec: OptionSpec? { get }
}

extension Option: Decodable where T: Decodable {
    public init(from decoder: Decoder) throws {
        self.init(decoded: try decoder.singleValueContainer().decode(T.self))
    }
}

extension KeyedDecodingContainer {
    /// Synthesized decoding asks for each `@Option` property by its key; a missing key is an option that was
    /// not given and has no default, which is nil for optional properties.
    public func decode<T: Decodable & Sendable>(_ type: Option<T>.Type, forKey key: Key) throws -> Option<T> {
        if let value = try decodeIfPresent(T.self, forKey: key) { return Option(decoded: value) }
        if let optional = T.self as? ExpressibleByNilLiteral.Type, let none = optional.init(nilLiteral: ()) as? T {
            return Option(decoded: none)
        }
        throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "option '\(key.stringValue)' has no value and no default"))
    }
}

/// Arguments declared with `@Option`: the spec is derived from a fresh instance.
public protocol ModuleArguments: Decodable, Sendable {
    init()
}

extension ArgumentSpec {
    /// The spec of arguments declared with `@Option`, in declaration order, plus the rules that span options.
    public init<A: ModuleArguments>(_ arguments: A.Type, mutuallyExclusive: [[String]] = [], requiredOneOf: [[String]] = [],
                                    requiredIf: [RequiredIf] = [], acceptsFreeForm: Bool = false) {
        let options = Mirror(reflecting: A()).children.compactMap { ($0.value as? DeclaredOption)?.spec }
        self.init(options, mutuallyExclusive: mutuallyExclusive, requiredOneOf: requiredOneOf, requiredIf: requiredIf,
                  acceptsFreeForm: acceptsFreeForm)
    }
}

extension Module {
    /// Arguments as a task would give them (validated, defaults filled in, decoded): for modules that run
    /// another module's logic (package -> apt/dnf, service -> systemd) and for tests.
    public static func arguments(_ raw: OrderedDictionary<String, Value>) throws -> Arguments {
        let validated = try ArgumentValidator(module: name, spec: spec).validate(raw, at: nil)
        return try ValueDecoder().decode(Arguments.self, from: .dict(validated))
    }
}
