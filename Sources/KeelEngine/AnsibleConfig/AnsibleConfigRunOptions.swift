import KeelBase
import KeelTransport

extension AnsibleConfig {
    /// Sets what ansible.cfg and the ANSIBLE_* variables say on `options`, before the command line's flags
    /// are applied over them (a flag wins, as in Ansible). Roles and collections paths from the file are
    /// put first; ANSIBLE_ROLES_PATH is read by the loader itself.
    public func apply(to options: inout RunOptions) throws {
        if let inventory = list("DEFAULT_HOST_LIST") { options.inventorySources = inventory }
        if let roles = list("DEFAULT_ROLES_PATH"), fromFile("DEFAULT_ROLES_PATH") { options.rolesPath = roles + options.rolesPath }
        if let collections = list("COLLECTIONS_PATHS") { options.collectionsPath = collections }
        if let user = string("DEFAULT_REMOTE_USER") { options.remoteUser = user }
        if let key = string("DEFAULT_PRIVATE_KEY_FILE") { options.privateKeyFile = key }
        if bool("HOST_KEY_CHECKING") == false { options.hostKeyPolicy = .off }
        if let forks = int("DEFAULT_FORKS") {
            guard forks >= 1 else { throw invalid("DEFAULT_FORKS", expected: "at least 1") }
            options.forks = forks
        }
        if let timeout = int("DEFAULT_TIMEOUT") {
            guard timeout >= 1 else { throw invalid("DEFAULT_TIMEOUT", expected: "a number of seconds of at least 1") }
            options.connectTimeout = timeout
        }
        if let gathering = string("DEFAULT_GATHERING") {
            guard let mode = FactGathering(rawValue: gathering) else { throw invalid("DEFAULT_GATHERING", expected: "implicit, explicit or smart") }
            options.gathering = mode
        }
        if let become = bool("DEFAULT_BECOME") { options.become = become }
        if let method = string("DEFAULT_BECOME_METHOD") {
            let short = method.hasPrefix("ansible.builtin.") ? String(method.dropFirst("ansible.builtin.".count)) : method
            guard ["sudo", "su"].contains(short) else { throw invalid("DEFAULT_BECOME_METHOD", expected: "sudo or su") }
            options.becomeMethod = short
        }
        if let user = string("DEFAULT_BECOME_USER") { options.becomeUser = user }
        if let args = string("ssh_args") { options.sshArgs = args }
        if let args = string("ssh_common_args") { options.sshCommonArgs = args }
        if let args = string("ssh_extra_args") { options.sshExtraArgs = args }
    }

    /// The environment the vault options read, with ansible.cfg's vault_password_file and
    /// vault_identity_list filled in where the variables are unset (Ansible: env > ansible.cfg).
    public func vaultEnvironment(_ environment: [String: String]) -> [String: String] {
        var result = environment
        if let file = string("DEFAULT_VAULT_PASSWORD_FILE") { result["ANSIBLE_VAULT_PASSWORD_FILE"] = file }
        if let identities = list("DEFAULT_VAULT_IDENTITY_LIST") { result["ANSIBLE_VAULT_IDENTITY_LIST"] = identities.joined(separator: ",") }
        return result
    }

    private func invalid(_ name: String, expected: String) -> KeelError {
        let resolved = values[name]
        let location = resolved?.line.map { SourceLocation(file: resolved?.origin ?? "", line: $0, column: 1) }
        return KeelError("\(name) (\(resolved?.origin ?? "")) has a value Keel cannot use", at: location, expected: expected,
                         found: "'\(resolved?.value.pythonText ?? "")'")
    }
}
