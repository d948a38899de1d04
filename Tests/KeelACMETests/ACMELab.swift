import Foundation
import KeelBase
import OrderedCollections
import Testing

/// Every suite that uses the lab host and pebble, one after the other (they share the host's HAProxy and files).
@Suite("acme against pebble and a lab host", .serialized) struct ACMELabTests {}

/// One lab host and one pebble for the whole test process (pebble's names all resolve to the host).
actor ACMELab {
    static let shared = ACMELab()
    private var made: (ACMELabHost, PebbleCA, String)?

    /// The host, the CA, and pebble's root written to a file on this machine.
    func get() async throws -> (host: ACMELabHost, ca: PebbleCA, rootFile: String) {
        if let made { return made }
        let host = try await ACMELabHost.make()
        let ca = try PebbleCA(defaultAddress: host.address)
        let rootFile = ca.workDirectory + "/root.pem"
        try ca.rootPEM().write(toFile: rootFile, atomically: true, encoding: .utf8)
        made = (host, ca, rootFile)
        return (host, ca, rootFile)
    }
}

extension PebbleCA {
    /// The module's arguments for this CA, plus `extra`.
    func arguments(_ domains: [String], _ extra: OrderedDictionary<String, Value>) -> OrderedDictionary<String, Value> {
        var arguments: OrderedDictionary<String, Value> = [
            "domains": .list(domains.map(Value.string)), "acme_directory": .string(directory), "ca_path": .string(listenerCAPath),
            "terms_agreed": true, "account_email": "hostmaster@keel.test",
        ]
        for (key, value) in extra { arguments[key] = value }
        return arguments
    }
}
