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
    /// The levels that hold variables, lowest first. Every task's scope asks for names no level holds
    /// (most connection variables): only these levels are searched, not every level there is.
    private var stack: [VariableLayer] = []

    /// Every level's variables, by level.
    public var layers: [VariableLevel: OrderedDictionary<String, Value>] {
        Dictionary(uniqueKeysWithValues: stack.map { ($0.level, $0.variables) })
    }

    public init() {}

    public init(_ layers: [VariableLayer]) {
        for layer in layers { add(layer.level, layer.variables) }
    }

    private func index(of level: VariableLevel) -> (found: Bool, at: Int) {
        for (index, layer) in stack.enumerated() {
            if layer.level == level { return (true, index) }
            if layer.level > level { return (false, index) }
        }
        return (false, stack.count)
    }

    /// Replaces a level's variables.
    public mutating func set(_ level: VariableLevel, _ variables: OrderedDictionary<String, Value>) {
        let (found, at) = index(of: level)
        if variables.isEmpty {
            if found { stack.remove(at: at) }
        } else if found {
            stack[at].variables = variables
        } else {
            stack.insert(VariableLayer(level, variables), at: at)
        }
    }

    /// Adds variables to a level; keys already at that level are replaced (later wins within a level too).
    public mutating func add(_ level: VariableLevel, _ variables: OrderedDictionary<String, Value>) {
        let (found, at) = index(of: level)
        guard found else { return set(level, variables) }
        for (key, value) in variables { stack[at].variables[key] = value }
    }

    public mutating func set(_ level: VariableLevel, key: String, to value: Value) {
        let (found, at) = index(of: level)
        if found { stack[at].variables[key] = value } else { stack.insert(VariableLayer(level, [key: value]), at: at) }
    }

    /// Every level's variables merged, higher levels replacing lower ones key by key.
    public func merged() -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        for layer in stack {
            for (key, value) in layer.variables { result[key] = value }
        }
        return result
    }

    /// A variable's winning value and the level it comes from, in one search.
    public func winner(of key: String) -> (level: VariableLevel, value: Value)? {
        for layer in stack.reversed() {
            if let value = layer.variables[key] { return (layer.level, value) }
        }
        return nil
    }

    /// The winning values of several names in one pass over the levels (a task's settings ask for about
    /// thirty connection variables, most of them held by no level): a small level is walked key by key
    /// against the names, a big one (gathered facts) is asked name by name.
    public func winners(of names: Set<String>) -> [String: (level: VariableLevel, value: Value)] {
        var found: [String: (level: VariableLevel, value: Value)] = [:]
        for layer in stack.reversed() {
            guard found.count < names.count else { break }
            if layer.variables.count <= names.count {
                for (key, value) in layer.variables where found[key] == nil && names.contains(key) { found[key] = (layer.level, value) }
            } else {
                for name in names where found[name] == nil {
                    if let value = layer.variables[name] { found[name] = (layer.level, value) }
                }
            }
        }
        return found
    }

    /// The level a variable's winning value comes from (for "where did this come from" diagnostics).
    public func level(of key: String) -> VariableLevel? {
        winner(of: key)?.level
    }

    /// A variable's winning value.
    public subscript(key: String) -> Value? {
        winner(of: key)?.value
    }
}
