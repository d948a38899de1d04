import KeelBase

/// Names checked before anything reaches the host: a zone name becomes a file name
/// (/etc/firewalld/zones/NAME.xml), and a service firewalld does not know would fail halfway through
/// a change (or, offline, leave a zone file firewalld refuses to load).
enum FirewalldNames {
    static func checkZone(_ zone: String) throws {
        let allowed = zone.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_+".contains($0)) }
        guard !zone.isEmpty, zone.count <= 17, allowed else {
            throw KeelError("invalid firewalld zone name '\(zone)'", expected: "1 to 17 letters, digits, '-', '_' or '+' (firewalld's limit)", found: zone)
        }
    }

    static func checkServices(_ services: [String], known: Set<String>) throws {
        // An empty set means the host's service list could not be read: let firewalld judge.
        guard !known.isEmpty else { return }
        for service in services where !known.contains(service) {
            let close = known.filter { $0.hasPrefix(String(service.prefix(3))) }.sorted().prefix(5)
            throw KeelError("unknown firewalld service '\(service)'",
                            expected: "a service from firewall-cmd --get-services (or a file in /etc/firewalld/services)",
                            found: service, suggestion: close.first)
        }
    }
}
