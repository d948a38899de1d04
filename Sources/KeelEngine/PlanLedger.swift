import Foundation
import KeelBase

/// Saved plans during a run: records every task's planned digest per host (the check run that makes a
/// plan, and `keel apply`'s verifying check run), or, while `keel apply` applies, approves each module's
/// plan only when it is the one recorded for that task on that host.
public final class PlanLedger: @unchecked Sendable {
    private let lock = NSLock()
    private let approved: SavedPlan?
    private var counts: [String: [String: Int]] = [:]
    private var recorded: [String: [SavedPlan.PlannedTask]] = [:]

    /// A ledger that records; with `approving`, one that also refuses plans the saved plan does not hold.
    public init(approving plan: SavedPlan? = nil) {
        approved = plan
    }

    /// What every host ran, in order.
    public var tasks: [String: [SavedPlan.PlannedTask]] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }

    /// The key of the next run of a task on a host: its place, loop item, and how often it ran before
    /// (a task file included twice runs its tasks twice).
    func nextKey(host: String, place: String) -> String {
        lock.lock(); defer { lock.unlock() }
        let seen = counts[host, default: [:]][place, default: 0]
        counts[host, default: [:]][place] = seen + 1
        return seen == 0 ? place : "\(place)#\(seen + 1)"
    }

    /// A task's place with an absolute file name: the plan is made from one directory and may be
    /// applied from another.
    static func place(_ location: SourceLocation) -> String {
        let file = location.file.hasPrefix("/") ? location.file
            : URL(fileURLWithPath: location.file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)).standardizedFileURL.path
        return "\(file):\(location.line):\(location.column)"
    }

    func record(host: String, key: String, task: String, status: String, digest: String?) {
        lock.lock(); defer { lock.unlock() }
        recorded[host, default: []].append(SavedPlan.PlannedTask(key: key, task: task, status: status, digest: digest))
    }

    /// The approval `keel apply` gives a module's plan for this task: exactly the planned steps, or nothing.
    func approval(host: String, key: String, task: String) -> (@Sendable (String) throws -> Void)? {
        guard let approved else { return nil }
        let planned = approved.hosts[host]?.first { $0.key == key }
        return { digest in
            guard let planned else {
                throw KeelError("refused: task '\(task)' (\(key)) was not in the saved plan for \(host); nothing of it was applied")
            }
            if let expected = planned.digest, expected != digest {
                throw KeelError("refused: the host changed since the plan was made; task '\(task)' (\(key)) now plans other steps than the reviewed ones, so none of them was applied")
            }
        }
    }
}
