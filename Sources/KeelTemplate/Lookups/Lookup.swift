import KeelBase
import OrderedCollections

/// One lookup plugin: Ansible's `LookupBase.run(terms, variables, **kwargs)`. It gets the terms as a list
/// and its keyword options, and returns a list; `lookup()` and `query()` (LookupCall) decide what the
/// template sees. Lookups run on the controller, never on a managed host.
typealias LookupBody = @Sendable (_ terms: [Value], _ options: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value]

/// The lookups Keel implements, by their short name (`ansible.builtin.file` is `file`).
enum Lookups {
    static let all: [String: LookupBody] = {
        var table: [String: LookupBody] = [:]
        for part in [ListLookups.all, VariableLookups.all, FileLookups.all, FirstFoundLookup.all, TemplateLookup.all,
                     CommandLookups.all, SequenceLookup.all, PasswordLookup.all, TableLookups.all] {
            table.merge(part) { first, _ in first }
        }
        return table
    }()

    /// Ansible's name for a lookup without its collection: `ansible.builtin.env` is `env`.
    static func shortName(_ name: String) -> String {
        for prefix in ["ansible.builtin.", "ansible.legacy."] where name.hasPrefix(prefix) { return String(name.dropFirst(prefix.count)) }
        return name
    }
}

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

extension Value {
    /// A term as the string most lookups want (file names, commands, variable names).
    func lookupTerm(_ lookup: String) throws -> String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "True" : "False"
        default: throw KeelError("lookup '\(lookup)' needs string terms", expected: "a string", found: typeName)
        }
    }
}
