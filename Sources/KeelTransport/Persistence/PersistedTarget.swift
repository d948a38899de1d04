import Crypto
import Foundation
import KeelBase

extension HostKeyPolicy: Codable {}

/// The SSHTarget a connection master logs in with, as handed to it: everything a direct connection would
/// use (address, port, user, keys, agent, known_hosts files and policy, timeouts, jump hosts) and, by
/// construction, never a password: targets with one are not eligible for a master (see eligibility).
struct PersistedTarget: Codable, Equatable {
    var hostName: String
    var address: String
    var port: Int
    var user: String
    var identityFiles: [String]
    var identitiesOnly: Bool
    var useAgent: Bool
    var knownHostsFiles: [String]
    var hostKeyPolicy: HostKeyPolicy
    var connectTimeout: Double
    var handshakeTimeout: Double
    var keepaliveInterval: Double
    var jumps: [PersistedTarget]

    init(_ target: SSHTarget) {
        hostName = target.hostName
        address = target.address
        port = target.port
        user = target.user
        identityFiles = target.identityFiles
        identitiesOnly = target.identitiesOnly
        useAgent = target.useAgent
        knownHostsFiles = target.knownHostsFiles
        hostKeyPolicy = target.hostKeyPolicy
        connectTimeout = target.connectTimeout
        handshakeTimeout = target.handshakeTimeout
        keepaliveInterval = target.keepaliveInterval
        jumps = target.jumps.map(PersistedTarget.init)
    }

    var target: SSHTarget {
        var target = SSHTarget(hostName: hostName, address: address, port: port, user: user, knownHostsFiles: knownHostsFiles)
        target.identityFiles = identityFiles
        target.identitiesOnly = identitiesOnly
        target.useAgent = useAgent
        target.hostKeyPolicy = hostKeyPolicy
        target.connectTimeout = connectTimeout
        target.handshakeTimeout = handshakeTimeout
        target.keepaliveInterval = keepaliveInterval
        target.jumps = jumps.map(\.target)
        return target
    }

    /// A master serves exactly one way of logging in: passwords are never handed to another process.
    static func isEligible(_ target: SSHTarget) -> Bool {
        target.password == nil && target.becomePassword == nil && target.jumps.allSatisfy { $0.password == nil }
    }

    var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The socket's name: a digest of everything that decides where and how the login goes (the inventory
    /// name included, since it is in every message the master sends back), like ssh's ControlPath %C.
    var digest: String {
        hexString(SHA256.hash(data: json).prefix(16))
    }

    /// `user@address:port` (with its jumps), for listings.
    var summary: String {
        let hops = jumps.map { "\($0.user)@\($0.address):\($0.port)" }
        return "\(user)@\(address):\(port)" + (hops.isEmpty ? "" : " via " + hops.joined(separator: ","))
    }
}
