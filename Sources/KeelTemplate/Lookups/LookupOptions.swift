import KeelBase
import OrderedCollections

/// The options a lookup accepts, read from its keyword arguments with Ansible's defaults; an option the
/// lookup does not know is an error, as Ansible's `set_options` makes it.
struct LookupOptions {
    private(set) var values: OrderedDictionary<String, Value>
    let lookup: String

    init(_ lookup: String, defaults: OrderedDictionary<String, Value>, given: OrderedDictionary<String, Value>) throws {
        self.lookup = lookup
        values = defaults
        for (key, value) in given { try set(key, value) }
    }

    mutating func set(_ key: String, _ value: Value) throws {
        guard values.keys.contains(key) else {
            throw KeelError("lookup '\(lookup)' has no option '\(key)'", expected: values.keys.sorted().joined(separator: ", "), found: key)
        }
        values[key] = value
    }

    subscript(_ key: String) -> Value { values[key] ?? .null }

    func string(_ key: String) -> String? {
        switch self[key] {
        case .null: return nil
        case .string(let s): return s
        case .int(let i): return String(i)
        case let other: return other.jsonString()
        }
    }

    func bool(_ key: String) throws -> Bool {
        let value = self[key]
        if value.isNull { return false }
        guard let b = value.ansibleBool else {
            throw KeelError("lookup '\(lookup)': option '\(key)' must be a boolean", found: value.stringValue ?? value.typeName)
        }
        return b
    }

    func int(_ key: String) throws -> Int {
        let value = self[key]
        if let i = value.intValue { return i }
        if let s = value.stringValue, let i = Int(s.trimmingCharacters(in: .whitespaces)) { return i }
        throw KeelError("lookup '\(lookup)': option '\(key)' must be an integer", found: value.stringValue ?? value.typeName)
    }

    /// A list option; a string is split on commas, as Ansible's `type: list` options are.
    func list(_ key: String) -> [Value] {
        switch self[key] {
        case .null: return []
        case .list(let l): return l
        case .string(let s): return s.split(separator: ",", omittingEmptySubsequences: false).map { .string($0.trimmingCharacters(in: .whitespaces)) }
        case let other: return [other]
        }
    }
}
