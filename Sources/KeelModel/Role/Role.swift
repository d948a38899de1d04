import KeelBase
import OrderedCollections

/// A role as one play (or include_role) uses it: its files loaded, its dependencies resolved, with the
/// parameters and keywords of the entry that named it.
public struct Role: Sendable, Hashable {
    public var name: String
    /// The role's directory; templates/ and files/ are found below it.
    public var path: String
    /// `- role: x\n  foo: 1`: everything on the entry that is not a keyword.
    public var params: OrderedDictionary<String, Value>
    public var defaults: OrderedDictionary<String, Value>
    public var vars: OrderedDictionary<String, Value>
    /// Tasks and handlers, each task carrying `role` so the engine knows its variable scope.
    public var tasks: [TaskNode]
    public var handlers: [TaskNode]
    /// meta/main.yml dependencies, loaded, in order (they run before this role).
    public var dependencies: [Role]
    public var allowDuplicates: Bool
    /// when/tags/become/… of the entry that named this role (already including those inherited from
    /// the role that depends on it). The engine applies them as a parent block of the role's tasks.
    public var keywords: Keywords
    public var tasksFrom: String?
    public var varsFrom: String?
    public var defaultsFrom: String?
    public var handlersFrom: String?
    /// Where the role was named (play `roles:`, meta dependency, import_role or include_role).
    public var location: SourceLocation

    public var templatesPath: String { path + "/templates" }
    public var filesPath: String { path + "/files" }

    /// The light reference tasks carry.
    public var ref: RoleRef {
        RoleRef(name: name, path: path, params: params, defaults: defaults, vars: vars)
    }

    /// The role's tasks wrapped in one block carrying the entry's keywords, ready to run.
    public var taskBlock: Block {
        var block = Block(name: nil, block: tasks, keywords: keywords, location: location)
        block.role = ref
        return block
    }

    /// The role as it runs where it is imported or included: its dependencies' blocks first, then its
    /// own tasks, all under the entry's keywords.
    public var runBlock: Block {
        var block = Block(name: nil, block: dependencies.map { .block($0.runBlock) } + tasks,
                          keywords: keywords, location: location)
        block.role = ref
        return block
    }

    var identity: RoleIdentity { RoleIdentity(path: path, params: params, tasksFrom: tasksFrom) }
}

/// What a task needs to know about its role: where it lives and the variables it brings.
public struct RoleRef: Sendable, Hashable {
    public var name: String
    public var path: String
    public var params: OrderedDictionary<String, Value>
    public var defaults: OrderedDictionary<String, Value>
    public var vars: OrderedDictionary<String, Value>

    public var templatesPath: String { path + "/templates" }
    public var filesPath: String { path + "/files" }
}

/// Two role entries are the same run when they name the same role with the same parameters.
struct RoleIdentity: Hashable {
    var path: String
    var params: OrderedDictionary<String, Value>
    var tasksFrom: String?
}
