/// Why a host could not be reached or could not run something. Each case names the host, since these
/// surface in a recap covering many hosts.
public enum TransportError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    case connectFailed(host: String, address: String, port: Int, reason: String)
    case timedOut(host: String, operation: String, seconds: Double)
    case handshakeFailed(host: String, reason: String)
    /// The host presented a key that differs from the one recorded for it: possibly an attack.
    case hostKeyChanged(host: String, keyType: String, fingerprint: String, knownHosts: String)
    /// No key is recorded for the host and policy forbids trusting a new one.
    case hostKeyUnknown(host: String, keyType: String, fingerprint: String, knownHosts: [String])
    case authenticationFailed(host: String, user: String, methods: [String], serverAccepts: [String])
    case connectionLost(host: String, detail: String)
    case becomeFailed(host: String, detail: String)
    case channelFailed(host: String, detail: String)
    case closed(host: String)
    /// A connection variable of the wrong type or out of range, refused before connecting.
    case invalidSetting(host: String, variable: String, value: String, expected: String)
    /// The command did not finish within its time limit; it was stopped on the host.
    case commandTimedOut(host: String, seconds: Double)
    /// The run was interrupted (SIGINT/SIGTERM) while the command ran; it was stopped on the host.
    case interrupted(host: String)

    public var description: String {
        switch self {
        case let .connectFailed(host, address, port, reason):
            return "\(host): cannot connect to \(address) port \(port): \(reason)"
        case let .timedOut(host, operation, seconds):
            return "\(host): \(operation) timed out after \(Int(seconds)) s"
        case let .handshakeFailed(host, reason):
            return "\(host): SSH handshake failed: \(reason)"
        case let .hostKeyChanged(host, keyType, fingerprint, knownHosts):
            return "\(host): REMOTE HOST KEY CHANGED: the host offered \(keyType) key \(fingerprint), "
                + "which differs from the key recorded in \(knownHosts). Refusing to connect: it may be an attack. "
                + "If the host was reinstalled, remove the old entry (ssh-keygen -R) and connect again."
        case let .hostKeyUnknown(host, keyType, fingerprint, knownHosts):
            return "\(host): host key verification failed: no key recorded for this host in "
                + "\(knownHosts.joined(separator: ", ")); it offered \(keyType) key \(fingerprint). "
                + "Add it to known_hosts, or allow trusting new hosts with StrictHostKeyChecking=accept-new."
        case let .authenticationFailed(host, user, methods, serverAccepts):
            let tried = methods.isEmpty ? "no usable method" : methods.joined(separator: ", ")
            return "\(host): authentication failed for user '\(user)' (tried: \(tried); "
                + "server accepts: \(serverAccepts.joined(separator: ", ")))"
        case let .connectionLost(host, detail):
            return "\(host): connection lost: \(detail)"
        case let .becomeFailed(host, detail):
            return "\(host): become (sudo) failed: \(detail)"
        case let .channelFailed(host, detail):
            return "\(host): cannot run a command: \(detail)"
        case let .closed(host):
            return "\(host): the connection was already closed"
        case let .invalidSetting(host, variable, value, expected):
            return "\(host): invalid \(variable) '\(value)': expected \(expected)"
        case let .commandTimedOut(host, seconds):
            return "\(host): the command timed out after \(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)) s and was stopped"
        case let .interrupted(host):
            return "\(host): interrupted; the command was stopped"
        }
    }

    /// True when the host cannot be reached at all (Ansible's "unreachable"), as opposed to a failure
    /// of one command on a reachable host.
    public var isUnreachable: Bool {
        switch self {
        case .becomeFailed, .channelFailed, .invalidSetting, .commandTimedOut, .interrupted: return false
        default: return true
        }
    }
}
