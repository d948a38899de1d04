import Foundation
import KeelBase
import OrderedCollections

/// How the loader finds roles and checks templates.
public struct LoaderOptions: Sendable {
    /// Extra directories to search for roles, after `roles/` beside the playbook and before the
    /// playbook's own directory (Ansible's roles_path).
    public var rolesPath: [String]
    /// Directories holding `ansible_collections/` (Ansible's collections_path): a role named
    /// `namespace.collection.role` is `<dir>/ansible_collections/namespace/collection/roles/role`.
    public var collectionsPath: [String] = []
    /// When set, problems the loader can step over are recorded here instead of thrown (see LoadProblemLog).
    public var problemLog: LoadProblemLog?
    /// Called for every string that contains `{{`, `{%` or `{#`, and for every conditional (wrapped as
    /// `{{ expr }}`), so template syntax errors are found before any host is touched. Throwing a
    /// `KeelError` without a location gets the string's location.
    public var checkTemplate: (@Sendable (String, SourceLocation) throws -> Void)?
    /// The process environment; `ANSIBLE_ROLES_PATH` (colon-separated) adds to `rolesPath`.
    public var environment: [String: String]
    /// Renders a template in a name that static imports need at load time (`import_tasks`,
    /// `import_playbook`, `import_role` and `roles:` names), given the variables known then: the play's
    /// vars and those of enclosing imports. The engine adds extra vars, as Ansible does. Without it,
    /// such names must be literal.
    public var renderStaticName: (@Sendable (String, OrderedDictionary<String, Value>, SourceLocation) throws -> String)?

    public init(rolesPath: [String] = [],
                checkTemplate: (@Sendable (String, SourceLocation) throws -> Void)? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                renderStaticName: (@Sendable (String, OrderedDictionary<String, Value>, SourceLocation) throws -> String)? = nil) {
        self.rolesPath = rolesPath
        self.checkTemplate = checkTemplate
        self.environment = environment
        self.renderStaticName = renderStaticName
    }

    /// Configured role directories in search order.
    var configuredRolePaths: [String] {
        let fromEnvironment = (environment["ANSIBLE_ROLES_PATH"] ?? "")
            .split(separator: ":").map(String.init).filter { !$0.isEmpty }
        return rolesPath + fromEnvironment
    }
}
