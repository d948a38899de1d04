import KeelBase
import KeelTransport
import OrderedCollections

/// `firewalld`, compatible with ansible.posix.firewalld: one item (service, port, source, interface,
/// rich rule, masquerade, ICMP block or inversion) enabled or disabled in a zone, or a zone-level
/// operation (present/absent, target). The same observation, plan and apply as firewalld_zone: the
/// task's item is added to or removed from what the zone has, and the difference is applied.
public struct FirewalldModule: Module {
    public static let name = "firewalld"
    public static let aliases = ["ansible.posix.firewalld", "community.general.firewalld"]
    static let itemOptions = ["service", "port", "protocol", "source", "interface", "rich_rule", "masquerade",
                              "icmp_block", "icmp_block_inversion", "target"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [itemOptions])
    public static let documentation = ModuleDocumentation(
        summary: "Enable or disable one service, port, source, interface, rich rule or zone setting in firewalld",
        description: """
            Compatible with ansible.posix.firewalld. The zone is observed in one round trip (firewall-cmd --list-all, permanent and \
            runtime, when firewalld runs; the zone XML when it does not), and the item is added or removed with firewall-cmd, or \
            offline by rewriting /etc/firewalld/zones/ZONE.xml atomically (checked with firewall-offline-cmd --check-config). \
            Without permanent the runtime configuration is changed; with permanent the permanent one, and the runtime too when \
            immediate is true. The lock-out guard refuses a change that would drop SSH from the controller (as the host sees it) \
            to the port Keel is connected to, unless allow_lockout is true.
            """,
        examples: """
            - name: HTTPS open, now and after reboots
              ansible.posix.firewalld:
                service: https
                permanent: true
                immediate: true
                state: enabled
            - name: a port range for the app servers, in the internal zone
              firewalld:
                zone: internal
                port: 3000-3200/tcp
                permanent: true
                state: enabled
            - name: SSH only from the admin network
              firewalld:
                rich_rule: rule family=ipv4 source address=10.8.0.0/16 service name=ssh accept
                permanent: true
                immediate: true
                state: enabled
            - name: the zone drops what nothing allowed
              firewalld:
                zone: public
                target: DROP
                permanent: true
                state: present
            - name: open a port for ten minutes (runtime only)
              firewalld:
                port: 9000/tcp
                timeout: 600
                state: enabled
            """,
        deviations: [
            "port_forward and forward are not supported yet.",
            "When firewalld does not run, a permanent change is written offline even without offline: true (Ansible since 2.3 does the same for permanent operations); a runtime-only change fails.",
            "A new zone (state: present) or a target change with immediate: true reloads firewalld so the runtime follows, which drops runtime-only changes.",
            "The lock-out guard (allow_lockout) is Keel's: Ansible applies such a change and loses the host.",
            "Rich rules are compared in firewalld's canonical form parsed by Keel, so attribute order and quoting do not matter.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("zone", .string, help: "The zone to change; the default zone (firewall-cmd --get-default-zone) when not given.") var zone: String?
        @Option("service", .string, help: "A service to enable or disable (from firewall-cmd --get-services).") var service: String?
        @Option("port", .string, help: "A port or port range: PORT/PROTOCOL or FROM-TO/PROTOCOL (8080/tcp, 3000-3200/tcp).") var port: String?
        @Option("protocol", .string, help: "An IP protocol to enable or disable (gre, icmp, ...).") var `protocol`: String?
        @Option("source", .string, help: "A source address or network to bind to the zone (10.0.0.0/8).") var source: String?
        @Option("interface", .string, help: "An interface to bind to the zone.") var interface: String?
        @Option("rich_rule", .string, help: "A rich rule as firewall-cmd --add-rich-rule takes it; compared in firewalld's canonical form.") var rich_rule: String?
        @Option("masquerade", .string, help: "Masquerading of the zone: a boolean (yes/true); state enabled/disabled decides (a false value inverts it).") var masquerade: String?
        @Option("icmp_block", .string, help: "An ICMP type to block (echo-request, ...).") var icmp_block: String?
        @Option("icmp_block_inversion", .string, help: "Inversion of the zone's ICMP blocks: a boolean; state enabled/disabled decides.") var icmp_block_inversion: String?
        @Option("target", .string, choices: ZoneTarget.choices.map(Value.string), help: "The zone's target; state present sets it, absent resets it to default. Permanent only.") var target: String?
        @Option("state", choices: FirewalldState.self, required: true, help: "enabled/disabled for an item; present/absent for the zone itself (create/delete) or its target.") var state: FirewalldState
        @Option("permanent", .bool, default: false, help: "Change the permanent configuration (survives reloads and reboots).") var permanent: Bool
        @Option("immediate", .bool, default: false, help: "Also change the runtime configuration when permanent is true (without permanent the runtime is always changed).") var immediate: Bool
        @Option("offline", .bool, default: false, help: "Allow the change while firewalld is not running (written to the zone XML).") var offline: Bool
        @Option("timeout", .int, default: 0, help: "Seconds a runtime-only addition lasts (0: until the next reload).") var timeout: Int
        @Option("allow_lockout", .bool, default: false, help: "Keel: allow a change that would drop SSH from the controller's address to the port Keel is connected to.") var allow_lockout: Bool

        public init() {}
    }

    /// enabled/disabled act on an item of a zone; present/absent on the zone itself or its target.
    public enum FirewalldState: String, OptionChoice { case enabled, disabled, present, absent }

    public typealias State = FirewalldObservation
    public typealias Step = ZoneChange

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if let zone = a.zone { try FirewalldNames.checkZone(zone) }
        return try await FirewalldObservation.observe(zone: a.zone, on: host)
    }

    /// What the task does to a zone's settings.
    enum Operation {
        case item(ZoneSettings.Collection, String, add: Bool)
        case flag(WritableKeyPath<ZoneSettings, Bool>, Bool)
        case target(String)
        case zone(present: Bool)
    }

    func operation(_ a: Arguments, observed: State) throws -> Operation {
        let itemState = a.state == .enabled || a.state == .disabled
        let enable = a.state == .enabled
        func item(_ collection: ZoneSettings.Collection, _ value: String) throws -> Operation {
            guard itemState else {
                throw KeelError("state '\(a.state.rawValue)' is for zone-level operations", expected: "state enabled or disabled with \(collection.rawValue)", found: a.state.rawValue)
            }
            return .item(collection, value, add: enable)
        }
        func flag(_ path: WritableKeyPath<ZoneSettings, Bool>, _ text: String, _ option: String) throws -> Operation {
            guard itemState else { throw KeelError("state '\(a.state.rawValue)' is for zone-level operations", expected: "state enabled or disabled with \(option)", found: a.state.rawValue) }
            guard let value = Self.boolean(text) else { throw KeelError("\(option) is a boolean", expected: "yes/no/true/false", found: text) }
            return .flag(path, value == enable)
        }
        if let service = a.service {
            try FirewalldNames.checkServices([service], known: observed.serviceNames)
            return try item(.service, service)
        }
        if let port = a.port { return try item(.port, try PortSpec.validated(port)) }
        if let proto = a.protocol { return try item(.protocol, proto) }
        if let source = a.source { return try item(.source, source) }
        if let interface = a.interface { return try item(.interface, interface) }
        if let rule = a.rich_rule { return try item(.richRule, try RichRule(parsing: rule).canonical) }
        if let block = a.icmp_block { return try item(.icmpBlock, block) }
        if let value = a.masquerade { return try flag(\.masquerade, value, "masquerade") }
        if let value = a.icmp_block_inversion { return try flag(\.icmpBlockInversion, value, "icmp_block_inversion") }
        if let target = a.target {
            guard !itemState else { throw KeelError("target takes state present or absent", expected: "present (set it) or absent (reset to default)", found: a.state.rawValue) }
            return .target(a.state == .present ? ZoneTarget.normalized(target) : "default")
        }
        guard !itemState else {
            throw KeelError("firewalld needs something to \(a.state == .enabled ? "enable" : "disable")",
                            expected: "one of \(Self.itemOptions.joined(separator: ", ")), or state present/absent with only zone", found: "none of them")
        }
        guard a.zone != nil else { throw KeelError("state \(a.state.rawValue) without an item creates or deletes a zone, and needs zone", expected: "zone: NAME", found: "no zone") }
        return .zone(present: a.state == .present)
    }

    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "true", "on", "1", "y", "t": return true
        case "no", "false", "off", "0", "n", "f": return false
        default: return nil
        }
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let operation = try operation(a, observed: observed)
        let zone = observed.zone
        var values: OrderedDictionary<String, Value> = ["zone": .string(zone), "state": .string(a.state.rawValue)]
        var wantsPermanent = a.permanent
        var wantsRuntime = a.immediate || !a.permanent
        if !observed.running {
            guard a.offline || a.permanent else {
                throw KeelError("firewalld is not running on \(host.name), so there is no runtime configuration to change",
                                expected: "firewalld running, or permanent: true / offline: true to change its configuration files", found: "firewalld stopped")
            }
            wantsPermanent = true
            wantsRuntime = false
        }
        var change = ZoneChange(zone: zone, online: observed.running)
        change.zoneFileText = observed.zoneFileText
        if case .zone(let present) = operation {
            guard wantsPermanent else { throw KeelError("creating or deleting a zone is permanent", expected: "permanent: true", found: "permanent: false") }
            guard present != observed.zoneExists else { return .unchanged(values: values) }
            change.createZone = present
            change.deleteZone = !present
            let settings = observed.permanent ?? ZoneSettings()
            change.permanent = .init(before: settings, after: present ? ZoneSettings() : settings)
            if wantsRuntime { change.runtime = .init(before: observed.runtime ?? ZoneSettings(), after: ZoneSettings()) }
            values["msg"] = .string("zone \(zone) \(present ? "created" : "deleted")")
            return Plan(steps: [change], diffs: change.diffs, values: values)
        }
        guard observed.zoneExists else {
            throw KeelError("firewalld zone '\(zone)' does not exist on \(host.name)", expected: "an existing zone (create it with state: present and permanent: true)", found: zone)
        }
        if case .target = operation, !wantsPermanent {
            throw KeelError("a zone's target can only be set permanently", expected: "permanent: true", found: "permanent: false")
        }
        func changed(_ settings: ZoneSettings) -> ZoneSettings {
            var result = settings
            switch operation {
            case .item(let collection, let value, let add):
                if add { result.insert(value, into: collection) } else { result.remove(value, from: collection) }
            case .flag(let path, let value): result[keyPath: path] = value
            case .target(let target): result.target = target
            case .zone: break
            }
            return result
        }
        if wantsPermanent, let before = observed.permanent { change.permanent = .init(before: before, after: changed(before)) }
        if wantsRuntime, observed.runtime == nil {
            throw KeelError("firewalld zone '\(zone)' exists only in the permanent configuration on \(host.name) (created without a reload)",
                            expected: "firewall-cmd --reload first, or permanent: true without immediate", found: "no runtime zone '\(zone)'")
        }
        if wantsRuntime, let before = observed.runtime {
            change.runtime = .init(before: before, after: changed(before))
            // A timeout only means something for additions that are not also made permanent.
            if !a.permanent, case .item(_, _, add: true) = operation { change.timeout = a.timeout }
        }
        if !a.allow_lockout {
            let guardian = LockoutGuard(zone: zone, observation: observed)
            if let permanent = change.permanent, !permanent.isEmpty {
                try guardian.check(before: permanent.before, after: permanent.after, configuration: "permanent")
            }
            if let runtime = change.runtime, !runtime.isEmpty {
                try guardian.check(before: runtime.before, after: runtime.after, configuration: "runtime")
            }
        }
        if change.isEmpty { return .unchanged(values: values) }
        let where_ = [change.permanent.map { _ in "permanent" }, change.runtime.map { _ in "runtime" }].compactMap { $0 }.joined(separator: " and ")
        values["msg"] = .string("changed \(a.state == .enabled || a.state == .present ? "to" : "from") zone \(zone) (\(where_)\(observed.running ? "" : ", offline"))")
        return Plan(steps: [change], diffs: change.diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for change in plan.steps { try await change.apply(on: host) }
        return .changed()
    }
}
