import KeelBase
import OrderedCollections

/// One entry of a task list: a task, or a block of tasks with its rescue and always sections.
public indirect enum TaskNode: Sendable, Hashable {
    case task(Task)
    case block(Block)

    public var location: SourceLocation {
        switch self {
        case .task(let t): return t.location
        case .block(let b): return b.location
        }
    }

    public var keywords: Keywords {
        get {
            switch self {
            case .task(let t): return t.keywords
            case .block(let b): return b.keywords
            }
        }
        set {
            switch self {
            case .task(var t): t.keywords = newValue; self = .task(t)
            case .block(var b): b.keywords = newValue; self = .block(b)
            }
        }
    }

    /// Every task in this node, depth first (block, then rescue, then always).
    public var allTasks: [Task] {
        switch self {
        case .task(let t): return [t]
        case .block(let b): return (b.block + b.rescue + b.always).flatMap(\.allTasks)
        }
    }
}

/// One module call with its keywords, un-rendered.
public struct Task: Sendable, Hashable {
    public var name: String?
    /// The canonical module name ("file" for `ansible.builtin.file:`), or one of the loader's own
    /// actions: include_tasks, include_role (dynamic, resolved by the engine at run time through
    /// `PlaybookLoader.loadTasks` / `loadRole`).
    public var action: String
    /// The module name as written, for messages.
    public var writtenAction: String
    /// Arguments after k=v parsing and `args:` merging; free-form text is under `_raw_params`.
    public var args: OrderedDictionary<String, Value>
    /// Where the module's arguments were written (the module key's value).
    public var argsLocation: SourceLocation
    /// Where each argument was written, when it came from a mapping (for argument errors).
    public var argLocations: [String: SourceLocation] = [:]
    public var keywords: Keywords
    public var loop: LoopSpec?
    public var loopControl: LoopControl?
    public var register: String?
    public var notify: [String] = []
    /// Handlers only: extra topics this handler answers to.
    public var listen: [String] = []
    public var changedWhen: [Conditional] = []
    public var failedWhen: [Conditional] = []
    public var until: [Conditional] = []
    public var retries: Templatable<Int>?
    public var delay: Templatable<Int>?
    public var asyncSeconds: Templatable<Int>?
    public var poll: Templatable<Int>?
    public var location: SourceLocation
    /// The role this task belongs to, if any (for role variables, templates/ and files/).
    public var role: RoleRef?

    public init(action: String, writtenAction: String? = nil, args: OrderedDictionary<String, Value> = [:],
                argsLocation: SourceLocation, keywords: Keywords = Keywords(), location: SourceLocation) {
        self.action = action
        self.writtenAction = writtenAction ?? action
        self.args = args
        self.argsLocation = argsLocation
        self.keywords = keywords
        self.location = location
    }
}

/// `block:` with `rescue:` and `always:`; its keywords are inherited by the tasks inside.
public struct Block: Sendable, Hashable {
    public var name: String?
    public var block: [TaskNode]
    public var rescue: [TaskNode]
    public var always: [TaskNode]
    public var keywords: Keywords
    public var location: SourceLocation
    public var role: RoleRef?
    /// Set when this block stands for a static import (import_tasks / import_role), so reports can
    /// say where the tasks came from. Its keywords are the import's.
    public var importedFrom: String?
    /// For an import_role block: the role, so its handlers join the play's.
    public var importedRole: Role?

    public init(name: String? = nil, block: [TaskNode], rescue: [TaskNode] = [], always: [TaskNode] = [],
                keywords: Keywords = Keywords(), location: SourceLocation) {
        self.name = name
        self.block = block
        self.rescue = rescue
        self.always = always
        self.keywords = keywords
        self.location = location
    }
}
