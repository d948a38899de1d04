/// What the playbook loader needs to know about modules, without knowing the modules themselves: which
/// names exist (so a key in a task can be told apart from a typo), which canonical name an alias means,
/// and which modules take a free-form command line. The engine supplies the real catalog from its module
/// library; the model layer never names a module on its own.
public protocol ModuleCatalog: Sendable {
    /// The canonical name for a name as written ("ansible.builtin.file" -> "file"); nil if unknown.
    func canonicalName(for written: String) -> String?
    /// Every name a user may write, for "did you mean".
    var allNames: [String] { get }
    /// Modules whose string form is a free-form command line kept as `_raw_params`.
    func takesFreeForm(_ canonical: String) -> Bool
}

/// A catalog from a plain table: canonical name -> aliases. `ansible.builtin.X` and `ansible.legacy.X`
/// resolve to X for every known X, as Ansible's builtin routing does.
public struct StaticModuleCatalog: ModuleCatalog {
    private let canonicalByName: [String: String]
    private let freeForm: Set<String>
    public let allNames: [String]

    public init(modules: [String: [String]], freeForm: Set<String>) {
        var table: [String: String] = [:]
        for (name, aliases) in modules {
            table[name] = name
            table["ansible.builtin." + name] = name
            table["ansible.legacy." + name] = name
            for alias in aliases { table[alias] = name }
        }
        self.canonicalByName = table
        self.freeForm = freeForm
        self.allNames = table.keys.sorted()
    }

    public func canonicalName(for written: String) -> String? { canonicalByName[written] }

    public func takesFreeForm(_ canonical: String) -> Bool { freeForm.contains(canonical) }
}
