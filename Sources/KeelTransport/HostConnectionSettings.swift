import Foundation
import KeelBase
import OrderedCollections

/// How to reach a host, read from its inventory variables with Ansible's names (ansible_host,
/// ansible_port, ansible_user, ansible_connection, ansible_ssh_private_key_file, ansible_password,
/// ansible_become_password, ansible_ssh_common_args / ansible_ssh_extra_args with -o options and -J).
/// Explicit variables override ~/.ssh/config, as Ansible's command-line options do.
public struct HostConnectionSettings: Sendable {
    public enum Kind: Sendable, Equatable { case ssh(SSHTarget), local(becomePassword: String?) }

    public var kind: Kind

    public init(hostName: String, variables: OrderedDictionary<String, Value>, config: SSHConfig = .userDefault(),
                defaultPolicy: HostKeyPolicy? = nil) {
        func string(_ names: String...) -> String? {
            for name in names {
                switch variables[name] {
                case .string(let s)?: return s
                case .int(let i)?: return String(i)
                default: continue
                }
            }
            return nil
        }
        let becomePassword = string("ansible_become_password", "ansible_become_pass", "ansible_sudo_pass")
        let connection = string("ansible_connection") ?? (hostName == "localhost" && variables["ansible_host"] == nil ? "local" : "ssh")
        if connection == "local" {
            kind = .local(becomePassword: becomePassword)
            return
        }
        let extra = HostConnectionSettings.sshOptions(from: [string("ansible_ssh_common_args"), string("ansible_ssh_extra_args")])
        var ssh = SSHTarget.resolve(hostName: hostName,
                                    address: string("ansible_host", "ansible_ssh_host"),
                                    port: string("ansible_port", "ansible_ssh_port").flatMap { Int($0) },
                                    user: string("ansible_user", "ansible_ssh_user", "ansible_remote_user"),
                                    identityFile: string("ansible_ssh_private_key_file", "ansible_private_key_file"),
                                    config: config)
        if let files = extra["userknownhostsfile"] { ssh.knownHostsFiles = files.split(separator: " ").map(String.init) }
        if let policy = defaultPolicy { ssh.hostKeyPolicy = policy }
        if let value = extra["stricthostkeychecking"], let policy = HostKeyPolicy(sshValue: value) { ssh.hostKeyPolicy = policy }
        if case .bool(false)? = variables["ansible_host_key_checking"] { ssh.hostKeyPolicy = .off }
        if let value = extra["identitiesonly"] { ssh.identitiesOnly = ["yes", "true"].contains(value.lowercased()) }
        if let value = extra["connecttimeout"], let seconds = Double(value) { ssh.connectTimeout = seconds }
        if let value = extra["serveraliveinterval"], let seconds = Double(value) { ssh.keepaliveInterval = seconds }
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
        if let timeout = string("ansible_timeout").flatMap(Double.init) { ssh.connectTimeout = timeout }
        ssh.password = string("ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
        ssh.becomePassword = becomePassword
        kind = .ssh(ssh)
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

    /// Opens the connection these settings describe.
    public func connect() async throws -> any Connection {
        switch kind {
        case .local(let becomePassword):
            return LocalConnection(becomePassword: becomePassword)
        case .ssh(let target):
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
