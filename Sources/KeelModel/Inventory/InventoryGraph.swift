import KeelBase
import OrderedCollections

/// One group as the inventory files declare it.
public struct InventoryGroup: Sendable, Equatable {
    public var name: String
    /// Hosts added to this group directly, in the order the files name them.
    public var hosts: [String] = []
    /// Child groups in declaration order.
    public var children: [String] = []
    public var parents: [String] = []
    /// Variables set on the group in inventory files (`[g:vars]`, YAML `vars:`).
    public var vars = OrderedDictionary<String, Value>()
    /// `ansible_group_priority`: breaks ties between groups of the same depth (higher wins).
    public var priority = 1
    /// Distance from `all` along the longest chain of parents; deeper groups' variables win.
    public var depth = 0

    public init(name: String) { self.name = name }
}

/// One host as the inventory files declare it.
public struct InventoryHost: Sendable, Equatable {
    public var name: String
    /// Variables set on the host in inventory files, including `ansible_port` from `host:port` and
    /// `inventory_file`/`inventory_dir` (Ansible stores those as host variables too).
    public var vars = OrderedDictionary<String, Value>()
    /// Groups the host was added to directly.
    public var directGroups: [String] = []
    /// Every group the host belongs to, directly or through children, including `all`.
    public var allGroups: Set<String> = []

    public init(name: String) { self.name = name }
}

/// The mutable graph the parsers fill, with the rules of Ansible's InventoryData: `all` and `ungrouped`
/// always exist, parentless groups become children of `all`, hosts in no group land in `ungrouped`.
struct InventoryGraph: Sendable {
    var groups = OrderedDictionary<String, InventoryGroup>()
    var hosts = OrderedDictionary<String, InventoryHost>()
    /// The file being parsed: new hosts remember it as `inventory_file`.
    var currentSource: String?
    /// (group, host) pairs already linked, so adding thousands of hosts to one group stays linear.
    private var memberships = Set<Membership>()

    private struct Membership: Hashable {
        var group: String
        var host: String
    }

    init() {
        groups["all"] = InventoryGroup(name: "all")
        groups["ungrouped"] = InventoryGroup(name: "ungrouped")
        try! addChild("ungrouped", to: "all")
    }

    /// The graph of an inventory already loaded, to change it at run time (add_host, group_by).
    init(groups: OrderedDictionary<String, InventoryGroup>, hosts: OrderedDictionary<String, InventoryHost>) {
        self.groups = groups
        self.hosts = hosts
        for (name, group) in groups { for host in group.hosts { memberships.insert(Membership(group: name, host: host)) } }
    }

    mutating func addGroup(_ name: String) {
        if groups[name] == nil { groups[name] = InventoryGroup(name: name) }
    }

    mutating func addHost(_ name: String, to group: String?, port: Int?) throws {
        guard !name.isEmpty else { throw KeelError("a host name is empty", expected: "a host name") }
        if hosts[name] == nil {
            var host = InventoryHost(name: name)
            if let port, port != 0 { host.vars["ansible_port"] = .int(port) }
            hosts[name] = host
            let file: Value = currentSource.map(Value.string) ?? .null
            let dir: Value = currentSource.map { .string(Self.directory(of: $0)) } ?? .null
            try setVariable("inventory_file", to: file, on: name)
            try setVariable("inventory_dir", to: dir, on: name)
        }
        if let group {
            guard groups[group] != nil else { throw KeelError("could not find group \(group) in inventory") }
            if memberships.insert(Membership(group: group, host: name)).inserted {
                groups[group]!.hosts.append(name)
                hosts[name]!.directGroups.append(group)
            }
        }
    }

    /// Groups first, then hosts: a name used for both sets the group's variable, as in Ansible.
    mutating func setVariable(_ key: String, to value: Value, on entity: String) throws {
        if groups[entity] != nil {
            if key == "ansible_group_priority" {
                switch value {
                case .int(let i): groups[entity]!.priority = i
                case .string(let s):
                    guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else {
                        throw KeelError("ansible_group_priority must be an integer", expected: "an integer", found: s)
                    }
                    groups[entity]!.priority = i
                case .double(let d): groups[entity]!.priority = Int(d)
                case .bool(let b): groups[entity]!.priority = b ? 1 : 0
                default: throw KeelError("ansible_group_priority must be an integer", expected: "an integer", found: value.typeName)
                }
            } else {
                groups[entity]!.vars[key] = value
            }
        } else if hosts[entity] != nil {
            hosts[entity]!.vars[key] = value
        } else {
            throw KeelError("could not identify group or host named \(entity)")
        }
    }

    /// Adds a group (or a host) as a child of `parent`, refusing loops.
    mutating func addChild(_ child: String, to parent: String) throws {
        guard groups[parent] != nil else { throw KeelError("\(parent) is not a known group") }
        if groups[child] != nil {
            guard child != parent else { throw KeelError("can't add group '\(child)' to itself") }
            if groups[parent]!.children.contains(child) { return }
            if ancestors(of: parent).contains(child) {
                throw KeelError("adding group '\(child)' as child to '\(parent)' creates a recursive dependency loop")
            }
            groups[parent]!.children.append(child)
            if !groups[child]!.parents.contains(parent) { groups[child]!.parents.append(parent) }
        } else if hosts[child] != nil {
            try addHost(child, to: parent, port: nil)
        } else {
            throw KeelError("\(child) is not a known host nor group")
        }
    }

    func ancestors(of group: String) -> Set<String> {
        var seen = Set<String>()
        var pending = groups[group]?.parents ?? []
        while let next = pending.popLast() {
            if seen.insert(next).inserted { pending += groups[next]?.parents ?? [] }
        }
        return seen
    }

    /// Ansible's reconcile step, run once every source is parsed.
    mutating func reconcile() throws {
        currentSource = nil
        for name in groups.keys where name != "all" && groups[name]!.parents.isEmpty {
            try addChild(name, to: "all")
        }
        for name in hosts.keys {
            var hostGroups = Set<String>()
            for group in hosts[name]!.directGroups {
                hostGroups.insert(group)
                hostGroups.formUnion(ancestors(of: group))
            }
            if hosts[name]!.directGroups.contains("ungrouped") {
                if !hostGroups.subtracting(["all", "ungrouped"]).isEmpty {
                    groups["ungrouped"]!.hosts.removeAll { $0 == name }
                    self.memberships.remove(Membership(group: "ungrouped", host: name))
                    hosts[name]!.directGroups.removeAll { $0 == "ungrouped" }
                    hostGroups = []
                    for group in hosts[name]!.directGroups {
                        hostGroups.insert(group)
                        hostGroups.formUnion(ancestors(of: group))
                    }
                }
            } else if hostGroups.isEmpty || hostGroups == ["all"] {
                try addHost(name, to: "ungrouped", port: nil)
                hostGroups.formUnion(["ungrouped", "all"])
            }
            hosts[name]!.allGroups = hostGroups
        }
        var depths: [String: Int] = [:]
        for name in groups.keys { groups[name]!.depth = depth(of: name, memo: &depths) }
    }

    private func depth(of group: String, memo: inout [String: Int]) -> Int {
        if let known = memo[group] { return known }
        var result = 0
        for parent in groups[group]?.parents ?? [] { result = max(result, depth(of: parent, memo: &memo) + 1) }
        memo[group] = result
        return result
    }

    /// Python's os.path.dirname.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }
}
