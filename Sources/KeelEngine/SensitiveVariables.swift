import KeelBase

/// Variables the user marks as secret with `keel_sensitive_vars: [db_password, api_key]` (in the
/// inventory, group_vars, play or task vars): their rendered values are masked in all output, like
/// values that came from Ansible Vault. Ansible has no such list; `no_log` hides whole results instead.
enum SensitiveVariables {
    static let listName = "keel_sensitive_vars"

    /// Registers the current values of the listed variables for `scope` (a host's task scope). Cheap when
    /// the list is absent, which is the common case.
    static func register(in scope: VariableScope) {
        guard let listed = try? scope.lookup(listName), listed.isTruthy else { return }
        let names: [String]
        switch listed {
        case .list(let items): names = items.compactMap(\.stringValue)
        case .string(let text): names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        default: return
        }
        for name in names {
            // lookup renders the value, so a template that builds a secret registers what it builds.
            guard let value = try? scope.lookup(name) else { continue }
            SecretRedactor.shared.register(allStringsIn: value)
        }
    }
}
