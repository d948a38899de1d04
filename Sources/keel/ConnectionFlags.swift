import ArgumentParser
import KeelEngine

/// ansible-playbook's and ansible's connection options that `keel play` and `keel run` share: defaults
/// that a host's variables and the play's or task's keywords override (see ConnectionDefaults).
struct ConnectionFlags: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("connection")], help: "ssh (default) or local, unless a host's ansible_connection or the play's connection says otherwise.")
    var connection: String?

    @Option(name: [.customShort("T"), .customLong("timeout")], help: "Seconds to wait for a connection, unless a host's ansible_timeout says otherwise.")
    var timeout: Int?

    @Flag(name: [.customShort("k"), .customLong("ask-pass")], help: "Ask for the SSH login password once (hosts' ansible_password wins).")
    var askPass = false

    @Option(name: .customLong("become-method"), help: "sudo (default) or su (su only from a root login), unless a play, task or host says otherwise.")
    var becomeMethod: String?

    func validate() throws {
        if let connection, !["ssh", "local", "smart", "paramiko", "ansible.builtin.ssh", "ansible.builtin.local"].contains(connection) {
            throw ValidationError("--connection takes ssh or local, not '\(connection)'")
        }
        if let timeout, timeout < 1 { throw ValidationError("--timeout takes a number of seconds of at least 1, not \(timeout)") }
        if let becomeMethod, !["sudo", "su", "ansible.builtin.sudo", "ansible.builtin.su"].contains(becomeMethod) {
            throw ValidationError("--become-method takes sudo or su, not '\(becomeMethod)'")
        }
    }

    /// Sets the options given (ansible.cfg's values stay for the others); the password prompt waits for `askForPassword`, so listings never ask.
    func apply(to options: inout RunOptions) {
        if let connection { options.connection = connection.hasPrefix("ansible.builtin.") ? String(connection.dropFirst("ansible.builtin.".count)) : connection }
        if let timeout { options.connectTimeout = timeout }
        if let becomeMethod { options.becomeMethod = becomeMethod }
    }

    func askForPassword(into options: inout RunOptions) {
        if askPass { options.connectionPassword = PasswordPrompt.read("SSH password: ") }
    }
}
