import KeelBase
import OrderedCollections

/// A playbook file with its `import_playbook`s resolved: the plays in the order they run.
public struct Playbook: Sendable, Hashable {
    public var path: String
    public var plays: [Play]

    public init(path: String, plays: [Play]) {
        self.path = path
        self.plays = plays
    }
}

/// One play, every keyword typed and un-rendered.
public struct Play: Sendable, Hashable {
    public var name: String?
    /// Host patterns as written (`hosts: web:db` stays one pattern; a list gives several).
    public var hosts: [String]
    /// become, environment, tags, vars, … (`when` only comes from an `import_playbook`).
    public var keywords: Keywords
    public var varsFiles: [VarsFile] = []
    public var varsPrompt: [VarsPrompt] = []
    public var preTasks: [TaskNode] = []
    public var roles: [Role] = []
    public var tasks: [TaskNode] = []
    public var postTasks: [TaskNode] = []
    public var handlers: [TaskNode] = []
    public var gatherFacts: Templatable<Bool>?
    public var gatherSubset: Value?
    public var gatherTimeout: Templatable<Int>?
    public var factPath: String?
    /// Batches: empty means all hosts at once.
    public var serial: [SerialStep] = []
    public var strategy: String?
    public var maxFailPercentage: Templatable<Double>?
    public var forceHandlers: Templatable<Bool>?
    public var order: PlayOrder?
    /// The file this play was written in (differs from the playbook's for imported playbooks).
    public var file: String
    /// The directory relative paths of this play resolve against (roles/, include_tasks files, vars_files):
    /// the directory of the file the play was written in, as Ansible's basedir for imported playbooks.
    public var playbookDirectory: String { directoryOf(file) }
    public var location: SourceLocation

    public init(hosts: [String], keywords: Keywords = Keywords(), file: String, location: SourceLocation) {
        self.hosts = hosts
        self.keywords = keywords
        self.file = file
        self.location = location
    }

    /// The play's roles in the order they run, dependencies first, each (name, parameters) once unless
    /// the role allows duplicates, as Ansible deduplicates roles within a play.
    public var roleRuns: [Role] {
        var seen = Set<RoleIdentity>()
        var result: [Role] = []
        func visit(_ role: Role) {
            for dependency in role.dependencies { visit(dependency) }
            if role.allowDuplicates || seen.insert(role.identity).inserted { result.append(role) }
        }
        roles.forEach(visit)
        return result
    }

    /// Handlers as the play knows them: those of its roles (from `roles:`, then from import_role)
    /// first, then its own. Each role's handler file counts once.
    public var allHandlers: [TaskNode] {
        var seen = Set<String>()
        let fromRoles = publicRoles.filter { seen.insert($0.path + "|" + ($0.handlersFrom ?? "main")).inserted }
            .flatMap(\.handlers)
        return fromRoles + handlers
    }

    /// Ansible's public roles: those of `roles:` and of import_role (static, public by default), with their
    /// dependencies. Their defaults and vars are exposed to every task of the play, before and after them;
    /// include_role's (dynamic) stay private to the role.
    public var publicRoles: [Role] {
        func imported(_ nodes: [TaskNode]) -> [Role] {
            nodes.flatMap { node -> [Role] in
                guard case .block(let b) = node else { return [] }
                let own = b.importedRole.map { role in flattenDependencies(role) } ?? []
                return own + imported(b.block + b.rescue + b.always)
            }
        }
        return roleRuns + imported(preTasks + tasks + postTasks)
    }

    private func flattenDependencies(_ role: Role) -> [Role] {
        role.dependencies.flatMap(flattenDependencies) + [role]
    }
}

/// One `serial:` step: a host count, a percentage of the play's hosts, or a template.
public enum SerialStep: Sendable, Hashable {
    case count(Int)
    case percent(Double)
    case template(String)
}

/// `order:`: how hosts are ordered within a play.
public enum PlayOrder: String, Sendable, Hashable, CaseIterable {
    case inventory, reverseInventory = "reverse_inventory", sorted, reverseSorted = "reverse_sorted", shuffle
}

/// One `vars_files:` entry: a path, or a list of alternatives of which the first that exists is used.
/// Paths are un-rendered (they may use host variables) and relative to the play's file.
public struct VarsFile: Sendable, Hashable {
    public var alternatives: [String]
    public var location: SourceLocation
}

/// One `vars_prompt:` entry, parsed so it can be reported (prompting is the engine's decision).
public struct VarsPrompt: Sendable, Hashable {
    public var name: String
    public var prompt: String?
    public var `default`: Value?
    public var `private`: Bool = true
    public var confirm: Bool = false
    public var encrypt: String?
    public var saltSize: Int?
    public var salt: String?
    public var unsafe: Bool = false
    public var location: SourceLocation

    static let keys = ["name", "prompt", "default", "private", "confirm", "encrypt", "salt_size", "salt", "unsafe"]
}
