import KeelBase
import OrderedCollections
import KeelTransport

/// Whether a run may change hosts. The engine chooses; modules never look at it.
public enum RunMode: Sendable, Equatable {
    case apply
    case check
}

/// A module with its types erased, so the engine can run any module from its name without knowing it.
public struct ModuleRunner: Sendable {
    public let name: String
    public let aliases: [String]
    /// Spec and documentation are the module's own, read when first asked for (ControlRunner says why).
    public var spec: ArgumentSpec { specOf() }
    public var documentation: ModuleDocumentation { documentationOf() }
    private let specOf: @Sendable () -> ArgumentSpec
    private let documentationOf: @Sendable () -> ModuleDocumentation
    public let supportsCheckMode: Bool
    /// False for modules that run on the controller only: the engine need not connect to the host.
    public let needsConnection: Bool
    /// Whether the engine may take this module's observation ahead, batched with other tasks' (Module.observesInBatch).
    public let observesInBatch: Bool
    /// For modules that are one script on the host (command, shell): how to run it detached for `async`.
    public var detached: DetachedRunner? { detachedOf() }
    private let detachedOf: @Sendable () -> DetachedRunner?
    /// The ports a task with these arguments makes the host use (for port-conflict detection); nil for
    /// modules that claim none.
    public var portClaims: (@Sendable (OrderedDictionary<String, Value>) -> [PortClaim])? { portClaimsOf() }
    private let portClaimsOf: @Sendable () -> (@Sendable (OrderedDictionary<String, Value>) -> [PortClaim])?
    private let body: @Sendable (OrderedDictionary<String, Value>, SourceLocation?, HostContext, RunMode) async throws -> ModuleResult
    private let observeOnly: @Sendable (OrderedDictionary<String, Value>, HostContext, RunMode) async throws -> Void
    private let rehearseOnly: @Sendable (OrderedDictionary<String, Value>, HostContext) async throws -> Rehearsal?
    /// Whether a task of this module may be rehearsed and sent ahead (Module.runsAhead).
    public let runsAhead: Bool

    /// What a task's apply would send, found on the controller (ChainedChange): nothing (the plan is
    /// empty), or its one command, with the files it writes (what the next tasks will observe there).
    public enum Rehearsal: Sendable, Equatable {
        case noChange
        case change(ChangeRequest, writes: [WriteLog.Write])
    }

    public init<M: Module>(_ module: M.Type) {
        name = M.name
        aliases = M.aliases
        specOf = { M.spec }
        documentationOf = { M.documentation }
        supportsCheckMode = M.supportsCheckMode
        needsConnection = M.needsConnection
        observesInBatch = M.observesInBatch && M.needsConnection
        // Looked up when asked for: the casts behind them cost every run's registry (every module) time.
        detachedOf = { Self.detachedRunner(M.self) }
        portClaimsOf = { Self.portClaimer(M.self) }
        runsAhead = M.runsAhead && M.needsConnection
        let decoded = DecodedArguments<M.Arguments>()
        rehearseOnly = { raw, host in
            guard M.runsAhead else { return nil }
            let arguments = try decoded.arguments(for: raw) { try Self.arguments(M.self, raw, at: nil) }
            let module = M()
            let observed = try await HostReads.$readOnly.withValue(true) { try await module.observe(arguments, on: host) }
            let plan = try module.plan(arguments, observed: observed, on: host)
            if plan.isEmpty { return .noChange }
            let log = WriteLog()
            guard let commands = try await WriteLog.$current.withValue(log, operation: { try await Self.commands(of: module, applying: plan, on: host) }),
                  commands.count == 1 else { return nil }
            return .change(commands[0], writes: log.writes)
        }
        observeOnly = { raw, host, mode in
            let arguments = try decoded.arguments(for: raw) { try Self.arguments(M.self, raw, at: nil) }
            if mode == .check && !M.supportsCheckMode { return }
            _ = try await HostReads.$readOnly.withValue(true) { try await M().observe(arguments, on: host) }
        }
        body = { raw, location, host, mode in
            let arguments = try decoded.arguments(for: raw) { try Self.arguments(M.self, raw, at: location) }
            if mode == .check && !M.supportsCheckMode {
                return ModuleResult(changed: false, skipped: true, message: "skipped in check mode: '\(M.name)' cannot predict its effect")
            }
            let module = M()
            // observe only reads: the host's prefetching connection may answer it from a batch taken ahead.
            let observed = try await HostReads.$readOnly.withValue(true) { try await module.observe(arguments, on: host) }
            let plan = try module.plan(arguments, observed: observed, on: host)
            let digest = host.recordsPlanDigest || host.approvePlan != nil ? PlanDigest.of(plan) : nil
            if mode == .apply, let digest { try host.approvePlan?(digest) }
            if plan.isEmpty {
                var result = ModuleResult(changed: false, values: mode == .check ? plan.valuesInCheckMode : plan.values)
                result.planDigest = digest
                return result
            }
            guard mode == .apply else {
                var result = ModuleResult(changed: true, diffs: plan.diffs, values: plan.valuesInCheckMode)
                result.planDigest = digest
                return result
            }
            let applied: Applied
            do {
                // A change that is its task's only command may carry the next tasks' changes (ChainedChange):
                // counted first on a recording connection, which sends nothing.
                var onlyCommand = false
                let log = WriteLog()
                if M.runsAhead, ReadPlanner.current?.chains == true {
                    onlyCommand = await WriteLog.$current.withValue(log) { (try? await Self.commands(of: module, applying: plan, on: host))?.count == 1 }
                }
                applied = try await ChainedChange.$isOnlyCommand.withValue(onlyCommand) {
                    try await ChainedChange.$writes.withValue(log.writes) { try await module.apply(plan, on: host) }
                }
                await host.services.facts.invalidate(host: host.connection.hostName)
            } catch let failure as ModuleFailure {
                // The host may have changed before the failure: what was observed is stale.
                await host.services.facts.invalidate(host: host.connection.hostName)
                // A failure with results (a command's rc and output): register keeps them, as Ansible's do.
                return ModuleResult(changed: failure.changed, failed: true, message: failure.message, diffs: plan.diffs,
                                    values: plan.values.merging(failure.values) { $1 })
            } catch {
                await host.services.facts.invalidate(host: host.connection.hostName)
                throw error
            }
            return ModuleResult(changed: applied.changed, diffs: applied.changed ? plan.diffs : [],
                                values: plan.values.merging(applied.values) { $1 })
        }
    }

    /// The module's arguments validated against its spec and decoded; `location` (the task's) goes into the errors.
    private static func arguments<M: Module>(_ module: M.Type, _ raw: OrderedDictionary<String, Value>,
                                             at location: SourceLocation?) throws -> M.Arguments {
        let validated = try ArgumentValidator(module: M.name, spec: M.spec).validate(raw, at: location)
        do {
            return try ValueDecoder().decode(M.Arguments.self, from: .dict(validated))
        } catch {
            throw KeelError("module '\(M.name)' could not read its arguments: \(error)", at: location)
        }
    }

    /// The commands `module`'s apply of `plan` sends, answered as successes on a recording connection
    /// (with the task's script names from their start); nil when the apply does something else (throws).
    private static func commands<M: Module>(of module: M, applying plan: Plan<M.Step>, on host: HostContext) async throws -> [ChangeRequest]? {
        let recorder = RehearsalConnection(hostName: host.connection.hostName) { _ in nil }
        var dry = host
        dry.connection = recorder
        do {
            _ = try await ScriptNonce.$current.withValue(ScriptNonce.current?.restarted()) {
                try await HostReads.$readOnly.withValue(false) { try await module.apply(plan, on: dry) }
            }
        } catch {
            return nil
        }
        return recorder.changes
    }

    /// Rehearses a task on `host` (whose connection answers the observation from what the host answered
    /// before, RehearsalConnection): nil when its module may not run ahead, its observation needs a read
    /// nobody answered, or its apply is not exactly one command.
    public func rehearse(_ arguments: OrderedDictionary<String, Value>, on host: HostContext) async -> Rehearsal? {
        try? await rehearseOnly(arguments, host)
    }

    /// The observation alone, its result dropped: what the engine's lookahead runs against a recording
    /// connection to learn which reads a task will make.
    public func observe(_ arguments: OrderedDictionary<String, Value>, on host: HostContext, mode: RunMode) async throws {
        try await observeOnly(arguments, host, mode)
    }

    private static func portClaimer<M: Module>(_ module: M.Type) -> (@Sendable (OrderedDictionary<String, Value>) -> [PortClaim])? {
        guard let claiming = module as? any PortClaiming.Type else { return nil }
        return { arguments in claiming.portClaims(arguments) }
    }

    private static func detachedRunner<M: Module>(_ module: M.Type) -> DetachedRunner? {
        guard let detachable = module as? any DetachableModule.Type else { return nil }
        return DetachedRunner(detachable)
    }

    /// Validates the arguments, observes, plans, and (in apply mode) applies.
    public func run(_ arguments: OrderedDictionary<String, Value>, at location: SourceLocation?, on host: HostContext,
                    mode: RunMode) async throws -> ModuleResult {
        try await body(arguments, location, host, mode)
    }

    /// Validation alone, for load-time checks of literal arguments.
    public func validate(_ arguments: OrderedDictionary<String, Value>, at location: SourceLocation?) throws {
        _ = try ArgumentValidator(module: name, spec: spec).validate(arguments, at: location)
    }
}

/// Every module Keel knows, by name and alias. The engine looks modules up here; nothing else names them.
public struct ModuleRegistry: Sendable {
    public private(set) var runners: [String: ModuleRunner] = [:]
    public private(set) var controls: [String: ControlRunner] = [:]
    private var canonical: [String: String] = [:]

    public init(_ modules: [any Module.Type], controlActions: [any ControlAction.Type] = []) {
        for module in modules { register(ModuleRunner(module)) }
        for action in controlActions {
            let runner = ControlRunner(action)
            controls[runner.name] = runner
            canonical[runner.name] = runner.name
            for alias in runner.aliases { canonical[alias] = runner.name }
        }
    }

    public func control(for written: String) -> ControlRunner? {
        canonicalName(for: written).flatMap { controls[$0] }
    }

    /// Names and aliases a playbook may write, for the loader's catalog.
    public var allNames: [String] { canonical.keys.sorted() }

    /// Modules whose string form is a free-form command line.
    public func takesFreeForm(_ name: String) -> Bool {
        runners[name]?.spec.acceptsFreeForm ?? controls[name]?.spec.acceptsFreeForm ?? false
    }

    public mutating func register(_ runner: ModuleRunner) {
        runners[runner.name] = runner
        canonical[runner.name] = runner.name
        for alias in runner.aliases { canonical[alias] = runner.name }
    }

    /// `ansible.builtin.copy`, `ansible.legacy.copy` and declared aliases resolve to the module's name.
    public func canonicalName(for written: String) -> String? {
        if let name = canonical[written] { return name }
        for prefix in ["ansible.builtin.", "ansible.legacy."] where written.hasPrefix(prefix) {
            return canonical[String(written.dropFirst(prefix.count))]
        }
        return nil
    }

    public func runner(for written: String) -> ModuleRunner? {
        canonicalName(for: written).flatMap { runners[$0] }
    }

    public var names: [String] { (Array(runners.keys) + Array(controls.keys)).sorted() }
}
