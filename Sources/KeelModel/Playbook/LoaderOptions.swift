import Foundation
import KeelBase

/// How the loader finds roles and checks templates.
public struct LoaderOptions: Sendable {
    /// Extra directories to search for roles, after `roles/` beside the playbook and before the
    /// playbook's own directory (Ansible's roles_path).
    public var rolesPath: [String]
    /// Called for every string that contains `{{`, `{%` or `{#`, and for every conditional (wrapped as
    /// `{{ expr }}`), so template syntax errors are found before any host is touched. Throwing a
    /// `KeelError` without a location gets the string's location.
    public var checkTemplate: (@Sendable (String, SourceLocation) throws -> Void)?
    /// The process environment; `ANSIBLE_ROLES_PATH` (colon-separated) adds to `rolesPath`.
    public var environment: [String: String]

    public init(rolesPath: [String] = [],
                checkTemplate: (@Sendable (String, SourceLocation) throws -> Void)? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.rolesPath = rolesPath
        self.checkTemplate = checkTemplate
        self.environment = environment
    }

    /// Configured role directories in search order.
    var configuredRolePaths: [String] {
        let fromEnvironment = (environment["ANSIBLE_ROLES_PATH"] ?? "")
            .split(separator: ":").map(String.init).filter { !$0.isEmpty }
        return rolesPath + fromEnvironment
    }
}
