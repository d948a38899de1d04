import KeelBase
import OrderedCollections

/// The inventory changed while a playbook runs, as ansible-core's `add_dynamic_host` and
/// `add_dynamic_group` change it for `add_host` and `group_by`: the result is a new inventory (the value
/// stays immutable) and whether anything changed, which is what those tasks report as `changed`.
extension Inventory {
    /// `add_host`: the host joins `all` (and `ungrouped` when it has no other group) and each of `groups`
    /// (created when new); `variables` are merged over its inventory variables, key by key.
    public func addingHost(_ name: String, groups newGroups: [String], variables: OrderedDictionary<String, Value>)
        throws -> (inventory: Inventory, changed: Bool) {
        var graph = InventoryGraph(groups: groupsByName, hosts: hostsByName)
        var changed = false
        if graph.hosts[name] == nil {
            try graph.addHost(name, to: "all", port: nil)
            changed = true
        }
        for (key, value) in variables where graph.hosts[name]!.vars[key] != value {
            graph.hosts[name]!.vars[key] = value
            changed = true
        }
        for group in newGroups {
            if graph.groups[group] == nil { graph.addGroup(group); changed = true }
            if !graph.groups[group]!.hosts.contains(name) { try graph.addHost(name, to: group, port: nil); changed = true }
        }
        guard changed else { return (self, false) }
        return (try rebuilt(from: graph), true)
    }

    /// `group_by`: `group` (created when new) gets `host`, and becomes a child of each of `parents`
    /// (created when new).
    public func addingGroup(_ group: String, parents: [String], host: String) throws -> (inventory: Inventory, changed: Bool) {
        var graph = InventoryGraph(groups: groupsByName, hosts: hostsByName)
        guard graph.hosts[host] != nil else { throw KeelError("\(host) cannot be matched in inventory") }
        var changed = false
        if graph.groups[group] == nil { graph.addGroup(group) }
        for parent in parents where graph.groups[parent] == nil {
            graph.addGroup(parent)
            changed = true
        }
        for parent in parents where !graph.groups[parent]!.children.contains(group) && parent != group {
            try graph.addChild(group, to: parent)
            changed = true
        }
        if !graph.groups[group]!.hosts.contains(host) {
            try graph.addHost(host, to: group, port: nil)
            changed = true
        }
        guard changed else { return (self, false) }
        return (try rebuilt(from: graph), true)
    }

    /// Ansible's reconcile step again (`all`, `ungrouped`, depths), and the variable files beside the
    /// sources read again, since a new host or group may have its own host_vars/ or group_vars/ file.
    private func rebuilt(from graph: InventoryGraph) throws -> Inventory {
        var graph = graph
        try graph.reconcile()
        return Inventory(groupsByName: graph.groups, hostsByName: graph.hosts, sources: sources,
                         adjacentVariables: try Self.adjacentVariables(of: sources, graph: graph), warnings: warnings)
    }
}
