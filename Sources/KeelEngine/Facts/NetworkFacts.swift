import KeelBase
import OrderedCollections

/// The `network` subset on Linux: every interface of /sys/class/net as `ansible_<name>` (device,
/// active, type, mtu, macaddress, promisc, speed, ipv4, ipv4_secondaries, ipv6), the interface list,
/// all addresses, and the interfaces and gateways a default route would use (`ip route get`, as
/// Ansible asks it): default_ipv4 and default_ipv6 are empty when the host has no such route.
enum NetworkFacts {
    static let kinds = ["1": "ether", "32": "infiniband", "512": "ppp", "772": "loopback", "776": "tunnel", "65534": "tunnel",
                        "bridge": "bridge", "bonding": "bonding"]

    static func network(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var interfaces = OrderedDictionary<String, OrderedDictionary<String, Value>>()
        for line in o.all("if") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 6 else { continue }
            let flags = Int(f[4].hasPrefix("0x") ? String(f[4].dropFirst(2)) : f[4], radix: 16) ?? 0
            var i: OrderedDictionary<String, Value> = ["device": .string(f[0]), "active": .bool(flags & 0x1 != 0),
                                                       "type": .string(kinds[f[3]] ?? "unknown")]
            if let mtu = Int(f[1]) { i["mtu"] = .int(mtu) }
            if !f[2].isEmpty { i["macaddress"] = .string(f[2]) }
            i["promisc"] = .bool(flags & 0x100 != 0)
            if let speed = Int(f[5]), speed > 0 { i["speed"] = .int(speed) }
            interfaces[f[0]] = i
        }
        var all4: [Value] = [], all6: [Value] = []
        for line in o.all("addr") {
            // "2: eth0    inet 10.0.0.2/24 brd 10.0.0.255 scope global eth0\       valid_lft ..."
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\\" }).map(String.init)
            guard words.count >= 4, interfaces[words[1]] != nil else { continue }
            let name = words[1], family = words[2]
            let cidr = words[3].split(separator: "/").map(String.init)
            guard cidr.count == 2, let prefix = Int(cidr[1]) else { continue }
            let scope = words.firstIndex(of: "scope").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil } ?? "global"
            if family == "inet" {
                var v4: OrderedDictionary<String, Value> = ["address": .string(cidr[0])]
                if let brd = words.firstIndex(of: "brd"), brd + 1 < words.count { v4["broadcast"] = .string(words[brd + 1]) }
                v4["netmask"] = .string(IPv4.netmask(prefix))
                v4["network"] = .string(IPv4.network(cidr[0], prefix))
                v4["prefix"] = .string(String(prefix))
                if interfaces[name]?["ipv4"] == nil {
                    interfaces[name]?["ipv4"] = .dict(v4)
                } else {
                    let before = interfaces[name]?["ipv4_secondaries"]?.listValue ?? []
                    interfaces[name]?["ipv4_secondaries"] = .list(before + [.dict(v4)])
                }
                if !cidr[0].hasPrefix("127.") { all4.append(.string(cidr[0])) }
            } else if family == "inet6" {
                let v6: Value = ["address": .string(cidr[0]), "prefix": .string(String(prefix)), "scope": .string(scope)]
                let before = interfaces[name]?["ipv6"]?.listValue ?? []
                interfaces[name]?["ipv6"] = .list(before + [v6])
                if cidr[0] != "::1" { all6.append(.string(cidr[0])) }
            }
        }
        facts["interfaces"] = .list(interfaces.keys.map(Value.string))
        for (name, details) in interfaces { facts[factName(name)] = .dict(details) }
        facts["all_ipv4_addresses"] = .list(all4)
        facts["all_ipv6_addresses"] = .list(all6)
        facts["default_ipv4"] = .dict(defaultRoute(o["route4"], family: "ipv4", interfaces: interfaces))
        facts["default_ipv6"] = .dict(defaultRoute(o["route6"], family: "ipv6", interfaces: interfaces))
    }

    /// Ansible's fact name for an interface: characters other than letters, digits and _ become _.
    static func factName(_ interface: String) -> String {
        String(interface.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }

    /// "8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.2 uid 0": the interface, source and gateway, completed
    /// with the interface's address details, MAC, MTU and type.
    static func defaultRoute(_ route: String?, family: String, interfaces: OrderedDictionary<String, OrderedDictionary<String, Value>>)
        -> OrderedDictionary<String, Value> {
        guard let route else { return [:] }
        let words = route.split(separator: " ").map(String.init)
        func after(_ key: String) -> String? { words.firstIndex(of: key).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil } }
        guard let device = after("dev"), let source = after("src") else { return [:] }
        var result: OrderedDictionary<String, Value> = ["interface": .string(device), "address": .string(source)]
        if let gateway = after("via") { result["gateway"] = .string(gateway) }
        guard let details = interfaces[device] else { return result }
        if family == "ipv4" {
            let candidates = [details["ipv4"]].compactMap { $0 } + (details["ipv4_secondaries"]?.listValue ?? [])
            if let match = candidates.first(where: { $0.dictValue?["address"]?.stringValue == source })?.dictValue {
                for (k, v) in match where k != "address" { result[k] = v }
            }
        } else if let match = (details["ipv6"]?.listValue ?? []).first(where: { $0.dictValue?["address"]?.stringValue == source })?.dictValue {
            for (k, v) in match where k != "address" { result[k] = v }
        }
        result["alias"] = .string(device)
        for key in ["macaddress", "mtu", "type"] { if let v = details[key] { result[key] = v } }
        return result
    }
}

/// Dotted-quad arithmetic for netmask and network.
enum IPv4 {
    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
        return parts.reduce(0) { $0 << 8 | $1 }
    }

    static func format(_ n: UInt32) -> String {
        [24, 16, 8, 0].map { String((n >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    static func mask(_ prefix: Int) -> UInt32 { prefix <= 0 ? 0 : prefix >= 32 ? .max : ~UInt32(0) << UInt32(32 - prefix) }

    static func netmask(_ prefix: Int) -> String { format(mask(prefix)) }

    static func network(_ address: String, _ prefix: Int) -> String {
        parse(address).map { format($0 & mask(prefix)) } ?? ""
    }
}
