import Foundation

/// Everything needed to open an SSH session to one host: the merge of inventory variables
/// (ansible_host, ansible_user, ...) over ~/.ssh/config over defaults.
public struct SSHTarget: Sendable {
    /// The inventory name, used in messages.
    public var hostName: String
    /// What to connect to (ansible_host or HostName), an IP address or a DNS name.
    public var address: String
    public var port: Int = 22
    public var user: String
    public var identityFiles: [String] = []
    public var identitiesOnly = false
    public var useAgent = true
    /// A login password (ansible_password); kept in memory only.
    public var password: String?
    public var knownHostsFiles: [String]
    public var hostKeyPolicy: HostKeyPolicy = .strict
    public var connectTimeout: Double = 10
    /// How long libssh2 may wait for any single answer during the handshake and authentication.
    public var handshakeTimeout: Double = 30
    /// Send a keepalive after this many idle seconds; 0 turns them off.
    public var keepaliveInterval: Double = 15
    /// Hosts to tunnel through, outermost first (ProxyJump).
    public var jumps: [SSHTarget] = []
    /// The sudo password for become, given once for the whole session.
    public var becomePassword: String?

    public init(hostName: String, address: String? = nil, port: Int = 22, user: String? = nil,
                knownHostsFiles: [String]? = nil) {
        self.hostName = hostName
        self.address = address ?? hostName
        self.port = port
        self.user = user ?? NSUserName()
        self.knownHostsFiles = knownHostsFiles ?? SSHTarget.defaultKnownHostsFiles
    }

    public static var defaultKnownHostsFiles: [String] {
        [NSString(string: "~/.ssh/known_hosts").expandingTildeInPath, "/etc/ssh/ssh_known_hosts"]
    }

    /// The default identities ssh tries when none is configured.
    public static var defaultIdentityFiles: [String] {
        ["id_ed25519", "id_ecdsa", "id_rsa"].map { NSString(string: "~/.ssh/\($0)").expandingTildeInPath }
    }

    /// Builds a target for `hostName` the way ssh would (config file first), then lets explicit
    /// values (from the inventory) override, as Ansible's command-line options do.
    public static func resolve(hostName: String, address: String? = nil, port: Int? = nil, user: String? = nil,
                               identityFile: String? = nil, config: SSHConfig = .userDefault()) -> SSHTarget {
        let options = config.resolve(host: address ?? hostName)
        var target = SSHTarget(hostName: hostName,
                               address: address ?? options.hostName ?? hostName,
                               port: port ?? options.port ?? 22,
                               user: user ?? options.user,
                               knownHostsFiles: options.userKnownHostsFiles)
        if let identityFile { target.identityFiles.append(NSString(string: identityFile).expandingTildeInPath) }
        target.identityFiles.append(contentsOf: options.identityFiles)
        target.identitiesOnly = options.identitiesOnly ?? false
        if let policy = options.strictHostKeyChecking { target.hostKeyPolicy = policy }
        if let timeout = options.connectTimeout { target.connectTimeout = timeout }
        if let interval = options.serverAliveInterval { target.keepaliveInterval = interval }
        if let jump = options.proxyJump, jump.lowercased() != "none" {
            target.jumps = jump.split(separator: ",").map { hop in
                let (user, host, port) = SSHTarget.parseHop(String(hop))
                return SSHTarget.resolve(hostName: host, port: port, user: user, config: config)
            }
        }
        return target
    }

    /// `user@host:port`, `host:port`, `host`, and `[v6]:port`.
    static func parseHop(_ text: String) -> (user: String?, host: String, port: Int?) {
        var rest = text.hasPrefix("ssh://") ? String(text.dropFirst(6)) : text
        var user: String?
        if let at = rest.lastIndex(of: "@") { user = String(rest[..<at]); rest = String(rest[rest.index(after: at)...]) }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            return (user, host, after.hasPrefix(":") ? Int(after.dropFirst()) : nil)
        }
        if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) {
            return (user, String(rest[..<colon]), port)
        }
        return (user, rest, nil)
    }
}
