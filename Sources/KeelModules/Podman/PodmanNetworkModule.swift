import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_network` (containers.podman.podman_network): a podman network exists with the settings the
/// task gives, or is absent. podman cannot change a network in place, so any differing setting recreates
/// it; the diff names each one. Settings the task does not give are left as podman chose them.
public struct PodmanNetworkModule: Module {
    public static let name = "podman_network"
    public static let aliases = ["containers.podman.podman_network"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Create, recreate or remove podman networks",
        description: """
            Observed with `podman network inspect`; compared are the settings the task gives: driver, subnet, gateway, \
            internal, ipv6, disable_dns, interface_name and opt (mtu, vlan and the driver's other options). Any difference \
            recreates the network (`podman network rm`, with -f when force is true, which also removes the containers using \
            it; without force podman refuses to remove a network in use, and the task fails with its message).
            """,
        examples: """
            - name: An internal network for the database
              containers.podman.podman_network:
                name: backend
                subnet: 10.90.0.0/24
                gateway: 10.90.0.1
                internal: true
            """,
        deviations: [
            "Only the settings the task gives are compared (containers.podman also compares defaults it assumes); ip_range is applied at creation but not compared, as in containers.podman.",
            "dns, route, net_config, ipam_driver, macvlan and the quadlet state are not supported.",
            "recreate: true recreates the network on every run, as in containers.podman.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The network.") var name: String
        @Option("state", choices: NetworkState.self, default: .present, help: "present or absent.") var state: NetworkState
        @Option("driver", .string, format: .word, help: "bridge (podman's default), macvlan or ipvlan.") var driver: String?
        @Option("subnet", .string, format: .word, help: "The subnet in CIDR form (10.90.0.0/24).") var subnet: String?
        @Option("gateway", .string, format: .word, help: "The gateway address within subnet.") var gateway: String?
        @Option("ip_range", .string, format: .word, help: "The range containers get addresses from (CIDR); applied at creation only.") var ip_range: String?
        @Option("internal", .bool, help: "No route out of the network (for a database network).") var `internal`: Bool?
        @Option("ipv6", .bool, help: "Enable IPv6.") var ipv6: Bool?
        @Option("disable_dns", .bool, help: "No DNS for container names on this network.") var disable_dns: Bool?
        @Option("interface_name", .string, format: .word, help: "The host's bridge interface name.") var interface_name: String?
        @Option("opt", .dict, help: "Driver options: mtu, vlan, isolate, metric, mode, parent, ...") var opt: Value?
        @Option("recreate", .bool, default: false, help: "Recreate the network even when it matches (every run).") var recreate: Bool
        @Option("force", .bool, default: false, help: "Remove the containers using the network when it is removed or recreated.") var force: Bool
        @Option("executable", .string, default: "podman", format: .word, help: "The podman program.") var executable: String
        public init() {}
    }

    public enum NetworkState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var network: Value?
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case create(name: String, flags: [String], executable: String)
        case remove(name: String, force: Bool, executable: String)

        public var description: String {
            switch self {
            case .create(let name, let flags, _): return (["podman", "network", "create"] + flags + [name]).joined(separator: " ")
            case .remove(let name, let force, _): return "podman network rm \(force ? "-f " : "")\(name)"
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        State(network: try await PodmanImageShell.inspect("network", a.name, on: host, executable: a.executable))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["name": .string(a.name)]
        values["network"] = observed.network ?? .dict([:])
        let label = "network \(a.name)"
        guard a.state == .present else {
            guard observed.network != nil else { return .unchanged(values: values) }
            var changes = FieldChanges()
            changes.compare("state", desired: "absent", observed: "present")
            return Plan(steps: [.remove(name: a.name, force: a.force, executable: a.executable)], diffs: [changes.diff(label: label)],
                        values: values, fieldChanges: changes)
        }
        let options = try PodmanImageShell.userMap(a.opt, option: "opt") ?? [:]
        let create = Step.create(name: a.name, flags: flags(a, options), executable: a.executable)
        guard let network = observed.network else {
            var changes = FieldChanges()
            changes.compare("state", desired: "present", observed: "absent")
            return Plan(steps: [create], diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
        }
        var changes = compare(a, options, network)
        if a.recreate, changes.isEmpty { changes.compare("recreate", desired: "true", observed: "false", requiresReplace: true) }
        guard !changes.isEmpty else { return .unchanged(values: values) }
        return Plan(steps: [.remove(name: a.name, force: a.force, executable: a.executable), create], diffs: [changes.diff(label: label)],
                    values: values, fieldChanges: changes)
    }

    /// Each setting the task gives against podman's view of the network.
    func compare(_ a: Arguments, _ options: [String: String], _ network: Value) -> FieldChanges {
        let subnets = network["subnets"]?.listValue ?? []
        let ipv4 = subnets.first { !($0["subnet"]?.stringValue ?? "").contains(":") } ?? subnets.first
        let observedOptions = PodmanImageShell.stringMap(network["options"])
        var changes = FieldChanges()
        changes.compare("driver", desired: a.driver, observed: network["driver"]?.stringValue, requiresReplace: true)
        changes.compare("subnet", desired: a.subnet, observed: ipv4?["subnet"]?.stringValue, requiresReplace: true)
        changes.compare("gateway", desired: a.gateway, observed: ipv4?["gateway"]?.stringValue, requiresReplace: true)
        changes.compare("internal", desired: a.`internal`, observed: network["internal"]?.boolValue ?? false, requiresReplace: true)
        changes.compare("ipv6", desired: a.ipv6, observed: network["ipv6_enabled"]?.boolValue ?? false, requiresReplace: true)
        changes.compare("disable_dns", desired: a.disable_dns, observed: !(network["dns_enabled"]?.boolValue ?? false), requiresReplace: true)
        changes.compare("interface_name", desired: a.interface_name, observed: network["network_interface"]?.stringValue, requiresReplace: true)
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            changes.compare("opt.\(key)", desired: value, observed: observedOptions[key], requiresReplace: true)
        }
        return changes
    }

    func flags(_ a: Arguments, _ options: [String: String]) -> [String] {
        var flags: [String] = []
        if let driver = a.driver { flags += ["--driver", driver] }
        if let subnet = a.subnet { flags += ["--subnet", subnet] }
        if let gateway = a.gateway { flags += ["--gateway", gateway] }
        if let range = a.ip_range { flags += ["--ip-range", range] }
        if a.`internal` == true { flags.append("--internal") }
        if a.ipv6 == true { flags.append("--ipv6") }
        if a.disable_dns == true { flags.append("--disable-dns") }
        if let interface = a.interface_name { flags += ["--interface-name", interface] }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { flags += ["--opt", "\(key)=\(value)"] }
        return flags
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var last: (name: String, executable: String)?
        for step in plan.steps {
            switch step {
            case .create(let name, let flags, let executable):
                try await PodmanImageShell.run(["network", "create"] + flags + [name], on: host, failure: "cannot create network \(name)", executable: executable)
                last = (name, executable)
            case .remove(let name, let force, let executable):
                try await PodmanImageShell.run(["network", "rm"] + (force ? ["-f"] : []) + [name], on: host,
                                               failure: "cannot remove network \(name)", executable: executable)
            }
        }
        guard let last else { return .changed(["network": .dict([:])]) }
        let network = try await PodmanImageShell.inspect("network", last.name, on: host, executable: last.executable)
        return .changed(["network": network ?? .dict([:])])
    }
}
