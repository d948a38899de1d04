import Foundation
import GRDB

/// One recorded `keel play` or `keel apply`: when, who, from which commit of the playbooks, how it went.
public struct RunRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "run"

    public var id: Int64?
    public var started: Date
    public var finished: Date
    public var user: String
    public var controller: String
    public var directory: String
    public var command: String
    /// JSON lists: the playbooks and inventory sources as given (absolute), and the names of extra variables.
    public var playbooks: String
    public var inventory: String
    public var extraVarNames: String
    public var limit: String?
    /// `git rev-parse HEAD` of the playbooks' repository, with "-dirty" when it has uncommitted changes.
    public var commit: String?
    public var checkMode: Bool
    /// ok, changed, failed, unreachable or interrupted.
    public var outcome: String
    public var hostCount: Int
    public var changedCount: Int
    public var failedCount: Int

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var playbookList: [String] { Self.list(playbooks) }
    public var inventoryList: [String] { Self.list(inventory) }
    public var extraVarNameList: [String] { Self.list(extraVarNames) }

    static func list(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    static func json(_ list: [String]) -> String {
        // Most task results have no diff: no encoder is made for each of them (one per task and host).
        guard !list.isEmpty else { return "[]" }
        return (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
    }
}

/// One task's outcome on one host (or loop item) in a recorded run. Diff labels (file names, objects)
/// are kept, never the diffs themselves: history must not become a copy of the hosts' secrets.
public struct TaskRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "task"

    public var id: Int64?
    public var runId: Int64
    public var sequence: Int
    public var host: String
    public var play: String
    public var task: String
    public var module: String
    public var location: String?
    public var item: String?
    public var status: String
    public var duration: Double
    /// JSON list of the labels of the task's diffs.
    public var diffLabels: String
    public var message: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var diffLabelList: [String] { RunRecord.list(diffLabels) }
}
