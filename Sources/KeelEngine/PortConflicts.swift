import Foundation
import KeelBase
import KeelModel
import KeelModules
import OrderedCollections

/// Port-conflict detection, before any host is contacted: every port each host will be made to use —
/// the claims of modules that listen or open the firewall (PortClaiming), the host's `keel_ports`
/// variable, and the team's `ports.yml` beside the playbook — resolved per host with the variables a
/// run would use. Two different users of one host's port are an error naming both; a port opened in the
/// firewall that nothing listens on is a warning. Tasks whose arguments or `when` need facts or
/// registered results cannot be resolved now and are left out: the check never guesses.
struct PortConflicts {
    let run: RunContext

    struct Use {
        var claim: PortClaim
        /// Who uses it: the module and the object's name or path. Two claims of the same user (a container
        /// created by one task and started by another, one HAProxy configuration file written by two
        /// tasks, each replacing the other) are not a conflict.
        var user: String
        var description: String
        var location: SourceLocation?
    }

    func analyze(_ playbooks: [Playbook]) -> (errors: [KeelError], warnings: [KeelError]) {
        var errors: [KeelError] = []
        var warnings: [KeelError] = []
        for playbook in playbooks {
            var uses: OrderedDictionary<String, [Use]> = [:]
            var declared: [String: [Use]] = [:]
            let directory = ControllerPath.directory(of: playbook.path)
            let registry = PortsRegistry.load(beside: directory)
            errors += registry.problems
            let adjacent = (try? AdjacentVariables.load(beside: directory, groups: Array(run.inventory.groups.keys),
                                                        hosts: run.inventory.hostNames)).map { [$0] } ?? []
            for play in playbook.plays {
                var hosts = (try? run.inventory.select(pattern: play.hosts.joined(separator: ","), limit: run.options.limit)) ?? []
                if hosts.isEmpty, play.hosts.contains("localhost") { hosts = ["localhost"] }
                let scope = PlayScope(run: run, play: play, hosts: hosts, playbookDirectory: directory, adjacent: adjacent)
                let claiming = claimingTasks(of: play)
                for host in hosts {
                    try? scope.loadVarsFiles(for: host)
                    uses[host, default: []] += claims(of: claiming, on: host, scope: scope)
                    if declared[host] == nil { declared[host] = declaredPorts(of: host, scope: scope) }
                }
            }
            for (host, hostUses) in uses {
                let all = hostUses + registry.uses(for: host, inventory: run.inventory) + (declared[host] ?? [])
                let (hostErrors, hostWarnings) = findings(host: host, all)
                errors += hostErrors
                warnings += hostWarnings
            }
        }
        var seen = Set<String>()
        return (errors.filter { seen.insert($0.description).inserted }, warnings.filter { seen.insert($0.description).inserted })
    }

    /// A task whose module claims ports (PortClaiming), with what reads its claims from its arguments.
    private struct ClaimingTask {
        var entry: TaskEntry
        var module: String
        var claims: @Sendable (OrderedDictionary<String, Value>) -> [PortClaim]
    }

    /// The play's tasks (and handlers) whose modules claim ports: found once per play, since walking the
    /// task lists is the same for every host and most tasks claim nothing.
    private func claimingTasks(of play: Play) -> [ClaimingTask] {
        var found: [ClaimingTask] = []
        let sections: [[TaskNode]] = [play.preTasks, play.roleRuns.map { .block($0.taskBlock) } + play.tasks, play.postTasks, play.allHandlers]
        for (index, section) in sections.enumerated() {
            let iterator = HostIterator(tasks: section, keywords: play.keywords, id: "ports\(index)", isHandlerList: index == 3)
            while let entry = iterator.next() {
                guard let runner = run.registry.runner(for: entry.task.action), let claimsOf = runner.portClaims else { continue }
                found.append(ClaimingTask(entry: entry, module: runner.name, claims: claimsOf))
            }
        }
        return found
    }

    /// Every claim the play's claiming tasks make on one host.
    private func claims(of tasks: [ClaimingTask], on host: String, scope: PlayScope) -> [Use] {
        var uses: [Use] = []
        for task in tasks {
            let entry = task.entry
            guard let taskScope = try? scope.scope(for: host, entry: entry) else { continue }
            let name = entry.task.name ?? task.module
            for (itemScope, item) in items(of: entry, scope: taskScope) {
                // Only tasks certain to run: a `when` that is false, or cannot be known yet, claims nothing.
                guard (try? itemScope.holds(entry.keywords.when)) == true,
                      let rendered = try? itemScope.render(.dict(entry.task.args), origin: entry.task.argsLocation),
                      let arguments = rendered.dictValue?.filter({ $0.value != .string(VariableScope.omitToken) }) else { continue }
                let user = task.module + ":" + (arguments["name"]?.stringValue ?? arguments["path"]?.stringValue ?? "\(entry.task.location)") + (item.map { "[\($0)]" } ?? "")
                for claim in task.claims(arguments) {
                    uses.append(Use(claim: claim, user: user,
                                    description: "\(claim.what) (task '\(name)' at \(Self.place(entry.task.location)))",
                                    location: entry.task.location))
                }
            }
        }
        return uses
    }

    /// The host's `keel_ports` variable, as the play's tasks would see it.
    private func declaredPorts(of host: String, scope: PlayScope) -> [Use] {
        let variables = VariableScope(precedence: scope.baseLayers(for: host), magic: scope.magicVariables(for: host),
                                      templates: run.templates, hostvars: scope.hostvarsProvider())
        guard let raw = try? variables.lookup("keel_ports"), let value = try? variables.render(raw), case .list(let items) = value else { return [] }
        return items.compactMap { item in
            guard case .success(let claim) = PortsRegistry.entry(item, source: "keel_ports") else { return nil }
            return Use(claim: claim, user: "keel_ports:\(claim.what)", description: "\(claim.what) of \(host)", location: nil)
        }
    }

    /// The task's scope once, or once per loop item when its loop can be resolved now.
    private func items(of entry: TaskEntry, scope: VariableScope) -> [(VariableScope, String?)] {
        guard let loop = entry.task.loop else { return [(scope, nil)] }
        guard let values = try? LoopItems.resolve(loop, in: scope, action: entry.task.writtenAction) else { return [] }
        let loopVar = entry.task.loopControl?.loopVar ?? "item"
        return values.map { (scope.adding(.taskVars, [:], magic: [loopVar: $0]), $0.stringValue ?? $0.jsonString()) }
    }

    private func findings(host: String, _ uses: [Use]) -> ([KeelError], [KeelError]) {
        var errors: [KeelError] = []
        let listeners = uses.filter { $0.claim.kind == .listens }
        for (index, use) in listeners.enumerated() {
            for earlier in listeners[..<index] where earlier.user != use.user && earlier.claim.collides(with: use.claim) {
                errors.append(KeelError("port \(use.claim.port)/\(use.claim.proto) on \(host) is used twice: \(earlier.description) and \(use.description)",
                                        at: use.location ?? earlier.location,
                                        expected: "one user per host and port (give one of them another port, or another address)"))
                break
            }
        }
        var warnings: [KeelError] = []
        for opened in uses where opened.claim.kind == .opensFirewall {
            let listened = listeners.contains { $0.claim.port == opened.claim.port && $0.claim.proto == opened.claim.proto }
            if !listened {
                warnings.append(KeelError("port \(opened.claim.port)/\(opened.claim.proto) is opened in the firewall on \(host), but nothing Keel knows listens on it: \(opened.description); list the service in ports.yml if it is not managed here",
                                          at: opened.location))
            }
        }
        return (errors, warnings)
    }

    static func place(_ location: SourceLocation) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let file = location.file.hasPrefix(cwd) ? String(location.file.dropFirst(cwd.count)) : location.file
        return "\(file):\(location.line)"
    }
}
