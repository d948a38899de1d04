import KeelBase

/// A port a task will make a host use, as its module reads it from the task's arguments: a listener (a
/// container's published port, an HAProxy bind) or a port opened in the firewall. Port-conflict
/// detection (`keel check`, and every run before it starts) compares the claims of all tasks per host.
public struct PortClaim: Sendable, Hashable {
    public enum Kind: String, Sendable { case listens, opensFirewall }

    public var port: Int
    public var proto: String
    /// The address it listens on; nil for every address (0.0.0.0, ::, *).
    public var address: String?
    public var kind: Kind
    /// What claims it, for messages: "bind :443 of frontend https", "publish 3000:3000".
    public var what: String

    public init(port: Int, proto: String = "tcp", address: String? = nil, kind: Kind = .listens, what: String) {
        self.port = port
        self.proto = proto.lowercased()
        self.address = address
        self.kind = kind
        self.what = what
    }

    /// Whether two listeners collide: same port and protocol, and one of them on every address or both on the same one.
    public func collides(with other: PortClaim) -> Bool {
        port == other.port && proto == other.proto && (address == nil || other.address == nil || address == other.address)
    }

    /// "3000", "3000-3002" (at most 1024 ports, so a typo cannot make a million claims).
    public static func ports(_ text: String) -> [Int] {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        switch parts.count {
        case 1: return parts[0].map { (1...65535).contains($0) ? [$0] : [] } ?? []
        case 2:
            guard let low = parts[0], let high = parts[1], 1 <= low, low <= high, high <= 65535, high - low < 1024 else { return [] }
            return Array(low...high)
        default: return []
        }
    }

    /// An address written before a port: empty, *, 0.0.0.0 and :: mean every address.
    static func address(_ text: Substring) -> String? {
        var text = String(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        return ["", "*", "0.0.0.0", "::", "ipv4@", "ipv6@"].contains(text) ? nil : text
    }

    /// A container's `publish`/`ports` entry: [[IP:]HOST_PORT:]CONTAINER_PORT[/PROTO]. Only entries with a
    /// host port claim one (a bare container port gets a random host port).
    public static func published(_ entry: String) -> [PortClaim] {
        var text = Substring(entry)
        var proto = "tcp"
        if let slash = text.lastIndex(of: "/") {
            proto = String(text[text.index(after: slash)...])
            text = text[..<slash]
        }
        // An IPv6 address is bracketed: [::1]:8080:80.
        var address: String?
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            address = Self.address(text[...close])
            text = text[text.index(after: close)...].drop { $0 == ":" }
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let hostPort: Substring
        switch parts.count {
        case 2: hostPort = parts[0]
        case 3:
            address = Self.address(parts[0])
            hostPort = parts[1]
        default: return []
        }
        return ports(String(hostPort)).map { PortClaim(port: $0, proto: proto, address: address, what: "publish \(entry)") }
    }

    /// An HAProxy bind address: [ADDRESS]:PORT[-END][,[ADDRESS]:PORT...]; unix sockets claim nothing.
    public static func bind(_ spec: String, frontend: String) -> [PortClaim] {
        let first = spec.split(separator: " ").first.map(String.init) ?? ""
        return first.split(separator: ",").flatMap { one -> [PortClaim] in
            guard !one.hasPrefix("unix@"), !one.hasPrefix("/"), let colon = one.lastIndex(of: ":") else { return [] }
            let address = Self.address(one[..<colon])
            return ports(String(one[one.index(after: colon)...])).map {
                PortClaim(port: $0, address: address, what: "bind \(one) of frontend \(frontend)")
            }
        }
    }
}
