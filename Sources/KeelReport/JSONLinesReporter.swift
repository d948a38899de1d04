import Foundation
import KeelBase
import OrderedCollections

/// `--output json`: one JSON object per line and event, for CI and other programs. The schema is in
/// docs/json-events.md; every object has `event` and `time` (seconds since the run started).
public actor JSONLinesReporter: ReportSink {
    let write: @Sendable (String) -> Void
    let start = Date()

    public init(write: @escaping @Sendable (String) -> Void = { StandardOutput.write($0) }) {
        self.write = { write(SecretRedactor.shared.redact($0)) }
    }

    public func handle(_ event: RunEvent) async {
        write(JSONLinesReporter.object(for: event, time: Date().timeIntervalSince(start)).jsonString() + "\n")
    }

    static func object(for event: RunEvent, time: Double) -> Value {
        var o = OrderedDictionary<String, Value>()
        switch event {
        case .runStarted(let info):
            o["event"] = "run_start"
            o["playbooks"] = .list(info.playbooks.map(Value.string))
            o["check_mode"] = .bool(info.checkMode)
            o["diff_mode"] = .bool(info.diffMode)
        case .playStarted(let play):
            o["event"] = "play_start"
            o["name"] = .string(play.name)
            o["hosts"] = .list(play.hosts.map(Value.string))
            if let location = play.location { o["location"] = locationValue(location) }
        case .taskStarted(let task):
            o["event"] = "task_start"
            o["task"] = taskValue(task)
        case .hostResult(let result):
            o["event"] = "host_result"
            o["host"] = .string(result.host)
            o["task"] = taskValue(result.task)
            o["status"] = .string(result.status.rawValue)
            o["changed"] = .bool(result.status == .changed)
            o["check_mode"] = .bool(result.checkMode)
            if let message = result.message { o["msg"] = .string(message) }
            if let item = result.item { o["item"] = .string(item) }
            if !result.diffs.isEmpty {
                o["diff"] = .list(result.diffs.map { diff in
                    ["label": .string(diff.label), "before": .string(diff.redacted ? "" : diff.before),
                     "after": .string(diff.redacted ? "" : diff.after), "redacted": .bool(diff.redacted)]
                })
            }
            o["duration"] = .double((result.elapsedSeconds * 1000).rounded() / 1000)
            if !result.values.isEmpty { o["result"] = .dict(result.values) }
        case .warning(let message, let location):
            o["event"] = "warning"
            o["msg"] = .string(message)
            if let location { o["location"] = locationValue(location) }
        case .recap(let recaps, let elapsed):
            o["event"] = "recap"
            var hosts = OrderedDictionary<String, Value>()
            for recap in recaps {
                var counts = OrderedDictionary<String, Value>()
                for status in HostTaskResult.Status.allCases { counts[status.rawValue] = .int(recap[status]) }
                hosts[recap.host] = .dict(counts)
            }
            o["hosts"] = .dict(hosts)
            var transport = OrderedDictionary<String, Value>()
            for recap in recaps {
                guard let usage = recap.transport else { continue }
                transport[recap.host] = ["round_trips": .int(usage.roundTrips), "commands": .int(usage.commands),
                                         "bytes_sent": .int(usage.bytesSent), "bytes_received": .int(usage.bytesReceived),
                                         "login_round_trips": .int(usage.loginRoundTrips)]
            }
            if !transport.isEmpty { o["transport"] = .dict(transport) }
            o["duration"] = .double((elapsed * 1000).rounded() / 1000)
        }
        o["time"] = .double((time * 1000).rounded() / 1000)
        return .dict(o)
    }

    static func taskValue(_ task: TaskInfo) -> Value {
        var o: OrderedDictionary<String, Value> = ["name": .string(task.name), "module": .string(task.module), "handler": .bool(task.isHandler)]
        if let location = task.location { o["location"] = locationValue(location) }
        return .dict(o)
    }

    static func locationValue(_ location: SourceLocation) -> Value {
        ["file": .string(location.file), "line": .int(location.line), "column": .int(location.column)]
    }
}
