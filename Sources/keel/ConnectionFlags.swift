import ArgumentParser
import Foundation
import KeelEngine
import KeelTransport

/// ansible-playbook's and ansible's connection options that `keel play` and `keel run` share: defaults
/// that a host's variables and the play's or task's keywords override (see ConnectionDefaults).
struct ConnectionFlags: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("connection")], help: "ssh (default) or local, unless a host's ansible_connection or the play's connection says otherwise.")
    var connection: String?

    @Option(name: [.customShort("T"), .customLong("timeout")], help: "Seconds to wait for a connection, unless a host's ansible_timeout says otherwise.")
    var timeout: Int?

    @Flag(name: [.customShort("k"), .customLong("ask-pass")], help: "Ask for the SSH login password once (hosts' ansible_password wins).")
    var askPass = false

    @Option(name: .customLong("control-persist"), help: ArgumentHelp(
        "Keep each host's SSH login in a background connection master for this many idle seconds, so later runs skip the login (0: off, the default; env KEEL_CONTROL_PERSIST; ansible.cfg's ssh_args ControlPersist= when not given).",
        valueName: "seconds"))
    var controlPersist: Double?

    @Option(name: .customLong("become-method"), help: "sudo (default) or su (su only from a root login), unless a play, task or host says otherwise.")
    var becomeMethod: String?

    func validate() throws {
        if let connection, !["ssh", "local", "smart", "paramiko", "ansible.builtin.ssh", "ansible.builtin.local"].contains(connection) {
            throw ValidationError("--connection takes ssh or local, not '\(connection)'")
        }
        if let controlPersist, controlPersist < 0 || !controlPersist.isFinite {
            throw ValidationError("--control-persist takes a number of seconds (0 turns it off), not \(controlPersist)")
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
        options.connectionMasterExecutable = ConnectionPersistence.currentExecutable
        if let controlPersist {
            options.controlPersist = controlPersist == 0 ? .off : .seconds(controlPersist)
        } else if let text = ProcessInfo.processInfo.environment["KEEL_CONTROL_PERSIST"], !text.isEmpty {
            // The environment speaks the flag's language: a number of seconds, 0 for off.
            if let seconds = Double(text), seconds >= 0, seconds.isFinite {
                options.controlPersist = seconds == 0 ? .off : .seconds(seconds)
            } else {
                FileHandle.standardError.write(Data("keel: KEEL_CONTROL_PERSIST='\(text)' is not a number of seconds; connection persistence stays off\n".utf8))
                options.controlPersist = .off
            }
        }
    }

    func askForPassword(into options: inout RunOptions) {
        if askPass { options.connectionPassword = PasswordPrompt.read("SSH password: ") }
    }
}
