import KeelBase

/// Refuses a zone change that would cut the SSH connection Keel is using: the controller's address (as
/// the host sees it in SSH_CONNECTION) reaching the port sshd answered on. The question is asked of the
/// zone that handles the controller's packets, decided as firewalld does: a zone whose sources contain
/// the address, else the zone bound to the interface the traffic arrives on, else the default zone.
/// A change is refused only when SSH was allowed before and would not be after, so a host that is
/// already unreachable this way (Keel reaches it by another path) is not blocked forever.
struct LockoutGuard {
    var zone: String
    var observation: FirewalldObservation

    func check(before: ZoneSettings?, after: ZoneSettings?, configuration: String) throws {
        guard let controller = observation.controller else { return }
        let allowedBefore = before.map { governs($0, controller) ? allows($0, controller) : true } ?? true
        guard let after, governs(after, controller), !allows(after, controller), allowedBefore else { return }
        throw KeelError(
            "refusing to change firewalld zone '\(zone)' (\(configuration)): it would drop SSH from the controller (\(controller.address)) to port \(controller.port), the connection Keel is using",
            expected: "a zone that still allows \(controller.port)/tcp from \(controller.address) (the ssh service, the port, a source-restricted rich rule or service), or allow_lockout: true",
            found: after.lines.joined(separator: "; "))
    }

    /// Does this zone, with these settings, handle packets from the controller?
    func governs(_ settings: ZoneSettings, _ controller: ControllerAddress) -> Bool {
        let others = observation.bindings.filter { $0.key != zone }
        if settings.sources.contains(where: { AddressMatch.contains($0, controller.address) }) { return true }
        if others.values.contains(where: { $0.sources.contains { AddressMatch.contains($0, controller.address) } }) { return false }
        if let interface = controller.interface {
            if settings.interfaces.contains(interface) { return true }
            if others.values.contains(where: { $0.interfaces.contains(interface) }) { return false }
        }
        return zone == observation.defaultZone
    }

    /// Would the zone accept a new TCP connection from the controller to the SSH port?
    func allows(_ settings: ZoneSettings, _ controller: ControllerAddress) -> Bool {
        let rules = settings.richRules.compactMap { try? RichRule(parsing: $0) }.filter { matches($0, controller) }
        // firewalld evaluates deny rich rules before allow ones (for the default priority 0).
        if rules.contains(where: { ["drop", "reject"].contains($0.action?.name ?? "") }) { return false }
        if rules.contains(where: { $0.action?.name == "accept" }) { return true }
        if settings.target == "ACCEPT" { return true }
        if settings.ports.contains(where: { PortSpec.contains($0, port: controller.port) }) { return true }
        return settings.services.contains { service in
            (observation.servicePorts[service] ?? []).contains { PortSpec.contains($0, port: controller.port) }
        }
    }

    private func matches(_ rule: RichRule, _ controller: ControllerAddress) -> Bool {
        if let family = rule.family, (family == "ipv6") != AddressMatch.isIPv6(controller.address) { return false }
        if let source = rule.source {
            guard let address = source.value("address") else { return false }
            if AddressMatch.contains(address, controller.address) == source.inverted { return false }
        }
        guard let element = rule.element else { return true }
        switch element.name {
        case "port":
            return element.value("protocol") == "tcp" && PortSpec.contains("\(element.value("port") ?? "")/tcp", port: controller.port)
        case "service":
            return (observation.servicePorts[element.value("name") ?? ""] ?? []).contains { PortSpec.contains($0, port: controller.port) }
        default:
            return false
        }
    }
}
