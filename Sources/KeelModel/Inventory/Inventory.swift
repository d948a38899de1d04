import Foundation
import KeelBase
import OrderedCollections

/// Hosts, groups and their variables, read from Ansible inventory sources exactly as Ansible reads them.
/// A value: load it once, share it across tasks.
public struct Inventory: Sendable {
    /// Groups in the order Ansible created them (`all` and `ungrouped` first).
    public let groupsByName: OrderedDictionary<String, InventoryGroup>
    /// Hosts in inventory order (the order they were first named).
    public let hostsByName: OrderedDictionary<String, InventoryHost>
    /// The sources as given to `load`, made absolute (directories and files).
    public let sources: [String]
    /// `group_vars/`/`host_vars/` beside each source, in source order.
    public let adjacentVariables: [AdjacentVariables]
    /// Things Ansible would warn about (skipped YAML keys, …), each prefixed with its location.
    public let warnings: [String]
    /// The `groups` magic variable: every group with all its hosts (including children's), in order.
    /// Computed once at load: every host's variables need it.
    public let groups: OrderedDictionary<String, [String]>

    /// Host names Ansible treats as the controller itself when no inventory entry exists for them.
    public static let localhostNames: Set<String> = ["localhost", "127.0.0.1", "::1"]

    /// Reads files (INI or YAML), directories of them and comma-separated host lists; several sources
    /// merge into one inventory, later ones adding hosts, groups and variables to earlier ones.
    public static func load(sources: [String]) throws -> Inventory {
        var loader = InventorySourceLoader()
        var absolute: [String] = []
        for source in sources {
            try loader.load(source: source)
            absolute.append(source.contains(",") && !FileManager.default.fileExists(atPath: source)
                            ? source : InventorySourceLoader.absolute(source))
        }
        try loader.graph.reconcile()
        let adjacent = try adjacentVariables(of: absolute, graph: loader.graph)
        var warnings = loader.warnings
        for name in loader.graph.groups.keys where !Self.isValidVariableName(name) {
            warnings.append("group name '\(name)' has characters not allowed in variable names; Ansible keeps it but warns, "
                            + "and it cannot be used as a Jinja2 attribute (groups.\(name))")
        }
        return Inventory(groupsByName: loader.graph.groups, hostsByName: loader.graph.hosts, sources: absolute,
                         adjacentVariables: adjacent, warnings: warnings)
    }

    /// `group_vars/` and `host_vars/` beside each file or directory source, for the graph's groups and hosts.
    static func adjacentVariables(of sources: [String], graph: InventoryGraph) throws -> [AdjacentVariables] {
        var adjacent: [AdjacentVariables] = []
        for source in sources where !(source.contains(",") && !FileManager.default.fileExists(atPath: source)) {
            let directory = AdjacentVariables.isDirectory(source) ? source : InventoryGraph.directory(of: source)
            adjacent.append(try AdjacentVariables.load(beside: directory, groups: Array(graph.groups.keys), hosts: Array(graph.hosts.keys)))
        }
        return adjacent
    }

    init(groupsByName: OrderedDictionary<String, InventoryGroup>, hostsByName: OrderedDictionary<String, InventoryHost>,
         sources: [String], adjacentVariables: [AdjacentVariables], warnings: [String]) {
        self.groupsByName = groupsByName
        self.hostsByName = hostsByName
        self.sources = sources
        self.adjacentVariables = adjacentVariables
        self.warnings = warnings
        var groups = OrderedDictionary<String, [String]>()
        for name in groupsByName.keys { groups[name] = Self.hosts(inGroup: name, of: groupsByName) }
        self.groups = groups
    }

    /// Letters, digits and '_', not starting with a digit (Python identifiers, ASCII for simplicity).
    static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// Every host, in inventory order.
    public var hostNames: [String] { Array(hostsByName.keys) }

    /// The groups a host belongs to (directly or through child groups), sorted, without `all`: Ansible's
    /// `group_names`. Empty for unknown hosts (and the implicit localhost).
    public func groupNames(of host: String) -> [String] {
        (hostsByName[host]?.allGroups ?? []).filter { $0 != "all" }.sorted()
    }

    /// A group's hosts and its descendants' hosts, breadth first, each once.
    public func hosts(inGroup name: String) -> [String] {
        groups[name] ?? []
    }

    static func hosts(inGroup name: String, of groupsByName: OrderedDictionary<String, InventoryGroup>) -> [String] {
        guard groupsByName[name] != nil else { return [] }
        var order: [String] = [name] + groupsByName[name]!.children
        var seen = Set(order)
        var frontier = groupsByName[name]!.children
        while !frontier.isEmpty {
            var next: [String] = []
            for group in frontier {
                for child in groupsByName[group]?.children ?? [] where seen.insert(child).inserted {
                    order.append(child)
                    next.append(child)
                }
            }
            frontier = next
        }
        var hosts: [String] = []
        var seenHosts = Set<String>()
        for group in order {
            for host in groupsByName[group]?.hosts ?? [] where seenHosts.insert(host).inserted { hosts.append(host) }
        }
        return hosts
    }

    /// The host's groups other than `all`, in the order their variables apply: shallow before deep, then
    /// by `ansible_group_priority`, then by name (Ansible's sort_groups).
    public func groupsInPrecedenceOrder(of host: String) -> [String] {
        (hostsByName[host]?.allGroups ?? []).filter { $0 != "all" }.sorted { a, b in
            let ga = groupsByName[a]!, gb = groupsByName[b]!
            if ga.depth != gb.depth { return ga.depth < gb.depth }
            if ga.priority != gb.priority { return ga.priority < gb.priority }
            return a < b
        }
    }

    /// True for a name Ansible would answer with the implicit localhost (not in the inventory).
    public func isImplicitLocalhost(_ host: String) -> Bool {
        hostsByName[host] == nil && Self.localhostNames.contains(host)
    }
}
