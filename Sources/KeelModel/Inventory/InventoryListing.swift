import KeelBase
import OrderedCollections

/// What `ansible-inventory` prints, built from an `Inventory`: `--list` (groups with hosts and children,
/// plus `_meta.hostvars`), `--graph` (the tree of groups and hosts) and `--host` (one host's variables).
/// The CLI prints these; the differential tests compare them with the real ansible-inventory.
extension Inventory {
    /// The `--list` document. Groups with neither hosts nor children are left out (but still named as
    /// children); `all` lists no hosts of its own; hosts outside `limit` are dropped everywhere.
    public func listing(limit: String? = nil, playbookAdjacent: [AdjacentVariables] = []) throws -> Value {
        let available = try select(pattern: "all", limit: limit)
        let availableSet = Set(available)
        var result = OrderedDictionary<String, Value>()
        var seen = Set<String>()
        func format(_ name: String) {
            guard let group = groupsByName[name] else { return }
            var entry = OrderedDictionary<String, Value>()
            if name != "all" {
                let hosts = group.hosts.filter(availableSet.contains)
                if !hosts.isEmpty { entry["hosts"] = .list(hosts.map(Value.string)) }
            }
            var nested: [String] = []
            for child in group.children {
                if seen.insert(child).inserted { nested.append(child) }
            }
            if !group.children.isEmpty { entry["children"] = .list(group.children.map(Value.string)) }
            if !entry.isEmpty { result[name] = .dict(entry) }
            // Ansible formats each child right after naming it; the keys' order does not matter in JSON.
            for child in nested { format(child) }
        }
        format("all")
        var hostvars = OrderedDictionary<String, Value>()
        for host in available {
            let vars = hostVariables(host, playbookAdjacent: playbookAdjacent)
            if !vars.isEmpty { hostvars[host] = .dict(vars) }
        }
        result["_meta"] = ["hostvars": .dict(hostvars), "profile": "inventory_legacy"]
        return .dict(result)
    }

    /// The `--graph` text starting at `group` (default `all`): `@group:` lines, children and hosts
    /// indented with `  |--`. Throws when `group` is not a group.
    public func graph(from group: String = "all") throws -> String {
        guard groupsByName[group] != nil else {
            throw KeelError("pattern must be a valid group name when using --graph", expected: "a group name", found: group,
                            suggestion: Suggestion.closest(to: group, among: groupsByName.keys))
        }
        var lines: [String] = []
        func line(_ text: String, _ depth: Int) { lines.append(depth == 0 ? text : String(repeating: "  |", count: depth) + "--" + text) }
        func walk(_ name: String, _ depth: Int) {
            line("@\(name):", depth)
            for child in groupsByName[name]!.children { walk(child, depth + 1) }
            if name != "all" { for host in groupsByName[name]!.hosts { line(host, depth + 1) } }
        }
        walk(group, 0)
        return lines.joined(separator: "\n")
    }

    /// The `--host` document: the one host `name` selects, its variables. Throws unless exactly one host matches.
    public func hostListing(_ name: String, playbookAdjacent: [AdjacentVariables] = []) throws -> Value {
        let hosts = try select(pattern: name)
        guard hosts.count == 1 else {
            throw KeelError("you must pass a single valid host to --host", expected: "one host", found: "\(hosts.count) hosts match '\(name)'",
                            suggestion: hosts.isEmpty ? Suggestion.closest(to: name, among: hostNames) : nil)
        }
        return .dict(hostVariables(hosts[0], playbookAdjacent: playbookAdjacent))
    }
}
