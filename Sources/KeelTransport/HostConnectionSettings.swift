import Foundation
import KeelBase
import OrderedCollections

/// How to reach a host, read from its inventory variables with Ansible's names (ansible_host,
/// ansible_port, ansible_user, ansible_connection, ansible_ssh_private_key_file, ansible_password,
/// ansible_become_password, ansible_ssh_common_args / ansible_ssh_extra_args with -o options and -J).
/// Explicit variables override ~/.ssh/config, as Ansible's command-line options do.
/// Every typed value is checked here, before anything connects: a port of 99999 or "abc" is refused
/// with the host, the variable and the value, instead of wrapping or falling back to 22.
public struct HostConnectionSettings: Sendable {
    public enum Kind: Sendable, Equatable { case ssh(SSHTarget), local(becomePassword: String?) }

    public var kind: Kind
    /// ControlPersist= from the hosts' ssh argument strings (ansible.cfg's ssh_args): nil when not given.
    public var controlPersist: ConnectionPersistence.IdleTime?

    /// - Parameter becomePassword: the sudo password given on the command line (-K); a host's
    ///   `ansible_become_password` wins over it, as in Ansible.
    public init(hostName: String, variables: OrderedDictionary<String, Value>, becomePassword cliBecomePassword: String? = nil,
                config: SSHConfig = .userDefault(), defaultPolicy: HostKeyPolicy? = nil) throws {
        let values = ConnectionVariables(hostName: hostName, variables: variables)
        let becomePassword = try values.string("ansible_become_password", "ansible_become_pass", "ansible_sudo_pass") ?? cliBecomePassword
        let connection = try values.string("ansible_connection") ?? (hostName == "localhost" && variables["ansible_host"] == nil ? "local" : "ssh")
        if connection == "local" {
            kind = .local(becomePassword: becomePassword)
            return
        }
        guard ["ssh", "smart", "paramiko", "paramiko_ssh", "ansible.builtin.ssh"].contains(connection) else {
            throw values.invalid("ansible_connection", .string(connection), expected: "ssh or local")
        }
        // ansible_ssh_args (ansible.cfg's ssh_args) comes first on Ansible's ssh command line, and ssh keeps
        // the first value of an option.
        let extra = HostConnectionSettings.sshOptions(from: [try values.string("ansible_ssh_args"), try values.string("ansible_ssh_common_args"),
                                                             try values.string("ansible_ssh_extra_args")])
        var ssh = SSHTarget.resolve(hostName: hostName,
                                    address: try values.string("ansible_host", "ansible_ssh_host"),
                                    port: try values.port("ansible_port", "ansible_ssh_port"),
                                    user: try values.string("ansible_user", "ansible_ssh_user", "ansible_remote_user"),
                                    identityFile: try values.string("ansible_ssh_private_key_file", "ansible_private_key_file"),
                                    config: config)
        if let files = extra["userknownhostsfile"] { ssh.knownHostsFiles = files.split(separator: " ").map(String.init) }
        if let policy = defaultPolicy { ssh.hostKeyPolicy = policy }
        if let value = extra["stricthostkeychecking"] {
            guard let policy = HostKeyPolicy(sshValue: value) else {
                throw values.invalid("ansible_ssh_common_args", .string("StrictHostKeyChecking=\(value)"), expected: "yes, no, accept-new or off")
            }
            ssh.hostKeyPolicy = policy
        }
        if try values.bool("ansible_host_key_checking") == false { ssh.hostKeyPolicy = .off }
        if let value = extra["controlpersist"] {
            guard let idle = ConnectionPersistence.idleTime(sshValue: value) else {
                throw values.invalid("ansible_ssh_args", .string("ControlPersist=\(value)"), expected: "yes, no, or a time (60, 60s, 10m)")
            }
            controlPersist = idle
        }
        if let value = extra["identitiesonly"] { ssh.identitiesOnly = ["yes", "true"].contains(value.lowercased()) }
        if let value = extra["connecttimeout"] {
            ssh.connectTimeout = try values.seconds(.string(value), "ansible_ssh_common_args (ConnectTimeout)")
        }
        if let value = extra["serveraliveinterval"] {
            ssh.keepaliveInterval = try values.seconds(.string(value), "ansible_ssh_common_args (ServerAliveInterval)", allowZero: true)
        }
        if let jump = extra["proxyjump"] {
            ssh.jumps = jump.split(separator: ",").map { hop in
                let (user, host, port) = SSHTarget.parseHop(String(hop))
                var hopTarget = SSHTarget.resolve(hostName: host, port: port, user: user, config: config)
                hopTarget.knownHostsFiles = ssh.knownHostsFiles
                hopTarget.hostKeyPolicy = ssh.hostKeyPolicy
                hopTarget.identityFiles = ssh.identityFiles + hopTarget.identityFiles
                return hopTarget
            }
        }
        if let timeout = variables["ansible_timeout"] ?? variables["ansible_ssh_timeout"] {
            ssh.connectTimeout = try values.seconds(timeout, variables["ansible_timeout"] != nil ? "ansible_timeout" : "ansible_ssh_timeout")
        }
        ssh.password = try values.string("ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
        ssh.becomePassword = becomePassword
        kind = .ssh(ssh)
    }

    /// What makes two settings reach the same place the same way: connections are shared between tasks
    /// (and plays) only when this is equal, so a later play's remote_user or port opens its own connection.
    /// Plain strings only: it is built for every task, and interpolating an enum went through reflection.
    public var cacheKey: String {
        switch kind {
        case .local(let password):
            return "local|\(password.map { String($0.hashValue) } ?? "")"
        case .ssh(let t):
            let hops = t.jumps.map { "\($0.user)@\($0.address):\($0.port)" }.joined(separator: ",")
            return ["ssh", t.user, t.address, String(t.port), hops, t.identityFiles.joined(separator: ","),
                    t.password.map { String($0.hashValue) } ?? "", t.becomePassword.map { String($0.hashValue) } ?? "",
                    t.knownHostsFiles.joined(separator: ","), t.hostKeyPolicy.rawValue].joined(separator: "|")
        }
    }

    /// `-o Key=Value`, `-oKey=Value`, `-o "Key Value"` and `-J jump` from ssh argument strings, keys lowercased.
    static func sshOptions(from argumentStrings: [String?]) -> [String: String] {
        var options: [String: String] = [:]
        for text in argumentStrings.compactMap({ $0 }) {
            let words = ShellWords.split(text)
            var index = 0
            while index < words.count {
                var word = words[index]
                var option: String?
                if word == "-o", index + 1 < words.count { option = words[index + 1]; index += 1 }
                else if word.hasPrefix("-o") { option = String(word.dropFirst(2)) }
                else if word == "-J", index + 1 < words.count { options["proxyjump"] = words[index + 1]; index += 1 }
                if let option {
                    word = option
                    let (key, value) = SSHConfig.splitKeyword(word)
                    if options[key] == nil { options[key] = value }
                }
                index += 1
            }
        }
        return options
    }

    /// Opens the connection these settings describe: through a connection master when `persistence` is
    /// given and the target is eligible (no login or sudo password: those never leave this process).
    public func connect(persistence: ConnectionPersistence? = nil) async throws -> any Connection {
        switch kind {
        case .local(let becomePassword):
            return LocalConnection(becomePassword: becomePassword)
        case .ssh(let target):
            if let persistence, PersistedTarget.isEligible(target) {
                return try await MasterConnection.connect(target, persistence: persistence)
            }
            return try await SSHConnection.connect(target)
        }
    }
}

extension SSHTarget: Equatable {
    public static func == (a: SSHTarget, b: SSHTarget) -> Bool {
        a.hostName == b.hostName && a.address == b.address && a.port == b.port && a.user == b.user
    }
}

/// Splits a command-line string into words the way a POSIX shell would (quotes and backslashes).
public enum ShellWords {
    public static func split(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped { current.append(c); escaped = false; inWord = true; continue }
            if c == "\\" && quote != "'" { escaped = true; continue }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" { quote = c; inWord = true; continue }
            if c == " " || c == "\t" || c == "\n" {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(c)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }
}
