import ArgumentParser
import Foundation
import KeelBase
import KeelEngine
import KeelHistory
import KeelModel
import KeelReport

/// `keel drift`: what changed on the hosts since the last applied run. Runs that run's playbooks against
/// its inventory in check mode (recorded like any run) and lists, per host, every task that would
/// change now, with the files and objects it would touch: after a converged apply, each of them is
/// something that drifted since.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Check the hosts against the last applied run and say what drifted since.",
        discussion: "Exit status: 0 no drift, 3 drift found, 2 a task failed, 4 a host unreachable, 1 nothing to compare with.")

    @Option(name: [.short, .customLong("extra-vars")], help: "The extra variables the last applied run was made with.")
    var extraVars: [String] = []

    @Option(name: [.customShort("u"), .customLong("user")], help: "Connect as this user unless the inventory says otherwise.")
    var remoteUser: String?

    @Option(name: .customLong("private-key"), help: "Use this private key file unless the inventory says otherwise.")
    var privateKey: String?

    @OptionGroup var connectionFlags: ConnectionFlags

    @OptionGroup(title: "Vault")
    var vault: VaultPasswordOptions

    func run() async throws {
        let last: RunRecord
        var options = RunOptions()
        let config = try AnsibleConfigLoader.load()
        do {
            guard let path = HistoryStore.defaultPath() else { throw KeelError("the history is switched off (KEEL_HISTORY=off): nothing to compare with") }
            guard FileManager.default.fileExists(atPath: path), let found = try HistoryStore(path: path).lastApplied() else {
                throw KeelError("no applied run in the history (\(path)) to compare with", expected: "a keel play or keel apply that converged the hosts")
            }
            last = found
            try config.apply(to: &options)
            try vault.configureKeyring(environment: config.vaultEnvironment(ProcessInfo.processInfo.environment))
            for text in extraVars {
                for (key, value) in try ExtraVars.parse(text) { options.extraVars[key] = value }
            }
            let missing = last.extraVarNameList.filter { options.extraVars[$0] == nil }
            if !missing.isEmpty {
                throw KeelError("run \(last.id ?? 0) was made with extra variables that are not given now: \(missing.joined(separator: ", "))")
            }
        } catch {
            FileHandle.standardError.write(Data(SecretRedactor.shared.redact("\(error)\n").utf8))
            throw ExitCode(1)
        }
        options.inventorySources = last.inventoryList
        options.limit = last.limit
        options.checkMode = true
        // Diffs name the files and objects that drifted.
        options.diffMode = true
        if let remoteUser { options.remoteUser = remoteUser }
        if let privateKey { options.privateKeyFile = privateKey }
        connectionFlags.apply(to: &options)
        connectionFlags.askForPassword(into: &options)
        let drift = DriftCollector()
        var sinks: [any ReportSink] = [drift]
        if let history = HistoryRecording.recorder(playbooks: last.playbookList, options: options) { sinks.append(history) }
        let status = await PlaybookRunner(options: options, sinks: sinks).run(last.playbookList)
        if status == .usageOrParseError || status == .interrupted { throw ExitCode(status.rawValue) }
        let since = "run \(last.id ?? 0) (\(HistoryCommand.when(last.finished)) UTC\(last.commit.map { ", commit \($0.prefix(10))" } ?? ""))"
        let report = await drift.report(since: since)
        print(SecretRedactor.shared.redact(report.text), terminator: "")
        if status != .ok { throw ExitCode(status.rawValue) }
        if report.drifted { throw ExitCode(PlaybookRunner.ExitStatus.drift.rawValue) }
    }
}

/// The tasks a check run would change, and its failures, per host.
actor DriftCollector: ReportSink {
    private var changes: [(host: String, line: String)] = []
    private var failures: [(host: String, line: String)] = []
    private var hosts: [String] = []

    func handle(_ event: RunEvent) async {
        switch event {
        case .hostResult(let result):
            var line = "'\(result.task.name)'"
            if let item = result.item { line += " (item=\(item))" }
            if let location = result.task.location { line += " [\(location.file):\(location.line)]" }
            switch result.status {
            case .changed:
                let labels = result.diffs.map(\.label)
                changes.append((result.host, line + (labels.isEmpty ? "" : ": " + labels.joined(separator: ", "))))
            case .failed, .unreachable:
                failures.append((result.host, line + ": " + (result.message?.split(separator: "\n").first.map(String.init) ?? result.status.rawValue)))
            default:
                break
            }
        case .recap(let recaps, _):
            hosts = recaps.map(\.host)
        default:
            break
        }
    }

    func report(since: String) -> (text: String, drifted: Bool) {
        guard !changes.isEmpty || !failures.isEmpty else {
            return ("no drift since \(since): \(hosts.count) host\(hosts.count == 1 ? "" : "s") as that run left them\n", false)
        }
        var text = changes.isEmpty ? "" : "drift since \(since):\n"
        for host in hosts {
            let mine = changes.filter { $0.host == host }
            if mine.isEmpty { continue }
            text += "  \(host): \(mine.count) task\(mine.count == 1 ? "" : "s") would change\n" + mine.map { "    \($0.line)\n" }.joined()
        }
        if !failures.isEmpty {
            text += "the check run failed:\n" + failures.map { "  \($0.host): \($0.line)\n" }.joined()
        }
        return (text, !changes.isEmpty)
    }
}
