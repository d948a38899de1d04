/// Ansible's variable precedence, lowest first, as its documentation lists it ("Understanding variable
/// precedence"). Raw values order the levels: a higher level replaces the same top-level key of a lower one.
/// Level 1 (command-line values such as `-u`) is not a variable level and is left out; the inventory's
/// "group vars" level is split in two, `all` before the other groups, as Ansible's VariableManager does.
public enum VariableLevel: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// 2. role defaults (roles/x/defaults/main.yml)
    case roleDefaults = 200
    /// 3a. inventory file or script group vars, group `all`
    case inventoryGroupVarsAll = 300
    /// 3b. inventory file or script group vars, other groups by depth, priority, name
    case inventoryGroupVars = 310
    /// 4. inventory group_vars/all
    case inventoryGroupVarsFilesAll = 400
    /// 5. playbook group_vars/all
    case playbookGroupVarsFilesAll = 500
    /// 6. inventory group_vars/*
    case inventoryGroupVarsFiles = 600
    /// 7. playbook group_vars/*
    case playbookGroupVarsFiles = 700
    /// 8. inventory file or script host vars
    case inventoryHostVars = 800
    /// 9. inventory host_vars/*
    case inventoryHostVarsFiles = 900
    /// 10. playbook host_vars/*
    case playbookHostVarsFiles = 1000
    /// 11. host facts and cached set_facts
    case hostFacts = 1100
    /// 12. play vars
    case playVars = 1200
    /// 13. play vars_prompt
    case playVarsPrompt = 1300
    /// 14. play vars_files
    case playVarsFiles = 1400
    /// 15. role vars (roles/x/vars/main.yml)
    case roleVars = 1500
    /// 16. block vars (only for tasks in the block)
    case blockVars = 1600
    /// 17. task vars (only for the task)
    case taskVars = 1700
    /// 18. include_vars
    case includeVars = 1800
    /// 19. set_facts and registered vars
    case setFacts = 1900
    /// 20. role (and include_role) params
    case roleParams = 2000
    /// 21. include params
    case includeParams = 2100
    /// 22. extra vars (-e), always win
    case extraVars = 2200

    /// The level's number in Ansible's documented list (1 is command-line values, not a variable level).
    public var ansibleRank: Int { rawValue / 100 }

    public static func < (lhs: VariableLevel, rhs: VariableLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .roleDefaults: return "role defaults"
        case .inventoryGroupVarsAll: return "inventory group vars (all)"
        case .inventoryGroupVars: return "inventory group vars"
        case .inventoryGroupVarsFilesAll: return "inventory group_vars/all"
        case .playbookGroupVarsFilesAll: return "playbook group_vars/all"
        case .inventoryGroupVarsFiles: return "inventory group_vars/*"
        case .playbookGroupVarsFiles: return "playbook group_vars/*"
        case .inventoryHostVars: return "inventory host vars"
        case .inventoryHostVarsFiles: return "inventory host_vars/*"
        case .playbookHostVarsFiles: return "playbook host_vars/*"
        case .hostFacts: return "host facts"
        case .playVars: return "play vars"
        case .playVarsPrompt: return "play vars_prompt"
        case .playVarsFiles: return "play vars_files"
        case .roleVars: return "role vars"
        case .blockVars: return "block vars"
        case .taskVars: return "task vars"
        case .includeVars: return "include_vars"
        case .setFacts: return "set_facts / registered vars"
        case .roleParams: return "role params"
        case .includeParams: return "include params"
        case .extraVars: return "extra vars"
        }
    }
}
