import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelReport
import KeelTransport
import OrderedCollections

/// Runs one play with Ansible's linear strategy: every host has its own iterator (blocks, rescue, always,
/// includes), and at each step the hosts that are at the same task run it together, in parallel up to
/// `forks`, before anyone moves on. Handlers run after pre_tasks, after roles and tasks, after post_tasks,
/// and at `meta: flush_handlers`, once per notified host, in the order they are defined.
struct PlayRunner: Sendable {
    let run: RunContext
    let play: Play
    let playbookPath: String
    let tagFilter: TagFilter

    func execute() async throws {
        let playbookDirectory = (absolute(playbookPath) as NSString).deletingLastPathComponent
        let pattern = play.hosts.joined(separator: ",")
        var hosts = try run.inventory.select(pattern: pattern, limit: run.options.limit)
        if hosts.isEmpty, play.hosts.contains("localhost") { hosts = ["localhost"] }
        hosts = order(hosts)
        let adjacent = try loadAdjacent(playbookDirectory)
        let title = play.name ?? pattern
        await run.emit(.playStarted(PlayInfo(name: title, hosts: hosts, location: play.location)))
        guard !hosts.isEmpty else {
            await run.emit(.warning(message: "no hosts matched '\(pattern)'", location: play.location))
            return
        }
        for batch in try batches(hosts, playbookDirectory: playbookDirectory) {
            if _Concurrency.Task.isCancelled { return }   // interrupted: no new batch
            let scope = PlayScope(run: run, play: play, hosts: batch, playbookDirectory: playbookDirectory, adjacent: adjacent)
            let active = batch.filter { run.state($0).isActive }
            for host in active {
                do { try scope.loadVarsFiles(for: host) } catch {
                    await fail(host, task: "vars_files", message: "\(error)", location: play.location)
                }
            }
            let sections: [[TaskNode]] = [play.preTasks, play.roleRuns.map { .block($0.taskBlock) } + play.tasks, play.postTasks]
            try await gatherFacts(scope: scope, hosts: batch.filter { run.state($0).isActive }, firstTasks: firstTasks(sections))
            var handlers = HandlerQueue(handlers: play.allHandlers)
            for (index, section) in sections.enumerated() {
                let ended = try await runSection(section, id: "s\(index)", scope: scope, handlers: &handlers,
                                                 following: laterTasks(sections, after: index))
                try await flush(&handlers, scope: scope)
                if ended { break }
            }
            if let limit = try maxFailPercentage(scope, playbookDirectory: playbookDirectory), !batch.isEmpty {
                let failed = batch.filter { !run.state($0).isActive }.count
                if Double(failed) / Double(batch.count) * 100 > limit { break }
            }
        }
    }

    /// Runs a task list on the play's active hosts in lockstep; true when the play was ended (meta: end_play).
    private func runSection(_ tasks: [TaskNode], id: String, scope: PlayScope, handlers: inout HandlerQueue,
                            isHandlers: Bool = false, following: [TaskEntry] = []) async throws -> Bool {
        guard !tasks.isEmpty else { return false }
        if play.strategy == "free", !isHandlers {
            return try await runSectionFree(tasks, id: id, scope: scope, handlers: &handlers, following: following)
        }
        var iterators: [String: HostIterator] = [:]
        let canRun = { (host: String) in isHandlers ? self.mayRunHandlers(on: host) : self.run.state(host).isActive }
        for host in scope.hosts where canRun(host) {
            iterators[host] = HostIterator(tasks: tasks, keywords: play.keywords, id: id, isHandlerList: isHandlers)
        }
        var pending: [String: TaskEntry] = [:]
        while true {
            // Interrupted (Ctrl-C): no task starts after this; the run goes on to its recap.
            if _Concurrency.Task.isCancelled { return true }
            for host in scope.hosts {
                guard let iterator = iterators[host], pending[host] == nil else { continue }
                if !canRun(host) { iterators[host] = nil; continue }
                while let entry = iterator.next() {
                    if admits(entry, isHandlers: isHandlers) { pending[host] = entry; break }
                }
                if pending[host] == nil {
                    if iterator.hostFailed { run.state(host).failed = true }
                    iterators[host] = nil
                }
            }
            guard let first = scope.hosts.first(where: { pending[$0] != nil }), let entry = pending[first] else { return false }
            let group = scope.hosts.filter { pending[$0]?.id == entry.id }
            for host in group { pending[host] = nil }
            let endPlay = try await runTask(entry, on: group, scope: scope, iterators: iterators, handlers: &handlers, following: following)
            if endPlay { return true }
            if isFatal(entry), group.contains(where: { !run.state($0).isActive }) {
                for host in scope.hosts { run.state(host).failIfActive() }
                return true
            }
        }
    }

    /// The free strategy: every host goes through the task list at its own pace, up to `forks` hosts at
    /// once, without waiting for the others at each task. Notified handlers are collected per host and run
    /// together after the section, as in the linear strategy. A task's `throttle` is shared by the hosts
    /// that reach it; a failure under `any_errors_fatal` stops every host before its next task.
    private func runSectionFree(_ tasks: [TaskNode], id: String, scope: PlayScope, handlers: inout HandlerQueue,
                                following: [TaskEntry]) async throws -> Bool {
        let hosts = scope.hosts.filter { run.state($0).isActive }
        let initial = handlers.withoutNotifications()
        let runner = self
        let throttle = TaskThrottle()
        let stop = PlayStop()
        let outcomes = await concurrentMap(hosts, limit: run.options.forks) { host -> Result<(HandlerQueue, Bool), any Error> in
            var local = initial
            let iterator = HostIterator(tasks: tasks, keywords: runner.play.keywords, id: id, isHandlerList: false)
            do {
                while runner.run.state(host).isActive, !stop.isSet, !_Concurrency.Task.isCancelled, let entry = iterator.next() {
                    guard runner.admits(entry, isHandlers: false) else { continue }
                    if runner.run.registry.control(for: entry.task.action)?.bypassesHostLoop == true {
                        // As ansible-core's free strategy: refused, since it would run for every host.
                        await runner.fail(host, task: entry.task.name ?? entry.task.writtenAction, message: "The '\(entry.task.writtenAction)' module "
                                          + "bypasses the host loop, which is currently not supported in the free strategy and would instead "
                                          + "execute for every host in the inventory list.", location: entry.task.location)
                        stop.set()
                        break
                    }
                    let limit = try TaskThrottle.value(entry.keywords.throttle) { try scope.scope(for: host, entry: entry) }
                    if let limit, limit > 0 {
                        await throttle.acquire(entry.id, limit: limit)
                        // A host that waited for a slot has not started the task: a fatal failure meanwhile stops it too.
                        if stop.isSet { await throttle.release(entry.id); break }
                    }
                    let ended: Bool
                    do {
                        ended = try await runner.runTask(entry, on: [host], scope: scope, iterators: [host: iterator], handlers: &local,
                                                         following: following)
                    } catch {
                        if let limit, limit > 0 { await throttle.release(entry.id) }
                        throw error
                    }
                    if let limit, limit > 0 { await throttle.release(entry.id) }
                    if runner.isFatal(entry), !runner.run.state(host).isActive { stop.set() }
                    if ended { return .success((local, true)) }
                }
                if iterator.hostFailed {
                    runner.run.state(host).failed = true
                    if runner.play.keywords.anyErrorsFatal?.literal == true { stop.set() }
                }
                return .success((local, false))
            } catch {
                return .failure(error)
            }
        }
        var endPlay = false
        for outcome in outcomes {
            let (local, ended) = try outcome.get()
            handlers.merge(local)
            endPlay = endPlay || ended
        }
        if stop.isSet {
            for host in scope.hosts { run.state(host).failIfActive() }
            return true
        }
        return endPlay || _Concurrency.Task.isCancelled
    }

    /// Whether a change may carry the next tasks' changes at all in this play (ChainedChange): each host
    /// goes its own way after a success (linear strategy, no any_errors_fatal or max_fail_percentage), and
    /// no plan is being recorded or approved, nor a start task looked for.
    private var mayChain: Bool {
        play.strategy != "free" && play.keywords.anyErrorsFatal?.literal != true && play.maxFailPercentage == nil
            && run.options.chainChanges && run.options.planLedger == nil && run.options.startAtTask == nil
    }

    /// any_errors_fatal on the task, its blocks or the play.
    private func isFatal(_ entry: TaskEntry) -> Bool {
        entry.keywords.anyErrorsFatal?.literal == true || play.keywords.anyErrorsFatal?.literal == true
    }

    /// Tag selection and --start-at-task (which never holds back handlers).
    private func admits(_ entry: TaskEntry, isHandlers: Bool) -> Bool {
        guard tagFilter.selects(entry.keywords.tags) else { return false }
        return isHandlers || run.startAt.admits(name: entry.task.name, role: entry.role?.name)
    }

    /// One task on a group of hosts, in parallel; applies the outcomes. True when the play should end.
    private func runTask(_ entry: TaskEntry, on group: [String], scope: PlayScope, iterators: [String: HostIterator],
                         handlers: inout HandlerQueue, following: [TaskEntry] = []) async throws -> Bool {
        let runOnce = entry.keywords.runOnce?.literal == true
        // An action that bypasses the host loop (add_host) runs on the first host only, as under run_once,
        // but (unlike run_once) its result stays that host's: the others neither register nor count it.
        let bypass = run.registry.control(for: entry.task.action)?.bypassesHostLoop == true
        let targets = runOnce || bypass ? Array(group.prefix(1)) : group
        let info = TaskInfo(name: entry.task.name ?? entry.task.writtenAction, module: entry.task.writtenAction,
                            location: entry.task.location, isHandler: entry.isHandler, hosts: targets)
        await run.emit(.taskStarted(info))
        let run = self.run
        let throttle = try targets.first.flatMap { first in try TaskThrottle.value(entry.keywords.throttle) { try scope.scope(for: first, entry: entry) } }
        // What each host runs after this task, for the lookahead that batches their observations.
        var upcoming: [String: [TaskEntry]] = [:]
        var chainable: [String: Int] = [:]
        if run.options.batchObservations {
            for host in targets {
                var next = iterators[host]?.upcoming(limit: ObservationLookahead.window) ?? []
                let own = next.count
                // A handler is followed by the other handlers this flush runs for the host.
                if entry.isHandler { next += handlers.upcomingEntries(for: host, keywords: play.keywords) }
                // Near a section's end, the next section's tasks (pre_tasks into tasks): one batch, not one per section.
                else if next.count < ObservationLookahead.window { next += following.prefix(ObservationLookahead.window - next.count) }
                let selected = next.indices.filter { tagFilter.selects(next[$0].keywords.tags) }   // not admits(): --start-at-task's state must not move
                upcoming[host] = selected.map { next[$0] }
                // The tasks that come next on this host whatever this task does, as long as it succeeds: its
                // change may carry theirs (ChainedChange). Not where one host's failure stops the others, not
                // under a plan being recorded or approved, not among handlers; into the next section only
                // when no handler can run in between (none notified for the host, none notified by this task
                // or the rest of its section).
                if mayChain, !entry.isHandler {
                    let section = selected.filter { $0 < own }.count
                    let flushes = !entry.task.notify.isEmpty || selected.prefix(section).contains { !next[$0].task.notify.isEmpty }
                        || !handlers.upcomingEntries(for: host, keywords: play.keywords).isEmpty
                    chainable[host] = flushes ? section : selected.count
                }
            }
        }
        let ahead = upcoming, chained = chainable
        let outcomes = await concurrentMap(targets, limit: TaskThrottle.width(throttle, forks: run.options.forks)) { host -> (String, TaskOutcome)? in
            // Interrupted before this host's turn (forks were busy): it does not start the task.
            if _Concurrency.Task.isCancelled { return nil }
            var planner: ReadPlanner?
            if let next = ahead[host] {
                let lookahead = ObservationLookahead(run: run, play: scope, host: host)
                await lookahead.prepare(entry, upcoming: next)
                if _Concurrency.Task.isCancelled { return nil }
                planner = lookahead.planner(for: entry, upcoming: next, chainable: chained[host] ?? 0)
            }
            // A change this task makes carries the next tasks' first reads along (one round trip for both).
            return (host, await ReadPlanner.$current.withValue(planner) {
                await TaskRunner(run: run, play: scope, entry: entry, host: host).execute()
            })
        }.compactMap { $0 }
        var results = Dictionary(uniqueKeysWithValues: outcomes)
        if runOnce, let only = outcomes.first {
            for host in group.dropFirst() {
                results[host] = only.1
                if let name = entry.task.register, let value = run.state(only.0).hostFacts[name] { run.state(host).setHostFact(name, value) }
            }
        }
        var endPlay = false
        for host in group {
            guard let outcome = results[host] else { continue }
            let state = run.state(host)
            state.count(outcome.status.rawValue)
            switch outcome.status {
            case .failed:
                let scopeVars = ["ansible_failed_task": Value.dict(["name": .string(info.name), "action": .string(entry.task.action)]),
                                 "ansible_failed_result": outcome.failedResult ?? .dict([:])]
                switch iterators[host]?.fail() ?? .hostFailed {
                case .rescued:
                    state.count("rescued")
                    state.uncount("failed")
                    for (k, v) in scopeVars { state.setHostFact(k, v) }
                case .deferred:
                    // `always` runs first; the iterator re-raises the failure after it.
                    for (k, v) in scopeVars { state.setHostFact(k, v) }
                case .hostFailed:
                    state.failed = true
                }
            case .unreachable:
                state.unreachable = true
            default:
                break
            }
            for name in outcome.notify { handlers.notify(name, host: host) }
            endPlay = try await apply(outcome.effects, itemVars: outcome.itemVars, entry: entry, host: host, scope: scope,
                                      iterator: iterators[host], handlers: &handlers) || endPlay
        }
        return endPlay
    }

    /// Effects of control actions: facts, includes, meta.
    private func apply(_ effects: [ControlOutcome.Effect], itemVars: [OrderedDictionary<String, Value>], entry: TaskEntry, host: String,
                       scope: PlayScope, iterator: HostIterator?, handlers: inout HandlerQueue) async throws -> Bool {
        let state = run.state(host)
        var endPlay = false
        // A looped include gives one insertion per item; they run in the loop's order (inserted at the end).
        var insertions: [HostIterator.Insertion] = []
        defer { iterator?.insert(insertions, group: entry.id) }
        for (index, effect) in effects.enumerated() {
            let vars = index < itemVars.count ? itemVars[index] : [:]
            switch effect {
            case .setFacts(let facts): for (k, v) in facts { state.setHostFact(k, v) }
            case .includeVars(let vars): for (k, v) in vars { state.setIncludeVar(k, v) }
            case .includeTasks(let file, _):
                do {
                    let (path, tasks) = try run.loader.loadIncludedTasks(at: file, includedFrom: entry.task.location.file,
                                                                         playbookDirectory: scope.playbookDirectory, role: entry.role,
                                                                         isHandler: entry.isHandler, location: entry.task.location)
                    try IncludeDepth.check(iterator?.includeChain ?? [], including: path, at: entry.task.location)
                    // Tasks brought in inside a block with `notify` inherit it, as the include did.
                    let inherited = entry.task.notify.isEmpty ? tasks
                        : tasks.map { $0.inheritingNotify(entry.task.notify, location: entry.task.notifyLocation) }
                    // The include's own `when` decided whether it ran; as in Ansible, its tasks do not inherit it
                    // (`include_tasks: crypto_macs.yml` under `when: ssh_macs is undefined` sets ssh_macs, and the
                    // tasks after the first must still run). Enclosing blocks' conditions still apply.
                    var keywords = entry.task.keywords
                    keywords.when = []
                    insertions.append(.init(tasks: inherited, keywords: keywords, vars: vars, role: entry.role, id: "\(entry.id)+\(index)", file: path))
                } catch {
                    await fail(host, task: entry.task.name ?? "include_tasks", message: "\(error)", location: entry.task.location)
                }
            case .includeRole(let name, let tasksFrom, let varsFrom, let defaultsFrom, _):
                do {
                    let role = try run.loader.loadRole(RoleRequest(name: name, tasksFrom: tasksFrom, varsFrom: varsFrom, defaultsFrom: defaultsFrom),
                                                       playbookDirectory: scope.playbookDirectory, parentRole: entry.role,
                                                       keywords: entry.task.keywords, location: entry.task.location)
                    let roleFile = "\(role.path)/tasks/\(tasksFrom ?? "main")"
                    try IncludeDepth.check(iterator?.includeChain ?? [], including: roleFile, at: entry.task.location)
                    let roleNode = TaskNode.block(role.runBlock)
                    let inherited = entry.task.notify.isEmpty ? roleNode
                        : roleNode.inheritingNotify(entry.task.notify, location: entry.task.notifyLocation)
                    insertions.append(.init(tasks: [inherited], keywords: Keywords(), vars: vars, role: role.ref, id: "\(entry.id)+\(index)",
                                            file: roleFile))
                    handlers.add(role.handlers)
                } catch {
                    await fail(host, task: entry.task.name ?? "include_role", message: "\(error)", location: entry.task.location)
                }
            case .meta(let directive):
                switch directive {
                case "flush_handlers": try await flush(&handlers, scope: scope)
                case "end_play": endPlay = true
                case "end_host", "end_batch": iterator?.stop()
                case "clear_facts": state.setFacts([:])
                case "clear_host_errors": state.failed = false
                case "reset_connection":
                    await run.dropConnections(host: host, endKeptSessions: true)
                default: break
                }
            case .cacheFacts(let facts):
                state.mergeReturnedFacts(facts)
            case .gatherFacts:
                break   // TaskRunner gathered them (its result carries them) and turned this into cacheFacts
            case .addHost, .addGroup, .asyncStatus, .waitForConnection, .reboot:
                break   // TaskRunner changed the inventory before reporting the task
            }
        }
        return endPlay
    }

    /// Active hosts run their notified handlers; with force_handlers, so do hosts that failed since
    /// (never unreachable ones).
    private func mayRunHandlers(on host: String) -> Bool {
        let state = run.state(host)
        return state.isActive || ((play.forceHandlers?.literal ?? false) && !state.unreachable)
    }

    /// Runs the handlers notified so far, in definition order, each on the hosts that notified it.
    private func flush(_ handlers: inout HandlerQueue, scope: PlayScope) async throws {
        while let (handler, hosts) = handlers.takeNext(activeOnly: mayRunHandlers(on:)) {
            let handlerScope = PlayScope(run: run, play: play, hosts: scope.hosts.filter(hosts.contains), playbookDirectory: scope.playbookDirectory,
                                         adjacent: scope.adjacent)
            _ = try await runSection([handler], id: "h\(handlers.generation)", scope: handlerScope, handlers: &handlers, isHandlers: true)
        }
    }

    /// The tasks of the sections after `index`, as runSection will start them (the same ids), so that a
    /// lookahead near a section's end looks across into the next one. Handlers flushed in between are
    /// commands like any other: one that changes the host forgets the answers.
    private func laterTasks(_ sections: [[TaskNode]], after index: Int) -> [TaskEntry] {
        guard run.options.batchObservations else { return [] }
        var entries: [TaskEntry] = []
        for later in sections.indices where later > index && !sections[later].isEmpty && entries.count < ObservationLookahead.window {
            entries += HostIterator(tasks: sections[later], keywords: play.keywords, id: "s\(later)")
                .upcoming(limit: ObservationLookahead.window - entries.count)
        }
        return entries
    }

    /// The tasks of the play's first non-empty section as its hosts will start them (the same ids as
    /// runSection gives them), for the lookahead that batches them with fact gathering.
    private func firstTasks(_ sections: [[TaskNode]]) -> [TaskEntry] {
        guard run.options.batchObservations, let index = sections.firstIndex(where: { !$0.isEmpty }) else { return [] }
        return HostIterator(tasks: sections[index], keywords: play.keywords, id: "s\(index)")
            .upcoming(limit: ObservationLookahead.window).filter { tagFilter.selects($0.keywords.tags) }
    }

    /// The play's fact gathering (its gather_subset), merged into the host's facts as Ansible does.
    private func gatherFacts(scope: PlayScope, hosts: [String], firstTasks: [TaskEntry] = []) async throws {
        if case .value(false)? = play.gatherFacts { return }
        var hosts = hosts
        // ansible.cfg's gathering: explicit gathers only when the play asks; smart skips hosts that
        // already have facts from an earlier play of this run.
        if play.gatherFacts == nil {
            switch self.run.options.gathering {
            case .implicit: break
            case .explicit: return
            case .smart: hosts = hosts.filter { self.run.state($0).facts.isEmpty }
            }
        }
        guard !hosts.isEmpty else { return }
        let info = TaskInfo(name: "Gathering Facts", module: "gather_facts", location: play.location)
        await run.emit(.taskStarted(info))
        let run = self.run
        let playSubset = play.gatherSubset
        let keywords = play.keywords, location = play.location
        _ = await concurrentMap(hosts, limit: run.options.forks) { host -> Void in
            if _Concurrency.Task.isCancelled { return }
            let state = run.state(host)
            let requested: [String]
            let selection: FactSelection
            let settings: TaskSettings
            let access: TaskSettings.Access
            do {
                requested = try Self.subsetNames(playSubset, scope: scope.playScope(for: host))
                selection = try FactSelection(requested)
                // The play's settings: facts are gathered with its become (and its check mode is reported).
                let playScope = scope.playScope(for: host)
                let mode = try TaskSettings.mode(keywords, scope: playScope, options: run.options, at: location)
                settings = try TaskSettings.resolve(keywords, mode: mode, host: host, scope: TaskSettings.scope(playScope, with: mode),
                                                    play: scope, run: run, at: location)
                access = try settings.access
            } catch {
                state.failed = true
                state.count("failed")
                await run.emit(.hostResult(HostTaskResult(host: host, task: info, status: .failed, message: TaskRunner.failureMessage(error))))
                return
            }
            do {
                let connection = try await run.connection(for: host, settings: access.connection)
                if let prefetching = connection as? PrefetchingConnection, !firstTasks.isEmpty {
                    let become = access.become
                    let gather = ObservationLookahead.Probe { connection in
                        _ = try await FactGatherer.gather(on: connection, become: become, selection: selection, requested: requested)
                    }
                    await ObservationLookahead(run: run, play: scope, host: host)
                        .prepareGathering(gather, through: prefetching, key: access.connection.cacheKey, upcoming: firstTasks)
                }
                // Gathering only reads: it keeps the answers batched ahead.
                state.mergeFacts(try await HostReads.$readOnly.withValue(true) {
                    try await FactGatherer.gather(on: connection, become: access.become, selection: selection, requested: requested)
                })
                state.count("ok")
                await run.emit(.hostResult(HostTaskResult(host: host, task: info, status: .ok, checkMode: settings.mode.check)))
            } catch let error as TransportError where !error.isUnreachable {
                state.failed = true
                state.count("failed")
                await run.emit(.hostResult(HostTaskResult(host: host, task: info, status: .failed, message: "\(error)")))
            } catch is CancellationError {
                return
            } catch {
                state.unreachable = true
                state.count("unreachable")
                await run.emit(.hostResult(HostTaskResult(host: host, task: info, status: .unreachable, message: "\(error)")))
            }
        }
    }

    /// The play's gather_subset (a list, or one comma-separated string, maybe templated); Ansible's default is all.
    static func subsetNames(_ value: Value?, scope: VariableScope) throws -> [String] {
        guard let value else { return ["all"] }
        let rendered = try scope.render(value)
        if let list = rendered.listValue { return list.compactMap(\.stringValue) }
        if let text = rendered.stringValue { return [text] }
        throw KeelError("gather_subset must be a list of subset names, found \(rendered.jsonString())")
    }

    private func fail(_ host: String, task: String, message: String, location: SourceLocation?) async {
        let state = run.state(host)
        state.failed = true
        state.count("failed")
        await run.emit(.hostResult(HostTaskResult(host: host, task: TaskInfo(name: task, module: task, location: location), status: .failed, message: message)))
    }

    private func batches(_ hosts: [String], playbookDirectory: String) throws -> [[String]] {
        guard !play.serial.isEmpty else { return [hosts] }
        let steps = try PlayBatches.steps(play.serial, scope: playLevelScope(hosts, playbookDirectory: playbookDirectory), at: play.location)
        return PlayBatches.split(hosts, steps: steps)
    }

    private func order(_ hosts: [String]) -> [String] {
        switch play.order {
        case .reverseInventory?: return hosts.reversed()
        case .sorted?: return hosts.sorted()
        case .reverseSorted?: return hosts.sorted().reversed()
        case .shuffle?: return hosts.shuffled()
        default: return hosts
        }
    }

    private func maxFailPercentage(_ scope: PlayScope, playbookDirectory: String) throws -> Double? {
        switch play.maxFailPercentage {
        case .value(let v)?: return v
        case .template(let t)?:
            return try PlayBatches.percentage(t, scope: playLevelScope(scope.hosts, playbookDirectory: playbookDirectory), at: play.location)
        case nil: return nil
        }
    }

    /// What play-level keywords (serial, max_fail_percentage) are rendered with: the play's vars and the
    /// extra vars, as in Ansible (no host's variables: they apply to all hosts at once).
    private func playLevelScope(_ hosts: [String], playbookDirectory: String) -> VariableScope {
        var precedence = VariablePrecedence([VariableLayer(.extraVars, run.options.extraVars)])
        precedence.set(.playVars, play.keywords.vars)
        let playScope = PlayScope(run: run, play: play, hosts: hosts, playbookDirectory: playbookDirectory, adjacent: [])
        var magic = playScope.magicVariables(for: hosts.first ?? "localhost")
        for name in ["inventory_hostname", "inventory_hostname_short", "group_names"] { magic[name] = nil }
        return VariableScope(precedence: precedence, magic: magic, templates: run.templates, hostvars: playScope.hostvarsProvider())
    }

    private func loadAdjacent(_ directory: String) throws -> [AdjacentVariables] {
        let groups = Array(run.inventory.groups.keys)
        return [try AdjacentVariables.load(beside: directory, groups: groups, hosts: run.inventory.hostNames)]
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// Notified handlers, by name or `listen` topic, each host at most once per flush.
struct HandlerQueue: Sendable {
    private(set) var handlers: [TaskNode]
    private var notified: [Int: Set<String>] = [:]
    private(set) var generation = 0

    init(handlers: [TaskNode]) { self.handlers = handlers }

    mutating func add(_ more: [TaskNode]) { handlers += more }

    /// The same handlers with nothing notified: a host's own queue under the free strategy.
    func withoutNotifications() -> HandlerQueue {
        var copy = self
        copy.notified = [:]
        return copy
    }

    /// Takes over another queue's notifications (and the handlers it added through include_role).
    mutating func merge(_ other: HandlerQueue) {
        if other.handlers.count > handlers.count { handlers += other.handlers[handlers.count...] }
        for (index, hosts) in other.notified { notified[index, default: []].formUnion(hosts) }
    }

    mutating func notify(_ name: String, host: String) {
        for (index, node) in handlers.enumerated() {
            guard case .task(let task) = node else { continue }
            if task.name == name || task.listen.contains(name) { notified[index, default: []].insert(host) }
        }
    }

    /// The handlers still notified for `host`, as the entries the next flushes will run them as (their ids
    /// follow the generation as takeNext counts it): what the lookahead observes ahead of a handler.
    func upcomingEntries(for host: String, keywords: Keywords) -> [TaskEntry] {
        var entries: [TaskEntry] = []
        var next = generation
        for index in handlers.indices {
            guard let hosts = notified[index] else { continue }
            next += 1
            guard hosts.contains(host) else { continue }
            entries += HostIterator(tasks: [handlers[index]], keywords: keywords, id: "h\(next)", isHandlerList: true)
                .upcoming(limit: ObservationLookahead.window)
        }
        return entries
    }

    /// The first notified handler (in definition order) and its hosts, removed from the queue.
    mutating func takeNext(activeOnly: (String) -> Bool) -> (TaskNode, Set<String>)? {
        for index in handlers.indices {
            guard let hosts = notified.removeValue(forKey: index) else { continue }
            let live = hosts.filter(activeOnly)
            if live.isEmpty { continue }
            generation += 1
            return (handlers[index], live)
        }
        return nil
    }
}

/// --tags / --skip-tags with Ansible's special tags (always, never, all, tagged, untagged).
struct TagFilter: Sendable {
    var only: Set<String>
    var skip: Set<String>

    func selects(_ tags: [String]) -> Bool {
        let tags = Set(tags)
        if !skip.isEmpty {
            if !skip.isDisjoint(with: tags) { return false }
            if skip.contains("tagged") && !tags.isEmpty { return false }
            if skip.contains("untagged") && tags.isEmpty { return false }
        }
        if tags.contains("never") && only.isDisjoint(with: tags.subtracting(["never"])) && !only.contains("never") { return false }
        if only.isEmpty || only.contains("all") { return true }
        if tags.contains("always") { return true }
        if only.contains("tagged") && !tags.isEmpty { return true }
        if only.contains("untagged") && tags.isEmpty { return true }
        return !only.isDisjoint(with: tags)
    }
}
