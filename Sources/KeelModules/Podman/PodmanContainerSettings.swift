import Foundation
import KeelBase

/// Parsers that turn the task's notations and podman's inspect output into one normalized text form per
/// setting, so desired and observed settings compare as equal text (and the diff shows that text).
enum PodmanSettingText {
    /// `[ip:][hostPort:]containerPort[/proto]` (ranges `8000-8001:80-81`) -> one `ip:host->container/proto`
    /// per port, with `0.0.0.0` and `::` written as no ip, and an empty host port when podman picks one.
    static func ports(_ spec: String) throws -> [String] {
        var text = spec.trimmingCharacters(in: .whitespaces)
        var proto = "tcp"
        if let slash = text.lastIndex(of: "/") {
            proto = String(text[text.index(after: slash)...]).lowercased()
            text = String(text[..<slash])
        }
        var parts: [String] = []
        var ip = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {   // [::1]:8080:80
            ip = String(text[text.index(after: text.startIndex)..<close])
            parts = text[text.index(after: close)...].split(separator: ":", omittingEmptySubsequences: false).dropFirst().map(String.init)
        } else {
            parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 3 { ip = parts.removeFirst() }
        }
        let containerPart = parts.last ?? ""
        let hostPart = parts.count == 2 ? parts[0] : ""
        guard (1...2).contains(parts.count), let containers = range(containerPart), ["tcp", "udp", "sctp"].contains(proto) else {
            throw KeelError("podman_container: cannot read the published port '\(spec)'", expected: "[ip:][hostPort:]containerPort[/tcp|udp|sctp]", found: spec)
        }
        let hosts: [Int?]
        if hostPart.isEmpty { hosts = containers.map { _ in nil } } else {
            guard let h = range(hostPart), h.count == containers.count else {
                throw KeelError("podman_container: the host and container port ranges of '\(spec)' differ in length", expected: "ranges of the same length", found: spec)
            }
            hosts = h
        }
        let shownIP = (ip == "0.0.0.0" || ip == "::") ? "" : ip
        return zip(hosts, containers).map { port(ip: shownIP, host: $0.0.map(String.init) ?? "", container: $0.1, proto: proto) }
    }

    static func port(ip: String, host: String, container: Int, proto: String) -> String {
        (ip.isEmpty ? "" : "\(ip):") + "\(host)->\(container)/\(proto)"
    }

    private static func range(_ text: String) -> [Int]? {
        let bounds = text.split(separator: "-").map { Int($0) }
        guard !bounds.isEmpty, bounds.count <= 2, bounds.allSatisfy({ $0 != nil && $0! > 0 && $0! < 65536 }) else { return nil }
        let low = bounds[0]!, high = bounds.last!!
        return low <= high ? Array(low...high) : nil
    }

    /// One mount as text: `bind /srv/data -> /data ro`, `volume pgdata -> /var/lib/postgresql`,
    /// `volume -> /cache` (anonymous), `tmpfs -> /run`.
    static func mount(type: String, source: String, destination: String, readOnly: Bool) -> String {
        "\(type)\(source.isEmpty ? "" : " \(source)") -> \(destination)\(readOnly ? " ro" : "")"
    }

    /// `SOURCE:DEST[:OPTIONS]` or `DEST`.
    static func volume(_ spec: String) throws -> (destination: String, text: String) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw KeelError("podman_container: cannot read the volume '\(spec)'", expected: "SOURCE:DEST[:OPTIONS] or DEST", found: spec)
        }
        if parts.count == 1 { return (parts[0], mount(type: "volume", source: "", destination: parts[0], readOnly: false)) }
        let options = parts.count == 3 ? parts[2].split(separator: ",").map(String.init) : []
        let type = parts[0].hasPrefix("/") ? "bind" : "volume"
        return (parts[1], mount(type: type, source: normalizedPath(parts[0], type: type), destination: parts[1], readOnly: options.contains("ro")))
    }

    /// `type=bind,source=/a,destination=/b,ro=true`.
    static func mountOption(_ spec: String) throws -> (destination: String, text: String) {
        var fields: [String: String] = [:]
        for item in spec.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            fields[pair[0].lowercased()] = pair.count == 2 ? pair[1] : "true"
        }
        let type = fields["type"] ?? "volume"
        let destination = fields["destination"] ?? fields["dst"] ?? fields["target"] ?? ""
        let source = fields["source"] ?? fields["src"] ?? ""
        guard ["bind", "volume", "tmpfs"].contains(type), !destination.isEmpty, type != "bind" || !source.isEmpty else {
            throw KeelError("podman_container: cannot read the mount '\(spec)'", expected: "type=bind|volume|tmpfs,source=...,destination=...", found: spec)
        }
        let readOnly = ["true", "1", "yes"].contains((fields["ro"] ?? fields["readonly"] ?? "false").lowercased())
        return (destination, mount(type: type, source: type == "tmpfs" ? "" : normalizedPath(source, type: type), destination: destination, readOnly: readOnly))
    }

    private static func normalizedPath(_ path: String, type: String) -> String {
        guard type == "bind", path.count > 1, path.hasSuffix("/") else { return path }
        return String(path.dropLast())
    }

    /// `256m` -> 268435456 (units b, k, m, g, t; powers of 1024, as podman reads them).
    static func bytes(_ text: String) throws -> Int {
        let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10),
                                      ("t", 1 << 40), ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            if let number = Double(lower.dropLast(suffix.count)) { return Int(number * Double(factor)) }
        }
        if let number = Int(lower) { return number }
        throw KeelError("podman_container: cannot read the size '\(text)'", expected: "a number of bytes, or with a unit b, k, m, g (256m)", found: text)
    }

    /// A Go duration (`1m30s`, `500ms`, `10s`) in nanoseconds, as podman stores healthcheck times.
    static func nanoseconds(_ text: String, option: String) throws -> Int {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var total = 0.0
        if rest == "0" { return 0 }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            guard let value = Double(number), let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else {
                throw KeelError("podman_container: \(option) '\(text)' is not a duration", expected: "a Go duration such as 30s, 1m30s or 500ms", found: text)
            }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return Int(total)
    }

    /// Nanoseconds as the shortest Go-style duration text, for diffs.
    static func duration(_ nanoseconds: Int) -> String {
        if nanoseconds == 0 { return "0s" }
        if nanoseconds % 1_000_000_000 != 0 { return "\(nanoseconds / 1_000_000)ms" }
        var seconds = nanoseconds / 1_000_000_000
        var text = ""
        if seconds >= 3600 { text += "\(seconds / 3600)h"; seconds %= 3600 }
        if seconds >= 60 { text += "\(seconds / 60)m"; seconds %= 60 }
        if seconds > 0 || text.isEmpty { text += "\(seconds)s" }
        return text
    }

    /// `net_admin` and `CAP_NET_ADMIN` are the same capability.
    static func capability(_ name: String) -> String {
        let upper = name.uppercased()
        return upper == "ALL" || upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// `NAME=value` lines of an env file (podman's rules: `#` comments and blank lines skipped, a bare NAME
    /// takes the value from podman's own environment, which Keel cannot see and so refuses).
    static func envFile(_ text: String, path: String) throws -> [(String, String)] {
        var result: [(String, String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = pair[0]
            guard pair.count == 2, !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else {
                throw KeelError("podman_container: env_file \(path) line \(index + 1) is not NAME=value",
                                expected: "NAME=value lines, # comments or blank lines", found: String(raw))
            }
            result.append((name, pair[1]))
        }
        return result
    }
}
