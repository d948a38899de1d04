import KeelBase
import OrderedCollections

/// The difference between what a host has and what the task wants, as a value: printed in check mode,
/// applied as-is otherwise. An empty plan means the host is already right ("ok"). Each step carries all
/// the data it needs (paths, names, flags, contents), so a plan can be printed, saved and applied later
/// without the task's arguments.
public struct Plan<Step: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
    public var steps: [Step]
    /// Before/after views for `--diff` (one per file or object touched).
    public var diffs: [Diff]
    /// Values known without applying (path, state, ...), merged into the result for `register`.
    public var values: OrderedDictionary<String, Value>
    /// The fields that differ, for modules that manage objects which may need recreating.
    public var fieldChanges: FieldChanges?
    /// Values that replace or add to `values` in check mode only: what Ansible's module returns there when
    /// it differs from a real run (a command that did not run has no output, and says so).
    public var checkModeValues: OrderedDictionary<String, Value> = [:]

    public init(steps: [Step], diffs: [Diff] = [], values: OrderedDictionary<String, Value> = [:],
                fieldChanges: FieldChanges? = nil) {
        self.steps = steps
        self.diffs = diffs
        self.values = values
        self.fieldChanges = fieldChanges
    }

    /// One human-readable line per step (a step's `description` when it has one), then the changed fields.
    public func describe() -> [String] {
        steps.map { step in (step as? CustomStringConvertible)?.description ?? String(describing: step) }
            + (fieldChanges?.describe() ?? [])
    }

    public static func unchanged(values: OrderedDictionary<String, Value> = [:]) -> Plan {
        Plan(steps: [], values: values)
    }

    public var isEmpty: Bool { steps.isEmpty }

    /// What a check run reports: the values, with the check-mode ones on top.
    public var valuesInCheckMode: OrderedDictionary<String, Value> {
        values.merging(checkModeValues) { $1 }
    }
}

/// A before/after pair for one object, shown as a unified diff (text) or as changed fields.
public struct Diff: Sendable, Equatable, Codable {
    public var label: String
    public var before: String
    public var after: String
    /// Secret content: shown as a notice that it changed, never as text.
    public var redacted: Bool

    public init(label: String, before: String, after: String, redacted: Bool = false) {
        self.label = label
        self.before = before
        self.after = after
        self.redacted = redacted
    }
}

/// The outcome of one task on one host, as results and `register` see it.
public struct ModuleResult: Sendable, Equatable {
    public var changed: Bool
    public var failed: Bool = false
    public var skipped: Bool = false
    public var message: String?
    public var diffs: [Diff] = []
    public var values: OrderedDictionary<String, Value> = [:]
    /// The digest of the plan's steps (PlanDigest); nil when the module did not plan (skipped in check mode).
    public var planDigest: String?

    public init(changed: Bool, failed: Bool = false, skipped: Bool = false, message: String? = nil,
                diffs: [Diff] = [], values: OrderedDictionary<String, Value> = [:]) {
        self.changed = changed
        self.failed = failed
        self.skipped = skipped
        self.message = message
        self.diffs = diffs
        self.values = values
    }
}
