import KeelBase
import KeelModel
import OrderedCollections

/// The run's inventory and its hosts' states, which `add_host` and `group_by` change while plays run:
/// later plays select their hosts from what is here then, as in ansible-core. Every read takes a snapshot
/// under the lock, so a task on one host sees a whole inventory while another host's task changes it.
final class LiveInventory: @unchecked Sendable {
    // @unchecked: `current` and `states` are only read and written under `lock`.
    private let lock = NSLockLike()
    private var current: Inventory
    private var states: [String: HostState]
    private var changes = 0

    init(_ inventory: Inventory) {
        current = inventory
        var states: [String: HostState] = [:]
        for name in inventory.hostNames { states[name] = HostState(name: name) }
        if states["localhost"] == nil { states["localhost"] = HostState(name: "localhost") }
        self.states = states
    }

    var inventory: Inventory { lock.withLock { current } }
    /// The inventory with how many times add_host and group_by changed it: what is derived from one
    /// version (PlayScope's per-host layers) holds until the count moves.
    var versioned: (inventory: Inventory, version: Int) { lock.withLock { (current, changes) } }
    var hosts: [String: HostState] { lock.withLock { states } }

    func state(_ host: String) -> HostState? { lock.withLock { states[host] } }

    /// `add_host`; true when the inventory changed (a new host, group, membership or variable value).
    func addHost(_ name: String, groups: [String], variables: OrderedDictionary<String, Value>) throws -> Bool {
        try lock.withLock {
            let (next, changed) = try current.addingHost(name, groups: groups, variables: variables)
            current = next
            if states[name] == nil { states[name] = HostState(name: name) }
            if changed { changes += 1 }
            return changed
        }
    }

    /// `group_by` for `host`; true when the inventory changed.
    func addGroup(_ group: String, parents: [String], host: String) throws -> Bool {
        try lock.withLock {
            let (next, changed) = try current.addingGroup(group, parents: parents, host: host)
            current = next
            if changed { changes += 1 }
            return changed
        }
    }
}
