import KeelBase
import OrderedCollections

/// The command line's connection options as ansible-playbook treats them: defaults. A host's variable
/// (ansible_user, …) wins, then the play's or task's keyword (remote_user, connection), and only then
/// -u, --private-key, -c, -T and -k's password. The keywords are already in `variables` when this runs,
/// so a default fills only what is still unset under any of the variable's names.
struct ConnectionDefaults {
    let options: RunOptions

    init(_ options: RunOptions) { self.options = options }

    /// - Parameter host: "localhost" without ansible_host stays a local connection whatever -c says, as
    ///   Ansible's implicit localhost does.
    func filling(_ variables: OrderedDictionary<String, Value>, host: String) -> OrderedDictionary<String, Value> {
        var result = variables
        func fill(_ names: [String], _ value: Value?) {
            guard let value, !names.contains(where: { result[$0] != nil && result[$0] != .null }) else { return }
            result[names[0]] = value
        }
        fill(["ansible_user", "ansible_ssh_user", "ansible_remote_user"], options.remoteUser.map(Value.string))
        fill(["ansible_ssh_private_key_file", "ansible_private_key_file"], options.privateKeyFile.map(Value.string))
        if !(host == "localhost" && result["ansible_host"] == nil) { fill(["ansible_connection"], options.connection.map(Value.string)) }
        fill(["ansible_timeout", "ansible_ssh_timeout"], options.connectTimeout.map(Value.int))
        fill(["ansible_password", "ansible_ssh_pass", "ansible_ssh_password"], options.connectionPassword.map(Value.string))
        fill(["ansible_ssh_args"], options.sshArgs.map(Value.string))
        fill(["ansible_ssh_common_args"], options.sshCommonArgs.map(Value.string))
        fill(["ansible_ssh_extra_args"], options.sshExtraArgs.map(Value.string))
        return result
    }
}
