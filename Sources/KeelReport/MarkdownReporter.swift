import Foundation
import KeelBase
import OrderedCollections

/// `--output markdown`: a summary sized for a pull-request comment. Per host, the tasks that changed
/// (or, in check mode, would change) with their diffs folded into `<details>`, then every failure; ok and
/// skipped tasks are only counted. Written once, at the recap, so an interrupted run still leaves one.
/// Everything passes the secret redactor, like every other output.
public actor MarkdownReporter: ReportSink {
    /// GitHub refuses comments over 65536 characters; the summary stops adding diffs well before that.
    public static let defaultBudget = 60_000

    let write: @Sendable (String) -> Void
    let budget: Int
    private var run = RunInfo(playbooks: [], checkMode: false, diffMode: false)
    private var plays: [String] = []
    /// host -> task key -> what happened to it, in the order the run met them.
    private var changes = OrderedDictionary<String, OrderedDictionary<TaskKey, TaskChange>>()
    private var failures: [HostTaskResult] = []
    private var warnings: [String] = []

    struct TaskKey: Hashable {
        var name: String
        var location: String
    }

    struct TaskChange {
        var task: TaskInfo
        var items: [String] = []
        var diffs: [ReportedDiff] = []
    }

    public init(budget: Int = MarkdownReporter.defaultBudget,
                write: @escaping @Sendable (String) -> Void = { StandardOutput.write($0) }) {
        self.budget = budget
        self.write = { write(SecretRedactor.shared.redact($0)) }
    }

    public func handle(_ event: RunEvent) async {
        switch event {
        case .runStarted(let info):
            run = info
        case .playStarted(let play):
            plays.append(play.name)
        case .taskStarted:
            break
        case .hostResult(let result):
            record(result)
        case .warning(let message, let location):
            warnings.append((location.map { Self.place($0) + ": " } ?? "") + message)
        case .recap(let recaps, _):
            write(render(recaps))
        }
    }

    private func record(_ result: HostTaskResult) {
        switch result.status {
        case .changed:
            let key = TaskKey(name: result.task.name, location: result.task.location.map(Self.place) ?? "")
            var change = changes[result.host]?[key] ?? TaskChange(task: result.task)
            if let item = result.item { change.items.append(item) }
            change.diffs += result.diffs
            changes[result.host, default: [:]][key] = change
        case .failed, .unreachable:
            failures.append(result)
        case .ok, .skipped, .rescued, .ignored:
            break
        }
    }

    func render(_ recaps: [HostRecap]) -> String {
        let verb = run.checkMode ? "would change" : "changed"
        let changedTasks = changes.values.reduce(0) { $0 + $1.count }
        var out = "## Keel \(run.checkMode ? "check" : "run"): "
        if changedTasks == 0 && failures.isEmpty {
            out += "no changes on \(count(recaps.count, "host"))\n\n"
        } else {
            out += "\(count(changedTasks, "task")) \(verb) on \(count(changes.count, "host"))"
            out += failures.isEmpty ? "\n\n" : ", \(count(failures.count, "failure"))\n\n"
        }
        if !run.playbooks.isEmpty {
            out += "Playbooks: " + run.playbooks.map { "`\(MarkdownText.code($0))`" }.joined(separator: ", ") + "\n\n"
        }
        out += recapTable(recaps)
        var remaining = budget - out.utf8.count
        var omittedDiffs = 0
        for (host, tasks) in changes {
            out = section(out, "### \(MarkdownText.escape(host)): \(count(tasks.count, "task")) \(verb)")
            for change in tasks.values {
                out += "- " + taskLine(change.task)
                if !change.items.isEmpty {
                    out += " (items: " + change.items.map { "`\(MarkdownText.code($0))`" }.joined(separator: ", ") + ")"
                }
                out += "\n"
                for diff in change.diffs {
                    let block = details(diff)
                    if block.utf8.count > remaining { omittedDiffs += 1; continue }
                    remaining -= block.utf8.count
                    out += block
                }
            }
        }
        if !failures.isEmpty {
            out = section(out, "### Failures")
            for failure in failures {
                let message = (failure.message ?? failure.status.rawValue).split(separator: "\n").first.map(String.init) ?? ""
                out += "- **\(MarkdownText.escape(failure.host))** " + taskLine(failure.task)
                    + (failure.item.map { " (item `\(MarkdownText.code($0))`)" } ?? "")
                    + ": \(failure.status == .unreachable ? "unreachable: " : "")\(MarkdownText.escape(message))\n"
            }
        }
        if !warnings.isEmpty {
            out = section(out, "### Warnings") + warnings.map { "- \(MarkdownText.escape($0))\n" }.joined()
        }
        if omittedDiffs > 0 {
            out = section(out, "") + "_\(count(omittedDiffs, "diff")) left out to keep this summary under \(budget) characters; "
                + "run with `--check --diff` to see them all._\n"
        }
        return out
    }

    private func recapTable(_ recaps: [HostRecap]) -> String {
        let columns: [HostTaskResult.Status] = [.ok, .changed, .failed, .unreachable, .skipped, .rescued, .ignored]
        var table = "| host | " + columns.map { $0 == .changed && run.checkMode ? "would change" : $0.rawValue }.joined(separator: " | ") + " |\n"
        table += "|---" + String(repeating: "|--:", count: columns.count) + "|\n"
        for recap in recaps {
            table += "| \(MarkdownText.escape(recap.host)) | " + columns.map { String(recap[$0]) }.joined(separator: " | ") + " |\n"
        }
        return table
    }

    private func taskLine(_ task: TaskInfo) -> String {
        var line = "**\(MarkdownText.escape(task.name))**"
        if !task.module.isEmpty { line += " `\(MarkdownText.code(task.module))`" }
        if let location = task.location { line += " at `\(MarkdownText.code(Self.place(location)))`" }
        return line
    }

    private func details(_ diff: ReportedDiff) -> String {
        let fence = MarkdownText.fence(for: diff.unified)
        return "\n  <details><summary>diff: \(MarkdownText.html(diff.label))</summary>\n\n"
            + "  \(fence)diff\n" + diff.unified.split(separator: "\n", omittingEmptySubsequences: false)
                .dropLast(diff.unified.hasSuffix("\n") ? 1 : 0).map { "  \($0)\n" }.joined()
            + "  \(fence)\n\n  </details>\n\n"
    }

    /// `text` ending in exactly one blank line, then `heading` (if any) and a blank line.
    private func section(_ text: String, _ heading: String) -> String {
        var text = text
        while text.hasSuffix("\n") { text.removeLast() }
        return text + "\n\n" + (heading.isEmpty ? "" : heading + "\n\n")
    }

    static func place(_ location: SourceLocation) -> String { "\(location.file):\(location.line)" }

    private func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
