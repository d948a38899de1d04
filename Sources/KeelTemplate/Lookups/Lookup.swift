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
                     CommandLookups.all, SequenceLookup.all, PasswordLookup.all, TableLookups.all, URLLookup.all] {
            table.merge(part) { first, _ in first }
        }
        return table
    }()

    /// Ansible's name for a lookup without its collection: `ansible.builtin.env` is `env`.
    static func shortName(_ name: String) -> String {
        for prefix in ["ansible.builtin.", "ansible.legacy."] where name.hasPrefix(prefix) { return String(name.dropFirst(prefix.count)) }
        // Lookups that left ansible-core for community.general and that Keel has under their old names.
        let communityGeneral = "community.general."
        if name.hasPrefix(communityGeneral), movedToCommunityGeneral.contains(String(name.dropFirst(communityGeneral.count))) {
            return String(name.dropFirst(communityGeneral.count))
        }
        return name
    }

    static let movedToCommunityGeneral: Set<String> = ["flattened", "cartesian"]
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
