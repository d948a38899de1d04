/// Which keys each kind of playbook mapping accepts, as in ansible-core 2.19's classes (Base, Become,
/// Conditional, Taggable, CollectionSearch and each class's own fields).
enum KeywordTable {
    static let base: Set<String> = [
        "name", "connection", "port", "remote_user", "vars", "module_defaults", "environment", "no_log",
        "run_once", "ignore_errors", "ignore_unreachable", "check_mode", "diff", "any_errors_fatal",
        "throttle", "timeout", "debugger", "become", "become_exe", "become_flags", "become_method",
        "become_user", "tags", "collections",
    ]

    static let task: Set<String> = base.union([
        "when", "action", "args", "async", "changed_when", "delay", "delegate_facts", "delegate_to",
        "failed_when", "local_action", "loop", "loop_control", "notify", "poll", "register", "retries", "until",
    ])

    static let handler: Set<String> = task.union(["listen"])

    static let block: Set<String> = base.union(["when", "block", "rescue", "always", "delegate_to", "delegate_facts", "notify"])

    static let play: Set<String> = base.union([
        "hosts", "gather_facts", "gather_subset", "gather_timeout", "fact_path", "vars_files", "vars_prompt",
        "roles", "handlers", "pre_tasks", "post_tasks", "tasks", "force_handlers", "max_fail_percentage",
        "serial", "strategy", "order",
    ])

    /// A `roles:` entry or meta dependency: keywords, and everything else is a role parameter.
    static let roleEntry: Set<String> = base.union(["when", "role", "delegate_to", "delegate_facts"])

    static let importPlaybook: Set<String> = ["import_playbook", "name", "vars", "tags", "when"]

    static let roleMeta: Set<String> = ["dependencies", "allow_duplicates", "galaxy_info", "argument_specs", "collections"]

    /// Actions the loader itself resolves (static imports) or hands to the engine (dynamic includes).
    static let loaderActions: Set<String> = ["import_tasks", "include_tasks", "import_role", "include_role", "import_playbook"]

    static func loaderAction(_ written: String) -> String? {
        for prefix in ["", "ansible.builtin.", "ansible.legacy."] where written.hasPrefix(prefix) {
            let name = String(written.dropFirst(prefix.count))
            if loaderActions.contains(name) { return name }
        }
        return nil
    }

    /// Free-form modules whose `k=v` words other than a few options stay part of the command line.
    static let commandLike: Set<String> = ["command", "shell", "raw", "script", "win_command", "win_shell"]

    static let metaActions: [String] = [
        "noop", "flush_handlers", "refresh_inventory", "clear_facts", "clear_host_errors", "end_play",
        "end_host", "end_batch", "end_role", "reset_connection", "role_complete",
    ]

    static let includeRoleArgs: Set<String> = [
        "name", "tasks_from", "vars_from", "defaults_from", "handlers_from", "apply", "public",
        "allow_duplicates", "rolespec_validate",
    ]
}
