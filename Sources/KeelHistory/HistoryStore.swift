import Foundation
import GRDB

/// The local run history: a SQLite file, by default ~/.local/state/keel/history.sqlite
/// ($XDG_STATE_HOME/keel, or KEEL_HISTORY; KEEL_HISTORY=off records nothing). Several keel processes may
/// write at once: SQLite's locking serialises them, and a writer waits up to ten seconds for another.
public struct HistoryStore: Sendable {
    public let path: String
    let queue: DatabaseQueue

    /// Where the history lives, or nil when it is switched off.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["KEEL_HISTORY"], !explicit.isEmpty {
            return ["off", "0", "false", "no"].contains(explicit.lowercased()) ? nil : explicit
        }
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return state + "/keel/history.sqlite"
    }

    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        // Commands and hosts are not secrets, but they are nobody else's business either.
        chmod(path, 0o600)
        try Self.migrator.migrate(queue)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("started", .datetime).notNull()
                t.column("finished", .datetime).notNull()
                t.column("user", .text).notNull()
                t.column("controller", .text).notNull()
                t.column("directory", .text).notNull()
                t.column("command", .text).notNull()
                t.column("playbooks", .text).notNull()
                t.column("inventory", .text).notNull()
                t.column("extraVarNames", .text).notNull()
                t.column("limit", .text)
                t.column("commit", .text)
                t.column("checkMode", .boolean).notNull()
                t.column("outcome", .text).notNull()
                t.column("hostCount", .integer).notNull()
                t.column("changedCount", .integer).notNull()
                t.column("failedCount", .integer).notNull()
            }
            try db.create(table: "task") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.column("sequence", .integer).notNull()
                t.column("host", .text).notNull().indexed()
                t.column("play", .text).notNull()
                t.column("task", .text).notNull()
                t.column("module", .text).notNull()
                t.column("location", .text)
                t.column("item", .text)
                t.column("status", .text).notNull()
                t.column("duration", .double).notNull()
                t.column("diffLabels", .text).notNull()
                t.column("message", .text)
            }
        }
        return migrator
    }

    /// Saves a run with its task results in one transaction; returns the run's number.
    @discardableResult
    public func save(_ run: RunRecord, tasks: [TaskRecord]) throws -> Int64 {
        try queue.write { db in
            var run = run
            try run.insert(db)
            guard let id = run.id else { throw DatabaseError(message: "the run was not given an id") }
            // One prepared statement for every task: a converged run of many hosts saves one row per task
            // and host, and the record's generic encoding cost more than SQLite's insert. Its columns are
            // TaskRecord's (HistoryStoreTests reads every field back).
            let insert = try db.cachedStatement(sql: """
                INSERT INTO task (runId, sequence, host, play, task, module, location, item, status, duration, diffLabels, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for task in tasks {
                try insert.execute(arguments: [id, task.sequence, task.host, task.play, task.task, task.module, task.location,
                                               task.item, task.status, task.duration, task.diffLabels, task.message])
            }
            return id
        }
    }

    /// The newest runs first.
    public func runs(limit: Int) throws -> [RunRecord] {
        try queue.read { db in try RunRecord.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    public func run(_ id: Int64) throws -> RunRecord? {
        try queue.read { db in try RunRecord.fetchOne(db, key: id) }
    }

    public func tasks(of run: Int64) throws -> [TaskRecord] {
        try queue.read { db in try TaskRecord.filter(Column("runId") == run).order(Column("sequence")).fetchAll(db) }
    }

    /// The last run that applied (not a check run) and did not fail.
    public func lastApplied() throws -> RunRecord? {
        try queue.read { db in
            try RunRecord.filter(Column("checkMode") == false).filter(["ok", "changed"].contains(Column("outcome")))
                .order(Column("id").desc).fetchOne(db)
        }
    }
}
