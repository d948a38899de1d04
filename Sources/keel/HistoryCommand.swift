import ArgumentParser
import Foundation
import KeelHistory

/// `keel history`: the runs recorded on this machine, newest first; `keel history show N`: one of them.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the recorded runs, or show one (keel history show N).",
        discussion: "Every keel play, apply and drift is recorded in ~/.local/state/keel/history.sqlite (KEEL_HISTORY names another file; KEEL_HISTORY=off records nothing).",
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self)

    static func store() throws -> HistoryStore {
        guard let path = HistoryStore.defaultPath() else { throw ValidationError("the history is switched off (KEEL_HISTORY=off)") }
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no runs recorded yet (\(path) does not exist)") }
        return try HistoryStore(path: path)
    }

    static func when(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The recorded runs, newest first.")

        @Option(name: [.short, .long], help: "How many runs to list.")
        var number = 20

        func run() throws {
            let runs = try HistoryCommand.store().runs(limit: number)
            var rows = [["ID", "WHEN (UTC)", "USER", "MODE", "HOSTS", "CHANGED", "FAILED", "OUTCOME", "COMMIT", "PLAYBOOKS"]]
            for run in runs {
                rows.append([String(run.id ?? 0), HistoryCommand.when(run.started), run.user, run.checkMode ? "check" : "apply",
                             String(run.hostCount), String(run.changedCount), String(run.failedCount), run.outcome,
                             run.commit.map { String($0.prefix(10)) + ($0.hasSuffix("-dirty") ? "+" : "") } ?? "-",
                             run.playbookList.map { ($0 as NSString).lastPathComponent }.joined(separator: ",")])
            }
            print(Table.render(rows), terminator: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One run: how it was made, and per host what changed or failed.")

        @Argument(help: "The run's number (from keel history).")
        var id: Int64

        @Flag(name: .long, help: "Every task, also those that were ok or skipped.")
        var all = false

        func run() throws {
            let store = try HistoryCommand.store()
            guard let run = try store.run(id) else { throw ValidationError("no run \(id) in the history") }
            var text = "run \(id): \(run.command)\n"
            text += "  when:      \(HistoryCommand.when(run.started)) UTC (\(String(format: "%.1f", run.finished.timeIntervalSince(run.started))) s)\n"
            text += "  who:       \(run.user) on \(run.controller), in \(run.directory)\n"
            text += "  commit:    \(run.commit ?? "(not a git repository)")\n"
            text += "  mode:      \(run.checkMode ? "check (nothing was changed)" : "apply")\n"
            text += "  outcome:   \(run.outcome): \(run.hostCount) hosts, \(run.changedCount) \(run.checkMode ? "would change" : "changed"), \(run.failedCount) failed\n"
            var host = ""
            for task in try store.tasks(of: id) where all || ["changed", "failed", "unreachable"].contains(task.status) {
                if task.host != host {
                    host = task.host
                    text += "\(host):\n"
                }
                var line = "  \(task.status.padding(toLength: 11, withPad: " ", startingAt: 0)) \(task.task)"
                if let item = task.item { line += " (item=\(item))" }
                if let location = task.location { line += " [\(location)]" }
                let labels = task.diffLabelList
                if !labels.isEmpty { line += ": " + labels.joined(separator: ", ") }
                if let message = task.message { line += ": " + (message.split(separator: "\n").first.map(String.init) ?? "") }
                text += line + "\n"
            }
            print(text, terminator: "")
        }
    }
}

/// Left-aligned columns separated by two spaces.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "\n"
        }.joined()
    }
}
