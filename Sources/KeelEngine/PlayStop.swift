import Synchronization

/// Set once a failure under `any_errors_fatal` ends the play for everyone: under the free strategy each
/// host checks it before it starts its next task (a task already running on another host finishes).
final class PlayStop: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() { flag.store(true, ordering: .releasing) }
}
