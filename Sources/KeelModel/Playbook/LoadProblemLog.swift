import Foundation
import KeelBase

/// Problems the loader can step over to find the next one: an unknown module, keyword, filter or test,
/// a template that does not parse. With a log in LoaderOptions the loader records them here and goes on
/// (the task keeps its unknown action and is never run), so one check lists every problem of a
/// repository with its file:line; without one it throws the first, as before.
public final class LoadProblemLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [KeelError] = []

    public init() {}

    /// In the order they were found; a file loaded twice (imported by two plays) reports once.
    public var problems: [KeelError] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// How many problems are recorded so far (a mark for `take(from:)`).
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return recorded.count
    }

    /// Removes and returns the problems recorded since `mark` (those of a file loaded for a dynamic include).
    public func take(from mark: Int) -> [KeelError] {
        lock.lock()
        defer { lock.unlock() }
        guard mark < recorded.count else { return [] }
        let taken = Array(recorded[mark...])
        recorded.removeSubrange(mark...)
        return taken
    }

    func record(_ error: KeelError) {
        lock.lock()
        defer { lock.unlock() }
        if !recorded.contains(where: { $0.description == error.description }) { recorded.append(error) }
    }
}

extension PlaybookLoader {
    /// Records `error` when problems are being collected, throws it otherwise.
    func stepOver(_ error: KeelError) throws {
        guard let log = options.problemLog else { throw error }
        log.record(error)
    }

    /// Whether an action name is one the loader knows (a module, or import_/include_ and friends).
    func isKnownAction(_ name: String) -> Bool {
        KeywordTable.loaderAction(name) != nil || catalog.canonicalName(for: name) != nil
    }
}
