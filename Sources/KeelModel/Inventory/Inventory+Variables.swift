import KeelBase
import OrderedCollections

extension Inventory {
    /// `group_vars/` and `host_vars/` beside a playbook (or any directory) for this inventory's groups and
    /// hosts; pass the result as `playbookAdjacent` to rank them above the inventory's own files.
    public func loadAdjacentVariables(beside directory: String) throws -> AdjacentVariables {
        try AdjacentVariables.load(beside: InventorySourceLoader.absolute(directory), groups: Array(groupsByName.keys),
                                   hosts: Array(hostsByName.keys))
    }

    /// Variables Ansible computes itself and never takes from inventory files; `ansible-inventory` hides them.
    public static let internalVariableNames: Set<String> = [
        "ansible_async_path", "ansible_collection_name", "ansible_config_file", "ansible_dependent_role_names",
        "ansible_diff_mode", "ansible_facts", "ansible_forks", "ansible_inventory_sources", "ansible_limit",
        "ansible_play_batch", "ansible_play_hosts", "ansible_play_hosts_all", "ansible_play_role_names",
        "ansible_playbook_python", "ansible_role_name", "ansible_role_names", "ansible_run_tags", "ansible_skip_tags",
        "ansible_verbosity", "ansible_version", "group_names", "groups", "hostvars", "inventory_dir", "inventory_file",
        "inventory_hostname", "inventory_hostname_short", "play_hosts", "playbook_dir", "role_name", "role_names",
        "role_path", "role_uuid",
    ]

    /// The inventory's share of a host's variables, by Ansible precedence level, lowest first: inventory
    /// group vars (`all`, then the host's groups by depth/priority/name), group_vars/all and group_vars/*
    /// beside each inventory source (and, if given, beside the playbook), inventory host vars, host_vars.
    /// Magic variables are not included (see `magicVariables(of:)`).
    public func variableLayers(of host: String, playbookAdjacent: [AdjacentVariables] = []) -> [VariableLayer] {
        let groups = groupsInPrecedenceOrder(of: host)
        func merged(_ sources: [AdjacentVariables], _ names: [String], _ pick: (AdjacentVariables, String) -> OrderedDictionary<String, Value>?) -> OrderedDictionary<String, Value> {
            var result = OrderedDictionary<String, Value>()
            for source in sources {
                for name in names { for (k, v) in pick(source, name) ?? [:] { result[k] = v } }
            }
            return result
        }
        var groupVars = OrderedDictionary<String, Value>()
        for group in groups { for (k, v) in groupsByName[group]!.vars { groupVars[k] = v } }
        var hostVars = hostsByName[host]?.vars ?? [:]
        if isImplicitLocalhost(host) { hostVars["ansible_connection"] = "local" }
        hostVars.removeAll { Self.internalVariableNames.contains($0.key) }
        return [
            VariableLayer(.inventoryGroupVarsAll, groupsByName["all"]?.vars ?? [:]),
            VariableLayer(.inventoryGroupVars, groupVars),
            VariableLayer(.inventoryGroupVarsFilesAll, merged(adjacentVariables, ["all"]) { $0.groupVars[$1] }),
            VariableLayer(.playbookGroupVarsFilesAll, merged(playbookAdjacent, ["all"]) { $0.groupVars[$1] }),
            VariableLayer(.inventoryGroupVarsFiles, merged(adjacentVariables, groups) { $0.groupVars[$1] }),
            VariableLayer(.playbookGroupVarsFiles, merged(playbookAdjacent, groups) { $0.groupVars[$1] }),
            VariableLayer(.inventoryHostVars, hostVars),
            VariableLayer(.inventoryHostVarsFiles, merged(adjacentVariables, [host]) { $0.hostVars[$1] }),
            VariableLayer(.playbookHostVarsFiles, merged(playbookAdjacent, [host]) { $0.hostVars[$1] }),
        ]
    }

    /// A host's inventory variables merged with Ansible's precedence (later levels replace top-level keys),
    /// as `ansible-inventory --host` prints them: without magic and internal variables.
    public func hostVariables(_ host: String, playbookAdjacent: [AdjacentVariables] = []) -> OrderedDictionary<String, Value> {
        var precedence = VariablePrecedence()
        for layer in variableLayers(of: host, playbookAdjacent: playbookAdjacent) { precedence.set(layer.level, layer.variables) }
        var result = precedence.merged()
        result.removeAll { Self.internalVariableNames.contains($0.key) }
        return result
    }

    /// The magic variables Ansible gives every host from the inventory: inventory_hostname,
    /// inventory_hostname_short, group_names, groups, inventory_dir, inventory_file.
    public func magicVariables(of host: String) -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        result["inventory_hostname"] = .string(host)
        let isAddress = HostAddress.isIPv4(host) || (host.contains(":") && HostAddress.isIPv6(host))
        result["inventory_hostname_short"] = .string(isAddress ? host : String(host.split(separator: ".", omittingEmptySubsequences: false).first ?? ""))
        result["group_names"] = .list(groupNames(of: host).map(Value.string))
        var groupsValue = OrderedDictionary<String, Value>()
        for (name, hosts) in groups { groupsValue[name] = .list(hosts.map(Value.string)) }
        result["groups"] = .dict(groupsValue)
        result["inventory_file"] = hostsByName[host]?.vars["inventory_file"] ?? .null
        result["inventory_dir"] = hostsByName[host]?.vars["inventory_dir"] ?? .null
        return result
    }
}

extension Inventory {
    /// A host's precedence stack as far as the inventory and the command line know it: the inventory levels
    /// (with the playbook's group_vars/host_vars if given) and the extra vars. The engine adds the play,
    /// role, block, task and fact levels, and the magic variables on top of the merge.
    public func precedence(for host: String, playbookAdjacent: [AdjacentVariables] = [],
                           extraVars: OrderedDictionary<String, Value> = [:]) -> VariablePrecedence {
        var precedence = VariablePrecedence(variableLayers(of: host, playbookAdjacent: playbookAdjacent))
        if !extraVars.isEmpty { precedence.set(.extraVars, extraVars) }
        return precedence
    }
}
