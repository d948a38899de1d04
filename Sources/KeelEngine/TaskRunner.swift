import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelReport
import KeelTemplate
import KeelTransport
import OrderedCollections

/// What one task did on one host, for the strategy: the recap status, what to notify, and what the
/// task asks the run to do next (includes, meta).
struct TaskOutcome: Sendable {
    var status: HostTaskResult.Status
    var notify: [String] = []
    var effects: [ControlOutcome.Effect] = []
    var failedResult: Value?
    /// Loop items for effects that apply per item (include_tasks in a loop).
    var itemVars: [OrderedDictionary<String, Value>] = []
}

/// Runs one task on one host: conditions, loop, arguments, the module (or control action), retries,
/// changed_when/failed_when, register, and the events for the report.
struct TaskRunner {
    let run: RunContext
    let play: PlayScope
    let entry: TaskEntry
    let host: String

    var task: Task { entry.task }

    static let hiddenMessage = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

    func execute() async -> TaskOutcome {
        let state = run.state(host)
        let scope: VariableScope
        let mode: TaskSettings.Mode
        do {
            // check_mode and diff are decided here, once: the module, the report and the task's own
            // templates (ansible_check_mode) all see this decision.
            let taskScope = try play.scope(for: host, entry: entry)
            mode = try TaskSettings.mode(entry.keywords, scope: taskScope, options: run.options, at: task.location)
            scope = TaskSettings.scope(taskScope, with: mode)
        } catch {
            return await report(.failed, message: "\(error)")
        }
        let info = TaskInfo(name: displayName(scope), module: task.writtenAction, location: task.location, isHandler: entry.isHandler)
        do {
            let noLog = try bool(entry.keywords.noLog, scope) ?? false
            let ignoreErrors = try bool(entry.keywords.ignoreErrors, scope) ?? false
            let items: [Value?]
            if let loop = task.loop {
                do {
                    items = try LoopItems.resolve(loop, in: scope, action: task.writtenAction).map { Optional($0) }
                } catch let error as KeelError where TemplateEngine.isUndefinedError(error) {
                    // As ansible-core: a loop over something undefined is an error only if the task's `when`
                    // holds without the item (`loop: "{{ user.keys }}"` under `when: user.keys is defined`).
                    guard let holds = try? scope.holds(entry.keywords.when), !holds else {
                        // The task's failure, with register and ignore_errors as for any failure.
                        let message = Self.failureMessage(error)
                        let failed: Value = ["changed": false, "failed": true, "msg": .string(message)]
                        if let name = task.register { state.setHostFact(name, failed) }
                        let status: HostTaskResult.Status = ignoreErrors ? .ignored : .failed
                        await emit(info, status, item: nil, message: message, diffs: [], values: [:], noLog: noLog, elapsed: 0, mode: mode)
                        var outcome = TaskOutcome(status: status)
                        if status == .failed { outcome.failedResult = failed }
                        return outcome
                    }
                    await emit(info, .skipped, item: nil, message: nil, diffs: [], values: [:], noLog: noLog, elapsed: 0, mode: mode)
                    if let name = task.register {
                        state.setHostFact(name, ["changed": false, "skipped": true, "skip_reason": "Conditional result was False"])
                    }
                    return TaskOutcome(status: .skipped, effects: [], itemVars: [])
                }
            } else {
                items = [nil]
            }
            var itemResults: [Value] = []
            var statuses: [HostTaskResult.Status] = []
            var effects: [ControlOutcome.Effect] = []
            var itemVars: [OrderedDictionary<String, Value>] = []
            let loopVar = task.loopControl?.loopVar ?? "item"
            let pauseBetweenItems = try task.loopControl?.pause.map { try loopPause($0, scope: scope) } ?? 0
            // set_fact in a loop: each item sees the facts the items before it set, as in Ansible
            // (`acc: "{{ acc | default([]) + [item] }}"` accumulates).
            var loopScope = scope
            if items.isEmpty {
                // A loop over nothing: Ansible reports the task skipped ("No items in the list").
                await emit(info, .skipped, item: nil, message: nil, diffs: [], values: [:], noLog: noLog, elapsed: 0, mode: mode)
            }
            for (index, item) in items.enumerated() {
                let (itemScope, loopVariables) = Self.itemScope(loopScope, task: task, item: item, index: index, count: items.count)
                let label = item.flatMap { _ in try? itemScope.renderString(task.loopControl?.label ?? "{{ \(loopVar) }}") }
                let labelText = item == nil ? nil : (label ?? item?.jsonString())
                let ledger = run.options.planLedger
                let planKey = ledger?.nextKey(host: host, place: PlanLedger.place(task.location) + (labelText.map { " item=\($0)" } ?? ""))
                // when is checked per item, as in Ansible.
                if !(try itemScope.holds(entry.keywords.when)) {
                    if let ledger, let planKey { ledger.record(host: host, key: planKey, task: info.name, status: "skipped", digest: nil) }
                    statuses.append(.skipped)
                    itemResults.append(["changed": false, "skipped": true, "skip_reason": "Conditional result was False"])
                    await emit(info, .skipped, item: labelText, message: nil, diffs: [], values: [:], noLog: noLog, elapsed: 0, mode: mode)
                    continue
                }
                let started = Date()
                var result: Attempt
                do {
                    let settings = try TaskSettings.resolve(entry.keywords, mode: mode, host: host, scope: itemScope, play: play,
                                                            run: run, at: task.location)
                    result = try await attempt(scope: itemScope, state: state, settings: settings,
                                               approvePlan: planKey.flatMap { run.options.planLedger?.approval(host: host, key: $0, task: info.name) })
                } catch {
                    // A module's or template's error fails this host's task like any failure, so
                    // ignore_errors, failed_when, register and rescue see it, as in Ansible.
                    result = Attempt(status: .failed, message: Self.failureMessage(error))
                }
                result = try applyOverrides(result, scope: itemScope)
                if let ledger, let planKey {
                    ledger.record(host: host, key: planKey, task: info.name, status: result.status.rawValue, digest: result.planDigest)
                }
                if pauseBetweenItems > 0, index < items.count - 1 {
                    try await _Concurrency.Task.sleep(for: .seconds(pauseBetweenItems))
                }
                var registered = result.registerValue
                if let item { registered[loopVar] = item; registered["ansible_loop_var"] = .string(loopVar) }
                itemResults.append(.dict(registered))
                statuses.append(result.status)
                effects += result.effects
                for case .setFacts(let facts) in result.effects where item != nil { loopScope = loopScope.adding(.setFacts, facts) }
                itemVars.append(loopVariables)
                let ignoreUnreachable = result.status == .unreachable ? (try bool(entry.keywords.ignoreUnreachable, itemScope) ?? false) : false
                let shownStatus: HostTaskResult.Status = (result.status == .failed && ignoreErrors) || ignoreUnreachable ? .ignored : result.status
                await emit(info, shownStatus, item: labelText, message: result.message, diffs: result.diffs,
                           values: result.values, noLog: noLog, elapsed: Date().timeIntervalSince(started), mode: mode, display: result.display)
                if result.status == .unreachable || (result.status == .failed && task.loop == nil) { break }
            }
            return try finish(statuses: statuses, itemResults: itemResults, effects: effects, itemVars: itemVars, scope: scope, state: state)
        } catch {
            return await report(.failed, message: "\(error)", info: info)
        }
    }

    /// The scope a loop item runs in (the loop variable, index_var, ansible_loop) and those variables.
    static func itemScope(_ scope: VariableScope, task: Task, item: Value?, index: Int, count: Int)
        -> (VariableScope, OrderedDictionary<String, Value>) {
        guard let item else { return (scope, [:]) }
        let loopVar = task.loopControl?.loopVar ?? "item"
        var loopVariables = OrderedDictionary<String, Value>()
        loopVariables[loopVar] = item
        if let indexVar = task.loopControl?.indexVar { loopVariables[indexVar] = .int(index) }
        loopVariables["ansible_loop_var"] = .string(loopVar)
        loopVariables["ansible_loop"] = ["index": .int(index + 1), "index0": .int(index), "first": .bool(index == 0),
                                         "last": .bool(index == count - 1), "length": .int(count)]
        return (scope.adding(.taskVars, [:], magic: loopVariables), loopVariables)
    }

    /// Aggregates item results into the task's status, stores `register`, decides on notify.
    private func finish(statuses: [HostTaskResult.Status], itemResults: [Value], effects: [ControlOutcome.Effect],
                        itemVars: [OrderedDictionary<String, Value>], scope: VariableScope, state: HostState) throws -> TaskOutcome {
        let changed = statuses.contains(.changed)
        let failed = statuses.contains(.failed)
        let unreachable = statuses.contains(.unreachable)
        let noItems = task.loop != nil && statuses.isEmpty
        let allSkipped = noItems || (!statuses.isEmpty && statuses.allSatisfy { $0 == .skipped })
        var status: HostTaskResult.Status = unreachable ? .unreachable : failed ? .failed : changed ? .changed : allSkipped ? .skipped : .ok
        let registered: Value
        if noItems {
            registered = ["changed": false, "skipped": true, "skipped_reason": "No items in the list", "results": .list([])]
        } else if task.loop != nil {
            registered = ["results": .list(itemResults), "changed": .bool(changed), "failed": .bool(failed),
                          "skipped": .bool(allSkipped), "msg": failed ? "One or more items failed" : "All items completed"]
        } else {
            registered = itemResults.first ?? ["changed": false, "skipped": true]
        }
        if let name = task.register { state.setHostFact(name, registered) }
        if status == .failed, try bool(entry.keywords.ignoreErrors, scope) == true { status = .ignored }
        if status == .unreachable, try bool(entry.keywords.ignoreUnreachable, scope) == true { status = .ignored }
        var outcome = TaskOutcome(status: status, effects: effects, itemVars: itemVars)
        if status == .failed { outcome.failedResult = registered }
        if changed && !failed {
            outcome.notify = try task.notify.map { try scope.renderString($0) }
        }
        return outcome
    }

    /// A task's failure text: a located error keeps its file:line:column, an unlocated one loses the
    /// "error: " prefix (the report already says the task failed).
    static func failureMessage(_ error: any Error) -> String {
        if error is CancellationError { return "interrupted: the task was stopped before it finished" }
        let text = "\(error)"
        if let keel = error as? KeelError, keel.location == nil, text.hasPrefix("error: ") { return String(text.dropFirst(7)) }
        return text
    }

    struct Attempt {
        var status: HostTaskResult.Status
        var message: String?
        var values: OrderedDictionary<String, Value> = [:]
        var diffs: [Diff] = []
        var effects: [ControlOutcome.Effect] = []
        var display = false
        /// The digest of the module's plan, for saved plans.
        var planDigest: String?

        var registerValue: OrderedDictionary<String, Value> {
            var v = values
            v["changed"] = .bool(status == .changed)
            if status == .failed { v["failed"] = true }
            if status == .skipped { v["skipped"] = true }
            if let message, v["msg"] == nil { v["msg"] = .string(message) }
            if !diffs.isEmpty {
                v["diff"] = .list(diffs.map { ["before": .string($0.before), "after": .string($0.after), "before_header": .string($0.label), "after_header": .string($0.label)] })
            }
            return v
        }
    }

    /// Runs the action, repeating it for `until`/`retries`.
    private func attempt(scope: VariableScope, state: HostState, settings: TaskSettings,
                         approvePlan: (@Sendable (String) throws -> Void)? = nil) async throws -> Attempt {
        var tries = 0
        let retries = try int(task.retries, scope) ?? 3
        let delay = try int(task.delay, scope) ?? 5
        while true {
            var result = try await TaskDeadline.run(seconds: settings.timeout, action: task.action, host: host) {
                try await perform(scope: scope, state: state, settings: settings, approvePlan: approvePlan)
            }
            guard !task.until.isEmpty, result.status != .unreachable else { return result }
            let withResult = scope.adding(.setFacts, task.register.map { [$0: .dict(result.registerValue)] } ?? [:])
            if try withResult.holds(task.until) {
                result.values["attempts"] = .int(tries + 1)
                return result
            }
            tries += 1
            if tries > retries {
                result.status = .failed
                result.message = "Retried \(retries) times, the condition was never met"
                result.values["attempts"] = .int(tries)
                return result
            }
            if delay > 0 { try await _Concurrency.Task.sleep(for: .seconds(delay)) }
        }
    }

    /// changed_when / failed_when, which see the result under the register name.
    private func applyOverrides(_ result: Attempt, scope: VariableScope) throws -> Attempt {
        guard result.status != .unreachable, result.status != .skipped, !task.changedWhen.isEmpty || !task.failedWhen.isEmpty else { return result }
        var result = result
        let withResult = scope.adding(.setFacts, task.register.map { [$0: .dict(result.registerValue)] } ?? [:])
        if !task.changedWhen.isEmpty {
            let changed = try withResult.holds(task.changedWhen)
            if result.status == .changed || result.status == .ok { result.status = changed ? .changed : .ok }
        }
        if !task.failedWhen.isEmpty {
            let failed = try withResult.holds(task.failedWhen)
            if failed { result.status = .failed; if result.message == nil { result.message = "failed_when condition was true" } }
            else if result.status == .failed { result.status = result.values["changed"]?.isTruthy == true ? .changed : .ok; result.message = nil }
        }
        return result
    }

    /// One execution of the task's action.
    private func perform(scope: VariableScope, state: HostState, settings: TaskSettings,
                         approvePlan: (@Sendable (String) throws -> Void)?) async throws -> Attempt {
        if let control = run.registry.control(for: task.action) {
            var arguments = OrderedDictionary<String, Value>()
            for (written, value) in task.args {
                // Keys are templated too, as Ansible templates the whole argument mapping: set_fact's
                // `"{{ item.key }}": "{{ item.value }}"` over with_dict sets one variable per entry.
                let key = written.contains("{{") ? try scope.renderString(written) : written
                let argument = control.unrenderedArguments.contains(key) ? value : try scope.render(value, origin: task.argLocations[written] ?? task.argsLocation)
                // `omit` leaves an argument out, as for modules.
                if argument != .string(VariableScope.omitToken) { arguments[key] = argument }
            }
            let context = EngineControlContext(scope: scope, host: host, run: run, play: play, entry: entry)
            var outcome = try await control.run(arguments, at: task.argsLocation, in: context)
            if let unreachable = try await gatherRequestedFacts(&outcome, settings: settings) { return unreachable }
            if !outcome.failed { try changeInventory(&outcome) }
            for effect in outcome.effects {
                if case .waitForConnection(let wait) = effect { return try await waitForConnection(wait, settings: settings) }
                if case .reboot(let request) = effect { return try await reboot(request, settings: settings) }
            }
            for case .asyncStatus(let jid, let mode) in outcome.effects {
                return try await asyncStatus(jid: jid, mode: mode, settings: settings, asyncDirectory: try scope.lookup("ansible_async_dir")?.stringValue)
            }
            let status: HostTaskResult.Status = outcome.failed ? .failed : outcome.skipped ? .skipped : outcome.changed ? .changed : .ok
            return Attempt(status: status, message: outcome.message, values: outcome.values, effects: outcome.effects, display: outcome.display)
        }
        guard let module = run.registry.runner(for: task.action) else {
            if let role = task.role, let file = RoleLibrary.module(task.action, in: role.path) {
                throw KeelError("module '\(task.writtenAction)' is the role's own (\(file)); Keel does not run Ansible's Python modules", at: task.location)
            }
            throw KeelError("no module named '\(task.writtenAction)'", at: task.location)
        }
        let rendered = try scope.render(.dict(task.args), origin: task.argsLocation)
        // `omit` leaves an argument out, as if it had not been written.
        let arguments = (rendered.dictValue ?? [:]).filter { $0.value != .string(VariableScope.omitToken) }
        let connection: any Connection
        var become: Become?
        if !module.needsConnection {
            // A controller-only module (an HTTP call): the host is not contacted, so its connection
            // settings do not matter.
            connection = ControllerOnlyConnection(hostName: settings.target, module: module.name)
        } else {
            let access = try settings.access   // a bad connection value fails the task; it is not "unreachable"
            become = access.become
            do {
                connection = try await run.connection(for: settings.target, settings: access.connection)
            } catch {
                return Attempt(status: .unreachable, message: "\(error)")
            }
        }
        var context = hostContext(scope: scope, state: state, settings: settings, connection: connection, become: become)
        context.approvePlan = approvePlan
        context.recordsPlanDigest = run.options.planLedger != nil
        do {
            if let seconds = try int(task.asyncSeconds, scope), seconds > 0 {
                var attempt = try await runAsync(module, arguments: arguments, context: context, check: settings.mode.check, seconds: seconds,
                                                 poll: try int(task.poll, scope) ?? Self.defaultPoll,
                                                 asyncDirectory: try scope.lookup("ansible_async_dir")?.stringValue)
                if !settings.mode.diff { attempt.diffs = [] }
                return attempt
            }
            let nonce = run.scriptNonces.nonce(host: host, task: ObservationLookahead.key(entry), claim: true)
            let result = try await ScriptNonce.$current.withValue(nonce) {
                try await module.run(arguments, at: task.argsLocation, on: context, mode: settings.mode.check ? .check : .apply)
            }
            let status: HostTaskResult.Status = result.failed ? .failed : result.skipped ? .skipped : result.changed ? .changed : .ok
            var attempt = Attempt(status: status, message: result.message, values: result.values, diffs: settings.mode.diff ? result.diffs : [],
                                  effects: Self.returnedFacts(result))
            attempt.planDigest = result.planDigest
            return attempt
        } catch let error as TransportError where error.isUnreachable {
            await run.dropConnections(host: settings.target)
            return Attempt(status: .unreachable, message: "\(error)")
        }
    }

    /// What a module sees of this host for this task (also what the lookahead observes with).
    func hostContext(scope: VariableScope, state: HostState, settings: TaskSettings, connection: any Connection,
                     become: Become?) -> HostContext {
        var context = HostContext(name: host, connection: connection, become: become,
                                  facts: .dict(state.facts), files: ControllerFiles(searchPaths: searchPaths()),
                                  renderTemplate: { [scope] source, path in
                                      try scope.templates.render(source, context: scope, origin: SourceLocation(file: path, line: 1, column: 1))
                                  }, services: run.services)
        context.environment = settings.environment
        context.renderTemplateFile = { [scope] request in
            try scope.templates.render(request.source, context: LayeredTemplateContext(variables: request.variables, base: scope),
                                       origin: SourceLocation(file: request.path, line: 1, column: 1), options: request.options,
                                       loader: request.loader)
        }
        return context
    }

    /// Facts a module returns under `ansible_facts` (service_facts, package_facts, getent, hostname) join
    /// the host's facts, as Ansible adds them, under the names the module gave (HostState.mergeReturnedFacts).
    static func returnedFacts(_ result: ModuleResult) -> [ControlOutcome.Effect] {
        guard !result.failed, let facts = result.values["ansible_facts"]?.dictValue, !facts.isEmpty else { return [] }
        return [.cacheFacts(facts)]
    }

    /// A `setup` task gathers here, not after the task, so its result (what `register` keeps) carries the
    /// facts under `ansible_facts` as Ansible's does; the play then merges them into the host's facts.
    /// Returns the attempt to report when the host cannot be reached.
    private func gatherRequestedFacts(_ outcome: inout ControlOutcome, settings: TaskSettings) async throws -> Attempt? {
        guard let index = outcome.effects.firstIndex(where: { if case .gatherFacts = $0 { true } else { false } }),
              case .gatherFacts(let subset, let filter) = outcome.effects[index] else { return nil }
        let requested = subset ?? ["all"]
        let access = try settings.access
        let connection: any Connection
        do {
            connection = try await run.connection(for: settings.target, settings: access.connection)
        } catch {
            return Attempt(status: .unreachable, message: "\(error)")
        }
        do {
            let selection = try FactSelection(requested)
            // Gathering only reads: answers batched ahead stay good.
            let facts = try await HostReads.$readOnly.withValue(true) {
                try await FactGatherer.gather(on: connection, become: access.become, selection: selection,
                                              filter: FactFilter(filter), requested: requested)
            }
            // Gathered facts are named `ansible_<fact>` as the setup module returns them.
            var named = OrderedDictionary<String, Value>()
            for (k, v) in facts { named["ansible_" + k] = v }
            outcome.effects[index] = .cacheFacts(named)
            outcome.values["ansible_facts"] = .dict(facts)
        } catch let error as TransportError where error.isUnreachable {
            await run.dropConnections(host: settings.target)
            return Attempt(status: .unreachable, message: "\(error)")
        }
        return nil
    }

    /// add_host and group_by change the run's inventory here, before the task is reported, so its
    /// `changed` says whether the inventory changed (as ansible-core's strategy sets it).
    private func changeInventory(_ outcome: inout ControlOutcome) throws {
        for effect in outcome.effects {
            switch effect {
            case .addHost(let name, let groups, let variables):
                outcome.changed = try run.live.addHost(name, groups: groups, variables: variables) || outcome.changed
            case .addGroup(let name, let parents):
                outcome.changed = try run.live.addGroup(name, parents: parents, host: host) || outcome.changed
            default:
                break
            }
        }
    }

    /// loop_control.pause: seconds between items, whole or fractional (0.5), possibly a template.
    private func loopPause(_ pause: Value, scope: VariableScope) throws -> Double {
        let rendered = try scope.render(pause)
        if case .double(let seconds) = rendered { return seconds }
        if let seconds = rendered.intValue { return Double(seconds) }
        if let text = rendered.stringValue, let seconds = Double(text.trimmingCharacters(in: .whitespaces)) { return seconds }
        throw KeelError("loop_control.pause must be a number of seconds, found '\(rendered.stringValue ?? rendered.jsonString())'",
                        at: task.location)
    }

    private func searchPaths() -> [String] {
        var paths: [String] = []
        if let role = entry.role { paths.append(role.path) }
        paths.append(play.playbookDirectory)
        return paths
    }

    private func displayName(_ scope: VariableScope) -> String {
        let base = task.name.flatMap { try? scope.renderString($0) } ?? task.writtenAction
        if let role = entry.role?.name { return "\(role) : \(base)" }
        return base
    }

    func bool(_ value: Templatable<Bool>?, _ scope: VariableScope) throws -> Bool? {
        switch value {
        case .value(let b)?: return b
        case .template(let t)?: return scope.truthy(try scope.render(.string(t)))
        case nil: return nil
        }
    }

    func int(_ value: Templatable<Int>?, _ scope: VariableScope) throws -> Int? {
        switch value {
        case .value(let i)?: return i
        case .template(let t)?:
            let v = try scope.render(.string(t))
            return v.intValue ?? v.stringValue.flatMap { Int($0) }
        case nil: return nil
        }
    }

    private func emit(_ info: TaskInfo, _ status: HostTaskResult.Status, item: String?, message: String?, diffs: [Diff],
                      values: OrderedDictionary<String, Value>, noLog: Bool, elapsed: Double, mode: TaskSettings.Mode, display: Bool = false) async {
        // Under no_log the texts never leave the engine: the event carries only the label and the flag.
        let reported = diffs.map { diff -> ReportedDiff in
            let hidden = noLog || diff.redacted
            return ReportedDiff(label: diff.label, before: hidden ? "" : diff.before, after: hidden ? "" : diff.after, redacted: hidden)
        }
        let shown: OrderedDictionary<String, Value> = noLog ? ["censored": .string(Self.hiddenMessage)] : values
        var result = HostTaskResult(host: host, task: info, status: status, message: noLog && message != nil ? Self.hiddenMessage : message,
                                    item: noLog ? nil : item, diffs: reported, checkMode: mode.check,
                                    elapsedSeconds: elapsed, values: shown)
        result.display = display
        await run.emit(.hostResult(result))
    }

    private func report(_ status: HostTaskResult.Status, message: String, info: TaskInfo? = nil) async -> TaskOutcome {
        let info = info ?? TaskInfo(name: task.name ?? task.writtenAction, module: task.writtenAction, location: task.location, isHandler: entry.isHandler)
        await run.emit(.hostResult(HostTaskResult(host: host, task: info, status: status, message: message)))
        var outcome = TaskOutcome(status: status)
        if status == .failed { outcome.failedResult = ["failed": true, "msg": .string(message)] }
        return outcome
    }
}
