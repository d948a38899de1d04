import KeelBase
import OrderedCollections

/// HAProxy listens on every frontend's binds: those are the ports it claims on the host.
extension HAProxyConfigModule: PortClaiming {
    public static func portClaims(_ arguments: OrderedDictionary<String, Value>) -> [PortClaim] {
        guard case .list(let frontends)? = arguments["frontends"] else { return [] }
        return frontends.flatMap { frontend -> [PortClaim] in
            guard let fields = frontend.dictValue else { return [] }
            let name = fields["name"]?.stringValue ?? "?"
            var binds: [Value] = []
            if case .list(let list)? = fields["binds"] { binds += list }
            if let one = fields["bind"] { binds.append(one) }
            return binds.flatMap { bind -> [PortClaim] in
                let spec = bind.stringValue ?? bind.dictValue?["address"]?.stringValue ?? ""
                return PortClaim.bind(spec, frontend: name)
            }
        }
    }
}
