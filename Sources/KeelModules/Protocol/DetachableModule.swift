import Foundation
import KeelBase
import OrderedCollections

/// A module whose whole change is one script on the host (command, shell). For `async`, the engine runs
/// that script detached on the host, as Ansible's async_wrapper runs a module: it keeps running when the
/// task (or the run) moves on, and its output waits in a job directory until async_status reads it.
public protocol DetachableModule: Module {
    /// The script a plan runs, with what it reads on stdin.
    func detachedScript(_ plan: Plan<Step>) -> DetachedScript
    /// The result `apply` would have given for what the detached script left (a failure is thrown as
    /// `ModuleFailure`, as from `apply`).
    func result(of plan: Plan<Step>, output: DetachedOutput) throws -> Applied
}

/// A script to run detached on the host.
public struct DetachedScript: Sendable, Equatable {
    public var script: String
    public var stdin: String?

    public init(script: String, stdin: String? = nil) {
        self.script = script
        self.stdin = stdin
    }
}

/// What a detached script left when it ended.
public struct DetachedOutput: Sendable, Equatable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    public var start: Date
    public var end: Date

    public init(status: Int32, stdout: Data, stderr: Data, start: Date, end: Date) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.start = start
        self.end = end
    }
}

/// How a detachable module starts: nothing to run (a creates= guard, check mode), or a script to detach
/// with its plan, encoded, to finish the result from once the script has ended (maybe in a later task).
public enum DetachedStart: Sendable {
    case finished(ModuleResult)
    case launch(DetachedScript, plan: Data)
}

/// A detachable module with its types erased, for the engine.
public struct DetachedRunner: Sendable {
    let start: @Sendable (OrderedDictionary<String, Value>, SourceLocation?, HostContext, RunMode) async throws -> DetachedStart
    let finish: @Sendable (Data, DetachedOutput) throws -> ModuleResult

    init<M: DetachableModule>(_ module: M.Type) {
        start = { raw, location, host, mode in
            let validated = try ArgumentValidator(module: M.name, spec: M.spec).validate(raw, at: location)
            let arguments: M.Arguments
            do {
                arguments = try ValueDecoder().decode(M.Arguments.self, from: .dict(validated))
            } catch {
                throw KeelError("module '\(M.name)' could not read its arguments: \(error)", at: location)
            }
            if mode == .check && !M.supportsCheckMode {
                return .finished(ModuleResult(changed: false, skipped: true, message: "skipped in check mode: '\(M.name)' cannot predict its effect"))
            }
            let module = M()
            let plan = try module.plan(arguments, observed: try await module.observe(arguments, on: host), on: host)
            if plan.isEmpty { return .finished(ModuleResult(changed: false, values: plan.values)) }
            if mode == .check { return .finished(ModuleResult(changed: true, diffs: plan.diffs, values: plan.values)) }
            return .launch(module.detachedScript(plan), plan: try JSONEncoder().encode(plan))
        }
        finish = { encoded, output in
            let plan = try JSONDecoder().decode(Plan<M.Step>.self, from: encoded)
            do {
                let applied = try M().result(of: plan, output: output)
                return ModuleResult(changed: applied.changed, diffs: applied.changed ? plan.diffs : [],
                                    values: plan.values.merging(applied.values) { $1 })
            } catch let failure as ModuleFailure {
                return ModuleResult(changed: failure.changed, failed: true, message: failure.message, diffs: plan.diffs,
                                    values: plan.values.merging(failure.values) { $1 })
            }
        }
    }

    /// Validates, observes and plans; says what to launch, or the result when nothing needs to run.
    public func start(_ arguments: OrderedDictionary<String, Value>, at location: SourceLocation?, on host: HostContext,
                      mode: RunMode) async throws -> DetachedStart {
        try await start(arguments, location, host, mode)
    }

    /// The result from the plan `start` gave and what the script left.
    public func finish(plan: Data, output: DetachedOutput) throws -> ModuleResult {
        try finish(plan, output)
    }
}
