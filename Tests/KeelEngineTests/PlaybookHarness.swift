import Foundation
import KeelBase
import KeelEngine
import KeelReport
import Synchronization

/// Runs a playbook written in the test against real hosts (here the controller, connection: local) and
/// records every event, so tests can check both the hosts and what the run reported.
final class PlaybookHarness: @unchecked Sendable {
    let directory: String

    init(files: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-play-\(UUID().uuidString)").path
        for (name, text) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.replacingOccurrences(of: "@DIR@", with: directory).write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    struct Outcome {
        var status: PlaybookRunner.ExitStatus
        var events: [RunEvent]

        var results: [HostTaskResult] {
            events.compactMap { if case .hostResult(let r) = $0 { return r }; return nil }
        }

        /// (host, task name) pairs reported changed, as the check-mode harness compares them.
        var changedTasks: Set<String> {
            Set(results.filter { $0.status == .changed }.map { "\($0.host)|\($0.task.name)|\($0.task.location?.line ?? 0)" })
        }

        var recap: [String: HostRecap] {
            for event in events { if case .recap(let r, _) = event { return Dictionary(uniqueKeysWithValues: r.map { ($0.host, $0) }) } }
            return [:]
        }

        func results(named name: String) -> [HostTaskResult] { results.filter { $0.task.name == name } }
    }

    func play(_ playbook: String = "site.yml", check: Bool = false, diff: Bool = false, inventory: [String] = [],
              tags: [String] = [], skipTags: [String] = [], extraVars: [String: Value] = [:],
              configure: (inout RunOptions) -> Void = { _ in }) async -> Outcome {
        var options = RunOptions()
        options.checkMode = check
        options.diffMode = diff
        options.tags = tags
        options.skipTags = skipTags
        options.inventorySources = inventory.map { directory + "/" + $0 }
        for (k, v) in extraVars { options.extraVars[k] = v }
        configure(&options)
        let recorder = EventRecorder()
        let status = await PlaybookRunner(options: options, sinks: [recorder]).run([directory + "/" + playbook])
        return Outcome(status: status, events: recorder.events)
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: directory + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every file below the directory with its content: to prove check mode touched nothing.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
            result[name] = isDirectory.boolValue ? "<dir>" : read(name) ?? "<unreadable>"
        }
        return result
    }
}

final class EventRecorder: ReportSink, Sendable {
    private let store = Mutex<[RunEvent]>([])
    var events: [RunEvent] { store.withLock { $0 } }
    func handle(_ event: RunEvent) async { store.withLock { $0.append(event) } }
}
