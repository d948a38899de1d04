import Synchronization

/// What a task's own text says about it, worked out once per play rather than for every host and every
/// look at it: whether it may be part of a chain (ObservationLookahead.mayChain) and whether rendering it
/// may call a lookup (mayRunLookups). Both read the task's arguments, vars, conditions and environment as
/// JSON text, which costs more than the rest of a converged task's turn when it is repeated per host.
/// Keyed by the task's position (ObservationLookahead.key), which names one task with its inherited
/// keywords within a play.
final class TaskTraits: Sendable {
    private struct Traits {
        var mayChain: Bool?
        var mayRunLookups: Bool?
    }

    private let traits = Mutex<[String: Traits]>([:])

    func mayChain(_ entry: TaskEntry) -> Bool {
        remembered(entry, \.mayChain) { ObservationLookahead.mayChain(entry) }
    }

    func mayRunLookups(_ entry: TaskEntry) -> Bool {
        remembered(entry, \.mayRunLookups) { ObservationLookahead.mayRunLookups(entry.task, when: entry.keywords.when) }
    }

    private func remembered(_ entry: TaskEntry, _ trait: WritableKeyPath<Traits, Bool?>, work: () -> Bool) -> Bool {
        let key = ObservationLookahead.key(entry)
        if let known = traits.withLock({ $0[key]?[keyPath: trait] }) { return known }
        let value = work()
        traits.withLock { $0[key, default: Traits()][keyPath: trait] = value }
        return value
    }
}
