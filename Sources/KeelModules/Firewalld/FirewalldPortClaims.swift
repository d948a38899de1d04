import KeelBase
import OrderedCollections

/// A port enabled in a zone is opened in the firewall: something on the host should listen on it.
extension FirewalldModule: PortClaiming {
    public static func portClaims(_ arguments: OrderedDictionary<String, Value>) -> [PortClaim] {
        guard arguments["state"]?.stringValue == "enabled", let spec = arguments["port"]?.stringValue else { return [] }
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        let proto = parts.count == 2 ? parts[1] : "tcp"
        return PortClaim.ports(parts[0]).map {
            PortClaim(port: $0, proto: proto, kind: .opensFirewall, what: "firewalld port \(spec)" + (arguments["zone"]?.stringValue.map { " in zone \($0)" } ?? ""))
        }
    }
}
