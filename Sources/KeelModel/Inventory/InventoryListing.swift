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

extension Value {
    /// JSON as ansible-inventory prints it: Python's `json.dumps(value, sort_keys=True, indent=4)`, non-ASCII kept.
    public func prettyJSON(indent: Int = 4, sortedKeys: Bool = true) -> String {
        var out = ""
        writePretty(into: &out, level: 0, indent: indent, sortedKeys: sortedKeys)
        return out
    }

    private func writePretty(into out: inout String, level: Int, indent: Int, sortedKeys: Bool) {
        let pad = String(repeating: " ", count: (level + 1) * indent)
        let closePad = String(repeating: " ", count: level * indent)
        switch self {
        case .list(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.writePretty(into: &out, level: level + 1, indent: indent, sortedKeys: sortedKeys)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        case .dict(let dict) where !dict.isEmpty:
            out += "{\n"
            let keys = sortedKeys ? dict.keys.sorted() : Array(dict.keys)
            for (i, key) in keys.enumerated() {
                out += pad + Value.jsonQuote(key, ensureASCII: false) + ": "
                dict[key]!.writePretty(into: &out, level: level + 1, indent: indent, sortedKeys: sortedKeys)
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        case .string(let s):
            out += Value.jsonQuote(s, ensureASCII: false)   // ansible-inventory prints non-ASCII as is
        default:
            out += jsonString()
        }
    }
}
