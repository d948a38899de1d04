import KeelBase
import OrderedCollections

/// A container or pod that is present or running holds its published host ports (port-conflict
/// detection: two containers publishing 3000 on one host, a container and an HAProxy bind on one port).
enum PodmanPublishedPorts {
    static func claims(_ arguments: OrderedDictionary<String, Value>) -> [PortClaim] {
        if let state = arguments["state"]?.stringValue, ["absent", "stopped", "created"].contains(state) { return [] }
        var entries: [Value] = []
        for key in ["publish", "ports", "published", "published_ports"] {
            switch arguments[key] {
            case .list(let list)?: entries += list
            case let value?: entries.append(value)
            case nil: break
            }
        }
        return entries.compactMap { $0.stringValue ?? $0.intValue.map(String.init) }.flatMap(PortClaim.published)
    }
}

extension PodmanContainerModule: PortClaiming {
    public static func portClaims(_ arguments: OrderedDictionary<String, Value>) -> [PortClaim] { PodmanPublishedPorts.claims(arguments) }
}

extension PodmanPodModule: PortClaiming {
    public static func portClaims(_ arguments: OrderedDictionary<String, Value>) -> [PortClaim] { PodmanPublishedPorts.claims(arguments) }
}
