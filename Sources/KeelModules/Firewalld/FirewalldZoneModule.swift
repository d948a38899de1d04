import KeelBase
import KeelTransport
import OrderedCollections

/// `firewalld_zone`: Keel's declarative form. A zone is described whole (services, ports, sources,
/// interfaces, rich rules, masquerade, target, ICMP blocks) and, with `purge: true`, becomes exactly
/// that. Both the permanent and the runtime configuration converge by default; when firewalld does not
/// run, the zone's XML is written instead (offline), so a host can be prepared before its firewall starts.
public struct FirewalldZoneModule: Module {
    public static let name = "firewalld_zone"
    public static let aliases = ["keel.firewalld_zone"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Converge a whole firewalld zone (permanent and runtime, or its XML when firewalld is stopped)",
        description: """
            Observes the zone in one round trip (firewall-cmd --list-all for the permanent and the runtime configuration when \
            firewalld runs; the zone XML in /etc/firewalld/zones, else the shipped default in /usr/lib/firewalld/zones, when it \
            does not), plans the difference and applies it with firewall-cmd, or offline by rewriting the zone XML atomically \
            (checked first with firewall-offline-cmd --check-config on a copy of /etc/firewalld holding the new file; if firewalld \
            objects, nothing changes). The diff shows the \
            zone before and after, one setting or item per line. Lock-out guard: a change that would stop the zone handling the \
            controller's packets from accepting SSH (from the address and to the port of Keel's own connection, as the host sees \
            them in SSH_CONNECTION) is refused unless allow_lockout is true.
            """,
        examples: """
            - name: the public zone is exactly HTTP and HTTPS, dropping the rest
              firewalld_zone:
                zone: public
                services: [http, https]
                target: DROP
                log_denied: all
                purge: true
            - name: SSH only from the office and the VPN
              firewalld_zone:
                zone: admin
                sources: [203.0.113.0/24, 10.8.0.0/16]
                services: [ssh]
            - name: a rate-limited port, added to what the zone has
              firewalld_zone:
                zone: public
                rich_rules:
                  - rule family=ipv4 port port=8443 protocol=tcp accept limit value=10/minute
            """,
        deviations: [
            "Keel's own module: Ansible has no declarative whole-zone module (ansible.posix.firewalld changes one item per task).",
            "log_denied is daemon-wide; changing it makes firewalld reload, which drops runtime-only changes of every zone.",
            "A new zone, or a new target with immediate: true, needs a reload of firewalld for the runtime to follow (firewall-cmd cannot change those at runtime); Keel reloads after writing the permanent configuration.",
            "Forward ports, source ports and the forward flag are kept as they are (not managed).",
        ])

    public struct Arguments: ModuleArguments {
        @Option("zone", .string, required: true, aliases: ["name"], help: "The zone to converge (created when missing).") var zone: String
        @Option("state", choices: ZoneState.self, default: .present, help: "present: the zone exists with these settings; absent: the zone is deleted (only zones of your own: shipped zones cannot be).") var state: ZoneState
        @Option("services", .list(.string), help: "Services the zone allows (names from firewall-cmd --get-services).") var services: [String]?
        @Option("ports", .list(.string), help: "Ports the zone allows: PORT/PROTOCOL or FROM-TO/PROTOCOL (8080/tcp, 3000-3200/udp).") var ports: [String]?
        @Option("protocols", .list(.string), help: "IP protocols the zone allows (gre, icmp, ...).") var protocols: [String]?
        @Option("sources", .list(.string), help: "Source addresses or networks bound to the zone (10.0.0.0/8, 2001:db8::/32, ipset:NAME).") var sources: [String]?
        @Option("interfaces", .list(.string), help: "Interfaces bound to the zone.") var interfaces: [String]?
        @Option("rich_rules", .list(.string), help: "Rich rules, written as for firewall-cmd --add-rich-rule; compared in firewalld's canonical form.") var rich_rules: [String]?
        @Option("icmp_blocks", .list(.string), help: "ICMP types blocked in the zone.") var icmp_blocks: [String]?
        @Option("icmp_block_inversion", .bool, help: "Invert the ICMP blocks (block every type but the listed ones).") var icmp_block_inversion: Bool?
        @Option("masquerade", .bool, help: "Masquerade (source NAT) traffic leaving through this zone.") var masquerade: Bool?
        @Option("target", .string, choices: ZoneTarget.choices.map(Value.string), help: "What happens to packets no rule matched: default (reject, but ICMP passes), ACCEPT, DROP, REJECT (%%REJECT%%).") var target: String?
        @Option("log_denied", choices: LogDenied.self, help: "firewalld's LogDenied (daemon-wide, not per zone): log packets the firewall rejects or drops.") var log_denied: LogDenied?
        @Option("purge", .bool, default: false, help: "true: the zone becomes exactly what the task lists; every setting not given is emptied (lists), off (masquerade, icmp_block_inversion) or default (target). false: listed items are added, nothing is removed.") var purge: Bool
        @Option("permanent", .bool, default: true, help: "Converge the permanent configuration (survives reloads and reboots).") var permanent: Bool
        @Option("immediate", .bool, default: true, help: "Converge the runtime configuration (takes effect now). Ignored when firewalld does not run.") var immediate: Bool
        @Option("allow_lockout", .bool, default: false, help: "Allow a change that would drop SSH from the controller's address to the port Keel is connected to.") var allow_lockout: Bool

        public init() {}
    }

    /// firewalld's LogDenied setting (daemon-wide).
    public enum LogDenied: String, OptionChoice { case all, unicast, broadcast, multicast, off }

    public enum ZoneState: String, OptionChoice { case present, absent }

    public typealias State = FirewalldObservation
    public typealias Step = ZoneChange

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        try FirewalldNames.checkZone(a.zone)
        return try await FirewalldObservation.observe(zone: a.zone, on: host)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var change = ZoneChange(zone: a.zone, online: observed.running)
        change.zoneFileText = observed.zoneFileText
        let values: OrderedDictionary<String, Value> = ["zone": .string(a.zone), "state": .string(a.state.rawValue),
                                                        "offline": .bool(!observed.running)]
        if a.state == .absent {
            guard observed.zoneExists else { return .unchanged(values: values) }
            change.deleteZone = true
            change.permanent = .init(before: observed.permanent ?? ZoneSettings(), after: ZoneSettings())
            if a.immediate, observed.running { change.runtime = .init(before: observed.runtime ?? ZoneSettings(), after: ZoneSettings()) }
            return Plan(steps: [change], diffs: change.diffs, values: values)
        }
        let listed = try desiredItems(a, knownServices: observed.serviceNames)
        change.createZone = !observed.zoneExists
        if change.createZone, observed.running, !a.permanent {
            throw KeelError("firewalld zone '\(a.zone)' does not exist, and a zone can only be created permanently",
                            expected: "permanent: true (the default)", found: "permanent: false")
        }
        if a.permanent || !observed.running {
            let before = observed.permanent ?? ZoneSettings()
            change.permanent = .init(before: before, after: merged(listed, into: before, a))
        }
        if a.immediate, observed.running {
            change.runtimeMissing = observed.zoneExists && observed.runtime == nil
            let before = observed.runtime ?? ZoneSettings()
            change.runtime = .init(before: before, after: merged(listed, into: before, a))
        }
        if let wanted = a.log_denied?.rawValue {
            let current = observed.runtimeLogDenied ?? observed.logDenied
            if current != wanted || observed.logDenied != wanted { change.logDenied = .init(before: current, after: wanted) }
        }
        if !a.allow_lockout {
            let guardian = LockoutGuard(zone: a.zone, observation: observed)
            if let permanent = change.permanent, !permanent.isEmpty {
                try guardian.check(before: observed.permanent, after: permanent.after, configuration: "permanent")
            }
            if let runtime = change.runtime, !runtime.isEmpty {
                try guardian.check(before: observed.runtime, after: runtime.after, configuration: "runtime")
            }
        }
        return change.isEmpty ? .unchanged(values: values) : Plan(steps: [change], diffs: change.diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for change in plan.steps { try await change.apply(on: host) }
        return .changed()
    }

    /// The task's settings, validated and in firewalld's spelling; nil lists are "not given".
    func desiredItems(_ a: Arguments, knownServices: Set<String>) throws -> ZoneSettings.Partial {
        var partial = ZoneSettings.Partial()
        if let services = a.services {
            try FirewalldNames.checkServices(services, known: knownServices)
            partial.lists[.service] = services
        }
        if let ports = a.ports { partial.lists[.port] = try ports.map(PortSpec.validated) }
        if let protocols = a.protocols { partial.lists[.protocol] = protocols }
        if let sources = a.sources { partial.lists[.source] = sources }
        if let interfaces = a.interfaces { partial.lists[.interface] = interfaces }
        if let rules = a.rich_rules { partial.lists[.richRule] = try rules.map { try RichRule(parsing: $0).canonical } }
        if let blocks = a.icmp_blocks { partial.lists[.icmpBlock] = blocks }
        partial.icmpBlockInversion = a.icmp_block_inversion
        partial.masquerade = a.masquerade
        partial.target = a.target.map(ZoneTarget.normalized)
        return partial
    }

    func merged(_ partial: ZoneSettings.Partial, into current: ZoneSettings, _ a: Arguments) -> ZoneSettings {
        var result = a.purge ? ZoneSettings() : current
        for collection in ZoneSettings.Collection.allCases {
            guard let items = partial.lists[collection] else { continue }
            result[collection] = a.purge ? items : current[collection] + items
        }
        if let value = partial.icmpBlockInversion { result.icmpBlockInversion = value }
        if let value = partial.masquerade { result.masquerade = value }
        if let value = partial.target { result.target = value }
        return result
    }
}

extension ZoneSettings {
    /// Settings a task gave; what it left out is nil.
    public struct Partial: Sendable {
        var lists: [Collection: [String]] = [:]
        var icmpBlockInversion: Bool?
        var masquerade: Bool?
        var target: String?
    }
}
