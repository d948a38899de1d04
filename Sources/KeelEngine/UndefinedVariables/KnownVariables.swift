import KeelModel

/// Names every task can read without anything in the repository defining them: Ansible's magic
/// variables and what gathered facts and fact-returning modules provide. Listed generously: a name
/// missing here would be a false "undefined" on a valid playbook.
enum KnownVariables {
    static let magic: Set<String> = Inventory.internalVariableNames.union([
        "omit", "item", "vars", "environment", "ansible_facts", "ansible_local", "inventory_dir", "inventory_file",
        "play_hosts", "playbook_dir", "role_path", "role_name", "role_names", "role_uuid", "groups", "group_names",
        "hostvars", "inventory_hostname", "inventory_hostname_short",
        // Set by the template action for the file it renders.
        "template_host", "template_path", "template_fullpath", "template_uid", "template_destpath", "template_run_date",
        // Facts the setup module and fact modules return without the ansible_ prefix.
        "module_setup", "gather_subset", "discovered_interpreter_python", "services", "packages",
    ])

    /// Connection variables, gathered facts (`ansible_*`), custom fact sources and getent's results.
    static let prefixes = ["ansible_", "facter_", "ohai_", "getent_"]

    static func isKnown(_ name: String) -> Bool {
        magic.contains(name) || prefixes.contains { name.hasPrefix($0) }
    }
}
