import Foundation
import KeelBase
import KeelReport

/// A report sink that records the run in the history when it ends. Recording is a side job: a history
/// that cannot be written (a full disk, a locked file) costs a warning on stderr, never the run.
public actor HistoryRecorder: ReportSink {
    public struct Context: Sendable {
        public var command: String
        public var playbooks: [String]
        public var inventory: [String]
        public var extraVarNames: [String]
        public var limit: String?

        public init(command: String, playbooks: [String], inventory: [String], extraVarNames: [String], limit: String?) {
            self.command = command
            self.playbooks = playbooks
            self.inventory = inventory
            self.extraVarNames = extraVarNames
            self.limit = limit
        }
    }

    let path: String
    let context: Context
    let started = Date()
    private var checkMode = false
    private var play = ""
    private var tasks: [TaskRecord] = []
    private var interrupted = false
    /// The number the run got, once it was saved.
    public private(set) var savedRun: Int64?

    public init(path: String, context: Context) {
        self.path = path
        self.context = context
    }

    public func handle(_ event: RunEvent) async {
        switch event {
        case .runStarted(let info):
            checkMode = info.checkMode
        case .playStarted(let info):
            play = info.name
        case .taskStarted:
            break
        case .hostResult(let result):
            tasks.append(TaskRecord(id: nil, runId: 0, sequence: tasks.count, host: result.host, play: play, task: result.task.name,
                                    module: result.task.module, location: result.task.location.map { "\($0.file):\($0.line)" },
                                    item: result.item.map(SecretRedactor.shared.redact), status: result.status.rawValue,
                                    duration: result.elapsedSeconds, diffLabels: RunRecord.json(result.diffs.map(\.label)),
                                    message: result.status == .failed || result.status == .unreachable
                                        ? result.message.map { SecretRedactor.shared.redact(String($0.prefix(2000))) } : nil))
        case .warning(let message, _):
            if message.hasPrefix("interrupted:") { interrupted = true }
        case .recap(let recaps, _):
            save(recaps)
        }
    }

    private func save(_ recaps: [HostRecap]) {
        let failed = recaps.reduce(0) { $0 + $1[.failed] }
        let unreachable = recaps.reduce(0) { $0 + $1[.unreachable] }
        let changed = recaps.reduce(0) { $0 + $1[.changed] }
        let outcome = interrupted ? "interrupted" : unreachable > 0 ? "unreachable" : failed > 0 ? "failed" : changed > 0 ? "changed" : "ok"
        let run = RunRecord(id: nil, started: started, finished: Date(), user: ProcessInfo.processInfo.environment["SUDO_USER"].map { "\($0) (sudo)" } ?? NSUserName(),
                            controller: ProcessInfo.processInfo.hostName, directory: FileManager.default.currentDirectoryPath,
                            command: SecretRedactor.shared.redact(context.command), playbooks: RunRecord.json(context.playbooks),
                            inventory: RunRecord.json(context.inventory), extraVarNames: RunRecord.json(context.extraVarNames),
                            limit: context.limit, commit: GitCommit.describe(directoryOf: context.playbooks.first), checkMode: checkMode,
                            outcome: outcome, hostCount: recaps.count, changedCount: changed, failedCount: failed + unreachable)
        do {
            savedRun = try HistoryStore(path: path).save(run, tasks: tasks)
        } catch {
            FileHandle.standardError.write(Data("[WARNING]: the run was not recorded in the history \(path): \(error)\n".utf8))
        }
    }
}

/// The git commit the playbooks were run from.
enum GitCommit {
    static func describe(directoryOf file: String?) -> String? {
        guard let file else { return nil }
        let directory = (file as NSString).deletingLastPathComponent
        guard let head = git(["rev-parse", "HEAD"], in: directory.isEmpty ? "." : directory) else { return nil }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"], in: directory.isEmpty ? "." : directory).map { !$0.isEmpty } ?? false
        return head + (dirty ? "-dirty" : "")
    }

    private static func git(_ arguments: [String], in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", directory] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
