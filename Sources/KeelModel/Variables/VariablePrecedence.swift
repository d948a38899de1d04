import KeelBase
import OrderedCollections

/// One level's variables.
public struct VariableLayer: Sendable, Equatable {
    public var level: VariableLevel
    public var variables: OrderedDictionary<String, Value>

    public init(_ level: VariableLevel, _ variables: OrderedDictionary<String, Value>) {
        self.level = level
        self.variables = variables
    }
}

/// A host's variables kept per precedence level and merged on demand, lowest level first, with Ansible's
/// default `hash_behaviour = replace`: a higher level's key replaces the whole value (dicts are not merged).
/// Keeping levels apart (rather than one flat dict) lets the engine replace a level, e.g. block vars when it
/// enters another block, without recomputing the rest.
public struct VariablePrecedence: Sendable, Equatable {
    public private(set) var layers: [VariableLevel: OrderedDictionary<String, Value>] = [:]

    public init() {}

    public init(_ layers: [VariableLayer]) {
        for layer in layers { add(layer.level, layer.variables) }
    }

    /// Replaces a level's variables.
    public mutating func set(_ level: VariableLevel, _ variables: OrderedDictionary<String, Value>) {
        layers[level] = variables
    }

    /// Adds variables to a level; keys already at that level are replaced (later wins within a level too).
    public mutating func add(_ level: VariableLevel, _ variables: OrderedDictionary<String, Value>) {
        var current = layers[level] ?? [:]
        for (key, value) in variables { current[key] = value }
        layers[level] = current
    }

    public mutating func set(_ level: VariableLevel, key: String, to value: Value) {
        layers[level, default: [:]][key] = value
    }

    /// Every level's variables merged, higher levels replacing lower ones key by key.
    public func merged() -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        for level in VariableLevel.allCases {
            for (key, value) in layers[level] ?? [:] { result[key] = value }
        }
        return result
    }

    /// The level a variable's winning value comes from (for "where did this come from" diagnostics).
    public func level(of key: String) -> VariableLevel? {
        VariableLevel.allCases.last { layers[$0]?[key] != nil }
    }

    /// A variable's winning value.
    public subscript(key: String) -> Value? {
        level(of: key).flatMap { layers[$0]?[key] }
    }
}
