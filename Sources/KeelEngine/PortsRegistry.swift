import Foundation
import KeelBase
import KeelModel
import KeelModules

/// The ports a team declares by hand for port-conflict detection: services the playbooks do not manage
/// (sshd, a database installed by hand, a monitoring agent). Two places, the same entry format
/// `{port: 5432, proto: tcp, address: 127.0.0.1, name: postgresql}`:
/// - `ports.yml` beside the playbook: a mapping from host patterns (as in `hosts:`) to lists of entries;
/// - a host's `keel_ports` variable (inventory, group_vars, host_vars): a list of entries.
/// A task that wants one of these ports conflicts with the entry.
struct PortsRegistry {
    struct Entry {
        var pattern: String
        var claim: PortClaim
        var location: SourceLocation
    }

    var entries: [Entry] = []
    var problems: [KeelError] = []

    static func load(beside directory: String) -> PortsRegistry {
        let path = (directory.isEmpty ? "." : directory) + "/ports.yml"
        guard FileManager.default.fileExists(atPath: path) else { return PortsRegistry() }
        var registry = PortsRegistry()
        do {
            guard let root = try YAMLLoader.load(file: path) else { return registry }
            guard case .mapping(let pairs) = root.kind else {
                registry.problems.append(KeelError("ports.yml must map host patterns to lists of ports", at: root.location,
                                                   expected: "all: [{port: 22, name: sshd}]"))
                return registry
            }
            for pair in pairs {
                guard case .sequence(let items) = pair.value.kind else {
                    registry.problems.append(KeelError("ports.yml: '\(pair.key)' must be a list of ports", at: pair.value.location))
                    continue
                }
                for item in items {
                    switch entry(item.value, source: "ports.yml") {
                    case .success(let claim): registry.entries.append(Entry(pattern: pair.key, claim: claim, location: item.location))
                    case .failure(let problem): registry.problems.append(problem.located(at: item.location))
                    }
                }
            }
        } catch {
            registry.problems.append(error as? KeelError ?? KeelError("ports.yml: \(error)"))
        }
        return registry
    }

    /// `{port, proto, address, name}`, or a bare port number.
    static func entry(_ value: Value, source: String) -> Result<PortClaim, KeelError> {
        if let port = value.intValue { return .success(PortClaim(port: port, what: "\(source) port \(port)")) }
        guard let fields = value.dictValue, let port = fields["port"]?.intValue ?? fields["port"]?.stringValue.flatMap({ Int($0) }),
              (1...65535).contains(port) else {
            return .failure(KeelError("\(source): an entry needs a port between 1 and 65535", expected: "{port: 5432, name: postgresql}",
                                      found: value.jsonString()))
        }
        let name = fields["name"]?.stringValue ?? "port \(port)"
        let address = fields["address"]?.stringValue.flatMap { ["", "*", "0.0.0.0", "::"].contains($0) ? nil : $0 }
        return .success(PortClaim(port: port, proto: fields["proto"]?.stringValue ?? fields["protocol"]?.stringValue ?? "tcp",
                                  address: address, what: "\(name) from \(source)"))
    }

    func uses(for host: String, inventory: Inventory) -> [PortConflicts.Use] {
        entries.compactMap { entry in
            guard (try? inventory.select(pattern: entry.pattern))?.contains(host) == true
                    || (entry.pattern == "localhost" && host == "localhost") else { return nil }
            return PortConflicts.Use(claim: entry.claim, user: "ports.yml:\(entry.claim.what)",
                                     description: "\(entry.claim.what) (\(PortConflicts.place(entry.location)))", location: entry.location)
        }
    }
}
