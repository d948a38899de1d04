import Foundation

/// The subset of ssh_config(5) Keel honours, so hosts that work with `ssh` work with Keel: Host blocks with
/// patterns (`*`, `?`, `!negation`), HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump,
/// StrictHostKeyChecking, UserKnownHostsFile, ConnectTimeout, ServerAliveInterval. As in ssh, the first
/// value found for a keyword wins, except IdentityFile and UserKnownHostsFile, which accumulate.
public struct SSHConfig: Sendable {
    struct Block: Sendable {
        var patterns: [String]
        var options: [(key: String, value: String)]
    }

    var blocks: [Block]

    public init(text: String) {
        var blocks: [Block] = [Block(patterns: ["*"], options: [])]   // lines before any Host apply to all
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (key, value) = SSHConfig.splitKeyword(line)
            if key == "host" {
                blocks.append(Block(patterns: SSHConfig.words(value), options: []))
            } else if key == "match" {
                // Match blocks need criteria we do not evaluate; a never-matching block keeps their options out.
                blocks.append(Block(patterns: ["!*"], options: []))
            } else {
                blocks[blocks.count - 1].options.append((key, value))
            }
        }
        self.blocks = blocks
    }

    /// ~/.ssh/config of the current user, or an empty config.
    public static func userDefault() -> SSHConfig {
        let path = NSString(string: "~/.ssh/config").expandingTildeInPath
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return SSHConfig(text: text)
    }

    /// Every option that applies to `host`, resolved in ssh's order.
    public func resolve(host: String) -> ResolvedSSHOptions {
        var found = ResolvedSSHOptions()
        for block in blocks where SSHConfig.matches(host: host, patterns: block.patterns) {
            for (key, value) in block.options {
                switch key {
                case "hostname": if found.hostName == nil { found.hostName = value.replacingOccurrences(of: "%h", with: host) }
                case "user": if found.user == nil { found.user = value }
                case "port": if found.port == nil { found.port = Int(value) }
                case "identityfile": found.identityFiles.append(SSHConfig.expandPath(value, host: host))
                case "identitiesonly": if found.identitiesOnly == nil { found.identitiesOnly = SSHConfig.yes(value) }
                case "proxyjump": if found.proxyJump == nil { found.proxyJump = value }
                case "stricthostkeychecking":
                    if found.strictHostKeyChecking == nil { found.strictHostKeyChecking = HostKeyPolicy(sshValue: value) }
                case "userknownhostsfile":
                    if found.userKnownHostsFiles == nil {
                        found.userKnownHostsFiles = SSHConfig.words(value).map { SSHConfig.expandPath($0, host: host) }
                    }
                case "connecttimeout": if found.connectTimeout == nil { found.connectTimeout = Double(value) }
                case "serveraliveinterval": if found.serverAliveInterval == nil { found.serverAliveInterval = Double(value) }
                default: continue
                }
            }
        }
        return found
    }

    static func splitKeyword(_ line: String) -> (String, String) {
        // "Key value", "Key=value" and "Key = value" are all valid.
        let separators = CharacterSet.whitespaces.union(CharacterSet(charactersIn: "="))
        guard let range = line.rangeOfCharacter(from: separators) else { return (line.lowercased(), "") }
        let key = String(line[..<range.lowerBound]).lowercased()
        var value = String(line[range.lowerBound...]).trimmingCharacters(in: separators)
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        return (key, value)
    }

    static func words(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    static func yes(_ value: String) -> Bool { ["yes", "true"].contains(value.lowercased()) }

    static func expandPath(_ path: String, host: String) -> String {
        var p = path.replacingOccurrences(of: "%h", with: host)
            .replacingOccurrences(of: "%d", with: NSHomeDirectory())
            .replacingOccurrences(of: "%u", with: NSUserName())
        if p.hasPrefix("~") { p = NSString(string: p).expandingTildeInPath }
        return p
    }

    /// ssh's pattern-list semantics: a negated match excludes the host even if another pattern matches.
    static func matches(host: String, patterns: [String]) -> Bool {
        var matched = false
        for pattern in patterns.flatMap({ $0.split(separator: ",").map(String.init) }) {
            if pattern.hasPrefix("!") {
                if glob(String(pattern.dropFirst()), host) { return false }
            } else if glob(pattern, host) {
                matched = true
            }
        }
        return matched
    }

    /// `*` and `?` wildcards, case-insensitive as hostnames are.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.lowercased()), t = Array(text.lowercased())
        var pi = 0, ti = 0, starP = -1, starT = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count, p[pi] == "*" { starP = pi; starT = ti; pi += 1 }
            else if starP >= 0 { pi = starP + 1; starT += 1; ti = starT }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// The options ssh_config gave for one host; nil means "not set there".
public struct ResolvedSSHOptions: Sendable, Equatable {
    public var hostName: String?
    public var user: String?
    public var port: Int?
    public var identityFiles: [String] = []
    public var identitiesOnly: Bool?
    public var proxyJump: String?
    public var strictHostKeyChecking: HostKeyPolicy?
    public var userKnownHostsFiles: [String]?
    public var connectTimeout: Double?
    public var serverAliveInterval: Double?
}

/// What to do with a host key: `strict` refuses unknown hosts, `acceptNew` records the key of a host seen
/// for the first time (never a changed one), `off` checks nothing (StrictHostKeyChecking=no, as in tests).
public enum HostKeyPolicy: String, Sendable, Equatable {
    case strict
    case acceptNew = "accept-new"
    case off

    public init?(sshValue: String) {
        switch sshValue.lowercased() {
        case "yes", "ask", "true": self = .strict
        case "accept-new": self = .acceptNew
        case "no", "off", "false": self = .off
        default: return nil
        }
    }
}
