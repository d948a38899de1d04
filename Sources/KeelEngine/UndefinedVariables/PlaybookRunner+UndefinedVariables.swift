import KeelBase
import KeelModel

extension PlaybookRunner {
    /// The variables of `playbook` that are certainly undefined (see UndefinedVariables), found without
    /// contacting any host. Nothing is reported without an inventory (-i or ansible.cfg): the real one
    /// could define any name. A playbook that does not load at all has its problem reported by `load`.
    public func undefinedVariables(_ playbook: String) -> [KeelError] {
        guard !options.inventorySources.isEmpty,
              let loaded = try? load({ loader in [try loader.loadPlaybook(at: playbook)] }, stopAtProblems: false) else { return [] }
        return loaded.playbooks.flatMap { loadedPlaybook in
            UndefinedVariables.problems(in: loadedPlaybook, inventory: loaded.inventory, extraVars: Array(options.extraVars.keys),
                                        registry: registry, loader: loaded.loader, templates: loaded.templates)
        }
    }
}
