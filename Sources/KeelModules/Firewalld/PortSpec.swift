import KeelBase

/// `PORT/PROTOCOL` or `FROM-TO/PROTOCOL`, as firewalld and ansible.posix.firewalld write ports.
enum PortSpec {
    static let protocols: Set<String> = ["tcp", "udp", "sctp", "dccp"]

    /// Checks a port the way firewalld would, before anything reaches the host, and returns it as
    /// firewalld lists it.
    static func validated(_ text: String) throws -> String {
        let (number, proto) = try split(text)
        let bounds = number.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0 != nil && (1...65535).contains($0!) }),
              bounds.count == 1 || bounds[0]! <= bounds[1]! else {
            throw invalid(text)
        }
        // firewalld stores a range whose ends are equal as the single port.
        let canonical = bounds.count == 2 && bounds[0] == bounds[1] ? String(bounds[0]!) : number
        return "\(canonical)/\(proto)"
    }

    static func split(_ text: String) throws -> (String, String) {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard pieces.count == 2, protocols.contains(pieces[1]), !pieces[0].isEmpty else { throw invalid(text) }
        return (pieces[0], pieces[1])
    }

    /// True when `port`/tcp falls inside this spec (a single port or a range).
    static func contains(_ spec: String, port: Int, protocol wanted: String = "tcp") -> Bool {
        guard let (number, proto) = try? split(spec), proto == wanted else { return false }
        let bounds = number.split(separator: "-").compactMap { Int($0) }
        if bounds.count == 1 { return bounds[0] == port }
        return bounds.count == 2 && (bounds[0]...bounds[1]).contains(port)
    }

    static func invalid(_ text: String) -> KeelError {
        KeelError("invalid port '\(text)'", expected: "PORT/PROTOCOL or FROM-TO/PROTOCOL with ports 1-65535 and protocol tcp, udp, sctp or dccp (e.g. 8080/tcp, 3000-3200/tcp)",
                  found: text)
    }
}
