import KeelBase
import KeelModel
import KeelTemplate

/// Lookups that need the inventory, which the template engine does not know: the engine registers them
/// when it has loaded the inventory.
enum InventoryLookups {
    static func register(in templates: TemplateEngine, inventory: Inventory) {
        // inventory_hostnames: the hosts matching the terms, host patterns as in `hosts:` (several terms are
        // a union); a pattern Ansible cannot evaluate gives no hosts rather than an error, as in Ansible.
        templates.registerLookup("inventory_hostnames") { terms, _, _ in
            let patterns = try terms.map { term -> String in
                guard case .string(let pattern) = term else {
                    throw KeelError("lookup 'inventory_hostnames' needs host patterns", expected: "a string", found: term.typeName)
                }
                return pattern
            }
            // Each term's own parts (`web:&db`), then all of them as one pattern, so `'all', '!web'` excludes.
            let parts = patterns.flatMap { Inventory.splitPattern($0) }
            let hosts = (try? inventory.select(pattern: parts.joined(separator: ","))) ?? []
            return hosts.map(Value.string)
        }
    }
}
