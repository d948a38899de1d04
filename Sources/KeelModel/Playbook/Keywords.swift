import KeelBase
import OrderedCollections

/// The keywords that plays, blocks, tasks and role entries share and that children inherit from their
/// parents (Ansible's Base, Become, Conditional, Taggable and Delegatable mixins). Every field is
/// optional: nil means "not set here, inherit".
public struct Keywords: Sendable, Hashable {
    public var when: [Conditional] = []
    public var tags: [String] = []
    public var vars: OrderedDictionary<String, Value> = [:]
    public var become: Templatable<Bool>?
    public var becomeUser: String?
    public var becomeMethod: String?
    public var becomeFlags: String?
    public var becomeExe: String?
    public var checkMode: Templatable<Bool>?
    public var diff: Templatable<Bool>?
    /// A mapping, a list of mappings, or a template string; rendered by the engine.
    public var environment: Value?
    public var ignoreErrors: Templatable<Bool>?
    public var ignoreUnreachable: Templatable<Bool>?
    public var noLog: Templatable<Bool>?
    public var runOnce: Templatable<Bool>?
    public var anyErrorsFatal: Templatable<Bool>?
    public var throttle: Templatable<Int>?
    public var timeout: Templatable<Int>?
    public var delegateTo: String?
    public var delegateFacts: Templatable<Bool>?
    public var connection: String?
    public var remoteUser: String?
    public var port: Templatable<Int>?
    /// Kept as written: a mapping of module (or `group/…`) names to default arguments.
    public var moduleDefaults: Value?
    public var collections: [String]?

    public init() {}

    /// These keywords as inherited by a child that sets `child`: the parent's conditions run first,
    /// tags add up, the child's vars win, and any scalar keyword the child leaves unset comes from here.
    /// This is how a static import (import_tasks, import_playbook) or a role entry applies its keywords
    /// to what it brings in, exactly as if it were a parent block.
    public func applied(to child: Keywords) -> Keywords {
        var result = child
        result.when = when + child.when
        result.tags = tags + child.tags.filter { !tags.contains($0) }
        var mergedVars = vars
        for (key, value) in child.vars { mergedVars[key] = value }
        result.vars = mergedVars
        result.become = child.become ?? become
        result.becomeUser = child.becomeUser ?? becomeUser
        result.becomeMethod = child.becomeMethod ?? becomeMethod
        result.becomeFlags = child.becomeFlags ?? becomeFlags
        result.becomeExe = child.becomeExe ?? becomeExe
        result.checkMode = child.checkMode ?? checkMode
        result.diff = child.diff ?? diff
        result.environment = child.environment ?? environment
        result.ignoreErrors = child.ignoreErrors ?? ignoreErrors
        result.ignoreUnreachable = child.ignoreUnreachable ?? ignoreUnreachable
        result.noLog = child.noLog ?? noLog
        result.runOnce = child.runOnce ?? runOnce
        result.anyErrorsFatal = child.anyErrorsFatal ?? anyErrorsFatal
        result.throttle = child.throttle ?? throttle
        result.timeout = child.timeout ?? timeout
        result.delegateTo = child.delegateTo ?? delegateTo
        result.delegateFacts = child.delegateFacts ?? delegateFacts
        result.connection = child.connection ?? connection
        result.remoteUser = child.remoteUser ?? remoteUser
        result.port = child.port ?? port
        result.moduleDefaults = child.moduleDefaults ?? moduleDefaults
        result.collections = child.collections ?? collections
        return result
    }
}
