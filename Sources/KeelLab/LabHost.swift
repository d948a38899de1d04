/// One disposable host as the rest of Keel sees it: enough to reach it over SSH and trust its key.
public struct LabHost: Codable, Sendable, Equatable {
    public var name: String
    public var address: String
    public var flavor: LabFlavor
    /// The host's current public key, `ssh-ed25519 AAAA...` (no comment).
    public var hostKey: String

    public init(name: String, address: String, flavor: LabFlavor, hostKey: String) {
        self.name = name
        self.address = address
        self.flavor = flavor
        self.hostKey = hostKey
    }
}

/// What runs inside a host.
public enum LabFlavor: String, Codable, Sendable, CaseIterable {
    /// An overlay of this machine's own root filesystem with `tini -> sshd` as PID 1: starts in a fraction
    /// of a second, but has no init system (services must be started by hand).
    case light
    /// A Debian bookworm tree booted by `systemd-nspawn -b`: a real systemd, as on a fresh VPS.
    case systemd
}
