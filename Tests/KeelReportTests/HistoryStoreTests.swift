import Foundation
import Testing
@testable import KeelHistory

/// The history store writes task rows with a hand-written INSERT (one prepared statement for a run's many
/// rows): every TaskRecord field must come back as it was saved, nulls included.
@Suite("History store") struct HistoryStoreTests {
    @Test func everyFieldOfARunsTasksComesBackAsSaved() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-history-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try HistoryStore(path: path)
        let run = RunRecord(id: nil, started: Date(timeIntervalSince1970: 1_800_000_000), finished: Date(timeIntervalSince1970: 1_800_000_005),
                            user: "ops", controller: "laptop", directory: "/srv/playbooks", command: "keel play site.yml",
                            playbooks: #"["/srv/playbooks/site.yml"]"#, inventory: #"["/srv/playbooks/hosts"]"#, extraVarNames: "[]",
                            limit: "web", commit: "abc123", checkMode: false, outcome: "changed", hostCount: 2, changedCount: 1, failedCount: 0)
        let tasks = [
            TaskRecord(id: nil, runId: 0, sequence: 1, host: "web1", play: "web", task: "config", module: "template",
                       location: "site.yml:12:7", item: "a", status: "changed", duration: 0.25, diffLabels: #"["/etc/app.conf"]"#,
                       message: "written"),
            TaskRecord(id: nil, runId: 0, sequence: 2, host: "web2", play: "web", task: "ping", module: "ping",
                       location: nil, item: nil, status: "ok", duration: 0.01, diffLabels: "[]", message: nil),
        ]
        let id = try store.save(run, tasks: tasks)
        let read = try store.tasks(of: id)
        #expect(read.count == tasks.count)
        for (saved, original) in zip(read, tasks) {
            var expected = original
            expected.id = saved.id
            expected.runId = id
            #expect(saved.id != nil)
            #expect(saved == expected)
        }
    }
}
