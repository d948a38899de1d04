import Foundation
import KeelBase
import KeelModel
import KeelTemplate
import OrderedCollections

/// A play as it runs: its hosts, its vars and vars_files, and how to build the variable scope of a task
/// on one of its hosts.
final class PlayScope: @unchecked Sendable {
    // @unchecked: immutable after init except `varsFilesByHost` (filled per host before its first task) and
    // the per-host caches, all read and written under `lock`.
    let run: RunContext
    let play: Play
    let hosts: [String]
    let playbookDirectory: String
    let adjacent: [AdjacentVariables]
    /// The defaults and vars of the play's public roles (`roles:`, import_role), which Ansible exposes to
    /// every task of the play (DEFAULT_PRIVATE_ROLE_VARS off): below a task's own role's.
    let publicRoleDefaults: OrderedDictionary<String, Value>
    let publicRoleVars: OrderedDictionary<String, Value>
    /// What each task's text says about it (may it chain, may it run lookups), worked out once per play.
    let taskTraits = TaskTraits()
    private let lock = NSLockLike()
    private var varsFilesByHost: [String: OrderedDictionary<String, Value>] = [:]
    /// Per host, what the inventory gives every task (its variable layers and magic variables), for the
    /// inventory version it was read from: every task of every host asks for them, and reading them anew
    /// walks the host's groups and every group's members.
    private var inventoryParts: [String: (version: Int, precedence: VariablePrecedence?, magic: OrderedDictionary<String, Value>)] = [:]
    /// Per host, its magic variables for the inventory version and the count of activity changes
    /// (HostState.activityChanges) they were made at.
    private var magicByHost: [String: (version: Int, activity: Int, magic: OrderedDictionary<String, Value>)] = [:]
    /// Ansible's playbook_dir for this play (resolved once: it depends on the play and the current directory).
    private lazy var playbookDir: String = URL(fileURLWithPath: play.playbookDirectory.isEmpty ? playbookDirectory : play.playbookDirectory,
                                                relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardizedFileURL.path

    init(run: RunContext, play: Play, hosts: [String], playbookDirectory: String, adjacent: [AdjacentVariables]) {
        self.run = run
        self.play = play
        self.hosts = hosts
        self.playbookDirectory = playbookDirectory
        self.adjacent = adjacent
        var defaults = OrderedDictionary<String, Value>(), vars = OrderedDictionary<String, Value>()
        for role in play.publicRoles {
            defaults.merge(role.defaults) { _, new in new }
            vars.merge(role.vars) { _, new in new }
        }
        publicRoleDefaults = defaults
        publicRoleVars = vars
    }

    /// The layers every task of this play on `host` starts from, lowest first.
    func baseLayers(for host: String) -> VariablePrecedence {
        var precedence = inventoryParts(for: host).precedence ?? VariablePrecedence([VariableLayer(.extraVars, run.options.extraVars)])
        let state = run.state(host)
        var facts = OrderedDictionary<String, Value>()
        let gathered = state.facts
        if !gathered.isEmpty {
            facts["ansible_facts"] = .dict(gathered)
            for (k, v) in state.factVariables { facts[k] = v }   // INJECT_FACTS_AS_VARS
        }
        precedence.set(.hostFacts, facts)
        precedence.set(.playVars, play.keywords.vars)
        precedence.set(.playVarsFiles, lock.withLock { varsFilesByHost[host] ?? [:] })
        precedence.set(.includeVars, state.includeVars)
        precedence.set(.setFacts, state.hostFacts)
        return precedence
    }

    /// The scope of `entry` on `host`.
    func scope(for host: String, entry: TaskEntry) throws -> VariableScope {
        var precedence = baseLayers(for: host)
        // Every public role's defaults and vars, then the task's own role's above them (Ansible's order).
        var defaults = publicRoleDefaults, vars = publicRoleVars
        if let role = entry.role {
            defaults.merge(role.defaults) { _, own in own }
            vars.merge(role.vars) { _, own in own }
            precedence.set(.roleParams, role.params)
        }
        precedence.set(.roleDefaults, defaults)
        precedence.set(.roleVars, vars)
        precedence.set(.blockVars, entry.blockVars)
        precedence.set(.taskVars, entry.keywords.vars)
        var magic = magicVariables(for: host)
        if let role = entry.role {
            magic["role_path"] = .string(role.path)
            magic["role_name"] = .string(role.name)
            magic["ansible_role_name"] = .string(role.name)   // Ansible's fully qualified name: the same for a roles/ role
        }
        magic["ansible_search_path"] = .list(Self.searchPath(for: entry, playbookDirectory: playbookDirectory).map(Value.string))
        // Ansible's tasks always see ansible_connection (the connection in use, `ssh` by default) even where
        // no variable sets it; one that is set (inventory, play vars) is left as it is.
        // The value is the one the connection is made with (keywords, then localhost's local connection, then -c).
        if precedence["ansible_connection"] == nil {
            let local = host == "localhost" && precedence["ansible_host"] == nil
            magic["ansible_connection"] = .string(entry.keywords.connection ?? play.keywords.connection
                                                  ?? (local ? "local" : run.options.connection ?? "ssh"))
        }
        let scope = VariableScope(precedence: precedence, magic: magic, templates: run.templates, hostvars: hostvarsProvider())
        SensitiveVariables.register(in: scope)
        return scope
    }

    /// Ansible's `ansible_search_path`, where lookups find relative files: the task's role directory, then
    /// the directory of the file the task is written in, then the playbook's directory.
    static func searchPath(for entry: TaskEntry, playbookDirectory: String) -> [String] {
        var paths: [String] = []
        if let role = entry.role { paths.append(role.path) }
        let file = entry.task.location.file
        let taskDirectory = file.hasPrefix("/") ? (file as NSString).deletingLastPathComponent : playbookDirectory
        if !paths.contains(taskDirectory) { paths.append(taskDirectory) }
        if !paths.contains(playbookDirectory) { paths.append(playbookDirectory) }
        return paths
    }

    /// A scope for play-level templates (play name, vars_files paths).
    func playScope(for host: String) -> VariableScope {
        VariableScope(precedence: baseLayers(for: host), magic: magicVariables(for: host), templates: run.templates,
                      hostvars: hostvarsProvider())
    }

    /// The inventory's layers (nil for a host it does not list) and magic variables of `host`, kept per inventory version.
    private func inventoryParts(for host: String) -> (precedence: VariablePrecedence?, magic: OrderedDictionary<String, Value>) {
        let (inventory, version) = run.live.versioned
        if let kept = lock.withLock({ inventoryParts[host] }), kept.version == version { return (kept.precedence, kept.magic) }
        let listed = inventory.hostNames.contains(host)
        let precedence = listed ? inventory.precedence(for: host, playbookAdjacent: adjacent, extraVars: run.options.extraVars) : nil
        let magic: OrderedDictionary<String, Value> = listed ? inventory.magicVariables(of: host) : [
            "inventory_hostname": .string(host), "inventory_hostname_short": .string(String(host.split(separator: ".").first ?? "")),
            "group_names": [], "groups": .dict(inventory.groups.mapValues { .list($0.map(Value.string)) }),
        ]
        lock.withLock { inventoryParts[host] = (version, precedence, magic) }
        return (precedence, magic)
    }

    func magicVariables(for host: String) -> OrderedDictionary<String, Value> {
        // Every task of every host asks for these; they change only with the inventory and with the
        // hosts still active, so a host's last answer is reused while neither changed.
        let version = run.live.versioned.version, activity = HostState.activityChanges
        if let kept = lock.withLock({ magicByHost[host] }), kept.version == version, kept.activity == activity { return kept.magic }
        let magic = buildMagicVariables(for: host, active: hosts.filter { run.state($0).isActive })
        lock.withLock { magicByHost[host] = (version, activity, magic) }
        return magic
    }

    private func buildMagicVariables(for host: String, active: [String]) -> OrderedDictionary<String, Value> {
        var magic = inventoryParts(for: host).magic
        magic["play_hosts"] = .list(active.map(Value.string))
        magic["ansible_play_hosts"] = .list(active.map(Value.string))
        magic["ansible_play_hosts_all"] = .list(hosts.map(Value.string))
        magic["ansible_play_batch"] = .list(active.map(Value.string))
        magic["ansible_play_name"] = .string(play.name ?? play.hosts.joined(separator: ","))
        // Ansible's basedir for this play: an imported playbook's plays get its own directory.
        magic["playbook_dir"] = .string(lock.withLock { playbookDir })
        // The run's modes; a task's check_mode/diff keywords replace these in its scope (TaskSettings.scope).
        magic["ansible_check_mode"] = .bool(run.options.checkMode)
        magic["ansible_diff_mode"] = .bool(run.options.diffMode)
        magic["ansible_version"] = ["full": "2.19.0", "major": 2, "minor": 19, "revision": 0, "string": "2.19.0 (keel)"]
        magic["ansible_verbosity"] = .int(run.options.verbosity)   // how many -v were given (roles print more with it)
        magic["omit"] = .string(VariableScope.omitToken)
        return magic
    }

    /// hostvars: every host's variables (inventory, facts, set_facts), unrendered, built on demand.
    func hostvarsProvider() -> @Sendable () -> Value {
        { [self] in
            var all = OrderedDictionary<String, Value>()
            for name in self.run.inventory.hostNames {
                var vars = self.baseLayers(for: name).merged()
                for (k, v) in self.run.inventory.magicVariables(of: name) { vars[k] = v }
                all[name] = .dict(vars)
            }
            return .dict(all)
        }
    }

    /// The variables connection settings are read from (ansible_host, ansible_user, ansible_become_user, ...),
    /// rendered; the remote_user, connection and port keywords (task over block over play) fill in what the
    /// variables leave unset, as in Ansible. A variable that fails to render fails the task, naming it.
    func connectionVariables(for host: String, keywords: Keywords? = nil, scope: VariableScope) throws -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        let winners = scope.precedence.winners(of: Self.connectionNameSet)
        for key in Self.connectionNames {
            do {
                if let value = try scope.lookup(key, winner: winners[key]) { result[key] = value }
            } catch {
                throw KeelError("the connection variable \(key) of \(host) cannot be rendered: \(TaskRunner.failureMessage(error))")
            }
        }
        let keywords = keywords ?? play.keywords
        if let user = keywords.remoteUser, result["ansible_user"] == nil { result["ansible_user"] = .string(try scope.renderString(user)) }
        if let connection = keywords.connection, result["ansible_connection"] == nil { result["ansible_connection"] = .string(connection) }
        if let port = keywords.port, result["ansible_port"] == nil {
            switch port {
            case .value(let number): result["ansible_port"] = .int(number)
            case .template(let text): result["ansible_port"] = try scope.render(.string(text))
            }
        }
        return result
    }

    /// The variables Transport and become read (HostConnectionSettings, TaskSettings.become).
    static let connectionNames = [
        "ansible_connection", "ansible_host", "ansible_ssh_host", "ansible_port", "ansible_ssh_port",
        "ansible_user", "ansible_ssh_user", "ansible_remote_user", "ansible_ssh_private_key_file", "ansible_private_key_file",
        "ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_ssh_common_args", "ansible_ssh_extra_args",
        "ansible_host_key_checking", "ansible_timeout", "ansible_ssh_timeout",
        "ansible_become", "ansible_become_user", "ansible_become_method", "ansible_become_flags", "ansible_become_exe",
        "ansible_become_password", "ansible_become_pass", "ansible_sudo_pass",
    ]
    static let connectionNameSet = Set(connectionNames)

    /// vars_files, read per host (their paths may use host variables); the first existing alternative wins.
    func loadVarsFiles(for host: String) throws {
        guard !play.varsFiles.isEmpty else { return }
        let scope = playScope(for: host)
        var merged = OrderedDictionary<String, Value>()
        for file in play.varsFiles {
            var loaded = false
            for alternative in file.alternatives {
                let name = try scope.renderString(alternative, origin: file.location)
                // Relative to the play's file: "." when it was named without a directory (not "", which made "/vars.yml").
                let path = ControllerPath.join(play.playbookDirectory, name)
                guard FileManager.default.fileExists(atPath: path) else { continue }
                for (k, v) in try run.loader.loadVariables(at: path) { merged[k] = v }
                loaded = true
                break
            }
            if !loaded {
                throw KeelError("vars_files: none of \(file.alternatives.joined(separator: ", ")) exists", at: file.location)
            }
        }
        lock.withLock { varsFilesByHost[host] = merged }
    }
}

extension VariableScope {
    /// Ansible's `omit`: an argument whose value is this token is left out.
    static let omitToken = "__omit_place_holder__keel"
}
