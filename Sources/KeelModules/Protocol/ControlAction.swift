import KeelBase
import OrderedCollections

/// The small sibling of `Module` for actions that run on the controller and steer the run instead of
/// converging a host: debug, set_fact, assert, fail, meta, include_vars, include_tasks, include_role, pause.
/// They return effects as data; the engine applies effects without knowing which action produced them.
public protocol ControlAction: Sendable {
    static var name: String { get }
    static var aliases: [String] { get }
    static var spec: ArgumentSpec { get }
    static var documentation: ModuleDocumentation { get }
    /// Arguments the engine must pass as written (expressions such as assert's `that`, debug's `var`).
    static var unrenderedArguments: Set<String> { get }
    /// True when the action accepts any keys (set_fact's variable names).
    static var acceptsAnyArguments: Bool { get }
    /// True when the action runs once for the whole host group, as if `run_once` were set (Ansible's
    /// BYPASS_HOST_LOOP: add_host changes the inventory, not a host).
    static var bypassesHostLoop: Bool { get }
    /// The variables the action defines, for checks made before any host is contacted.
    static var variableDefinitions: VariableDefinitions { get }

    init()
    func run(_ arguments: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome
}

extension ControlAction {
    public static var aliases: [String] { [] }
    public static var unrenderedArguments: Set<String> { [] }
    public static var acceptsAnyArguments: Bool { false }
    public static var bypassesHostLoop: Bool { false }
    public static var variableDefinitions: VariableDefinitions { acceptsAnyArguments ? .argumentKeys : .none }
}

/// What a control action may ask of the engine for the current host and task.
public protocol ControlContext: Sendable {
    var hostName: String { get }
    /// The value of a variable, rendered (nil when undefined).
    func variable(_ name: String) throws -> Value?
    /// A bare Jinja2 expression's value (assert's `that`, debug's `var`).
    func evaluate(_ expression: String) throws -> Value
    /// Whether an expression is true by Ansible's rules.
    func isTrue(_ expression: String) throws -> Bool
    /// Reads a YAML or JSON variables file (include_vars), relative paths from the role's vars/ and the playbook.
    func loadVariables(_ path: String) throws -> OrderedDictionary<String, Value>
    /// The -v count, for debug's verbosity.
    var verbosity: Int { get }
}

/// What happened and what the engine should do about it.
public struct ControlOutcome: Sendable {
    public enum Effect: Sendable, Equatable {
        /// set_fact / register-like: host variables that persist for the run (level 19).
        case setFacts(OrderedDictionary<String, Value>)
        /// set_fact with cacheable: the same variables also become facts (ansible_facts), as Ansible keeps
        /// a second copy for its fact cache; meta: clear_facts removes that copy only.
        case cacheFacts(OrderedDictionary<String, Value>)
        /// include_vars (level 18).
        case includeVars(OrderedDictionary<String, Value>)
        /// include_tasks: load this file and run its tasks next, with these vars.
        case includeTasks(file: String, vars: OrderedDictionary<String, Value>)
        /// include_role.
        case includeRole(name: String, tasksFrom: String?, varsFrom: String?, defaultsFrom: String?, vars: OrderedDictionary<String, Value>)
        /// meta: flush_handlers, end_play, end_host, end_batch, clear_facts, clear_host_errors, noop, reset_connection.
        case meta(String)
        /// setup / gather_facts as a task: the subsets to gather (nil: all, as for setup without gather_subset)
        /// and the fact-name globs to keep. The engine gathers them before it makes the task's result.
        case gatherFacts(subset: [String]?, filter: [String])
        /// add_host: the run's inventory gets this host (in `all` and these groups, with these variables)
        /// for later plays. The engine applies it before reporting the task: `changed` says whether the
        /// inventory changed, as in ansible-core.
        case addHost(name: String, groups: [String], variables: OrderedDictionary<String, Value>)
        /// group_by: the current host joins `group` (created as a child of `parents` when new), likewise
        /// applied before the task is reported.
        case addGroup(name: String, parents: [String])
        /// async_status: the engine reads (mode "status") or removes (mode "cleanup") the job's files on the
        /// host and makes the task's result from them.
        case asyncStatus(jid: String, mode: String)
        /// wait_for_connection: the engine reconnects until a command runs on the host.
        case waitForConnection(ConnectionWait)
        /// reboot: the engine reboots the host and waits until it is back with a new boot id.
        case reboot(RebootRequest)
    }

    public var changed = false
    public var failed = false
    public var skipped = false
    public var message: String?
    public var values: OrderedDictionary<String, Value> = [:]
    public var effects: [Effect] = []
    /// Show `values` in the normal output (debug's whole purpose); other results only with -v.
    public var display = false

    public init(changed: Bool = false, failed: Bool = false, skipped: Bool = false, message: String? = nil,
                values: OrderedDictionary<String, Value> = [:], effects: [Effect] = [], display: Bool = false) {
        self.display = display
        self.changed = changed
        self.failed = failed
        self.skipped = skipped
        self.message = message
        self.values = values
        self.effects = effects
    }
}

/// wait_for_connection's settings, in seconds.
public struct ConnectionWait: Sendable, Equatable {
    public var delay: Int
    public var sleep: Int
    public var timeout: Int
    public var connectTimeout: Int
}

/// reboot's settings (seconds) and commands.
public struct RebootRequest: Sendable, Equatable {
    public var preRebootDelay: Int
    public var postRebootDelay: Int
    public var rebootTimeout: Int
    public var connectTimeout: Int?
    public var testCommand: String
    public var bootTimeCommand: String
    public var message: String
    /// The whole command when given; otherwise `shutdown` found in `searchPaths`.
    public var rebootCommand: String?
    public var searchPaths: [String]
}

/// A control action with its types erased, for the registry.
public struct ControlRunner: Sendable {
    public let name: String
    public let aliases: [String]
    /// Spec and documentation are the action's own, read when first asked for: a run makes a registry of
    /// every module and action, and building them all (reflection over each Arguments type) cost every
    /// run several milliseconds.
    public var spec: ArgumentSpec { specOf() }
    public var documentation: ModuleDocumentation { documentationOf() }
    private let specOf: @Sendable () -> ArgumentSpec
    private let documentationOf: @Sendable () -> ModuleDocumentation
    public let unrenderedArguments: Set<String>
    /// True when the action accepts any keys (set_fact): nothing to check its arguments against.
    public let acceptsAnyArguments: Bool
    /// True when the action runs once for all the hosts at a task (add_host), as under run_once.
    public let bypassesHostLoop: Bool
    public let variableDefinitions: VariableDefinitions
    private let body: @Sendable (OrderedDictionary<String, Value>, SourceLocation?, ControlContext) async throws -> ControlOutcome

    public init<A: ControlAction>(_ action: A.Type) {
        name = A.name
        aliases = A.aliases
        specOf = { A.spec }
        documentationOf = { A.documentation }
        unrenderedArguments = A.unrenderedArguments
        acceptsAnyArguments = A.acceptsAnyArguments
        bypassesHostLoop = A.bypassesHostLoop
        variableDefinitions = A.variableDefinitions
        body = { arguments, location, context in
            let checked = A.acceptsAnyArguments ? arguments : try ArgumentValidator(module: A.name, spec: A.spec).validate(arguments, at: location)
            return try await A().run(checked, in: context)
        }
    }

    public func run(_ arguments: OrderedDictionary<String, Value>, at location: SourceLocation?, in context: ControlContext) async throws -> ControlOutcome {
        try await body(arguments, location, context)
    }
}
