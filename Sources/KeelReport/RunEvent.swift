import Foundation
import KeelBase
import OrderedCollections

/// What happens during a run, as the engine reports it. Sinks (console, JSON lines, GitHub annotations)
/// turn these into output; the engine never prints.
public enum RunEvent: Sendable {
    case runStarted(RunInfo)
    case playStarted(PlayInfo)
    case taskStarted(TaskInfo)
    case hostResult(HostTaskResult)
    case warning(message: String, location: SourceLocation?)
    case recap([HostRecap], elapsedSeconds: Double)
}

public struct RunInfo: Sendable, Equatable {
    public var playbooks: [String]
    public var checkMode: Bool
    public var diffMode: Bool

    public init(playbooks: [String], checkMode: Bool, diffMode: Bool) {
        self.playbooks = playbooks
        self.checkMode = checkMode
        self.diffMode = diffMode
    }
}

public struct PlayInfo: Sendable, Equatable {
    public var name: String
    public var hosts: [String]
    public var location: SourceLocation?

    public init(name: String, hosts: [String], location: SourceLocation? = nil) {
        self.name = name
        self.hosts = hosts
        self.location = location
    }
}

public struct TaskInfo: Sendable, Equatable {
    public var name: String
    public var module: String
    public var location: SourceLocation?
    public var isHandler: Bool
    /// The hosts the task starts on (for the progress line); empty when not known.
    public var hosts: [String]

    public init(name: String, module: String, location: SourceLocation? = nil, isHandler: Bool = false, hosts: [String] = []) {
        self.name = name
        self.module = module
        self.location = location
        self.isHandler = isHandler
        self.hosts = hosts
    }
}

/// One task's outcome on one host (or one loop item of it).
public struct HostTaskResult: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        // In the order of Ansible's PLAY RECAP.
        case ok, changed, unreachable, failed, skipped, rescued, ignored
    }

    public var host: String
    public var task: TaskInfo
    public var status: Status
    public var message: String?
    public var item: String?
    /// Before/after texts, already redacted by the engine under no_log.
    public var diffs: [ReportedDiff]
    public var checkMode: Bool
    public var elapsedSeconds: Double
    /// The module's values (what `register` stores), already redacted under no_log.
    public var values: OrderedDictionary<String, Value>
    /// Print `values` even without -v (debug).
    public var display = false

    public init(host: String, task: TaskInfo, status: Status, message: String? = nil, item: String? = nil,
                diffs: [ReportedDiff] = [], checkMode: Bool = false, elapsedSeconds: Double = 0,
                values: OrderedDictionary<String, Value> = [:]) {
        self.host = host
        self.task = task
        self.status = status
        self.message = message
        self.item = item
        self.diffs = diffs
        self.checkMode = checkMode
        self.elapsedSeconds = elapsedSeconds
        self.values = values
    }
}

public struct ReportedDiff: Sendable, Equatable {
    public var label: String
    public var before: String
    public var after: String
    public var redacted: Bool

    public init(label: String, before: String, after: String, redacted: Bool = false) {
        self.label = label
        self.before = before
        self.after = after
        self.redacted = redacted
    }

    /// The unified diff, or a notice for redacted content or content left out.
    public var unified: String {
        if redacted { return "--- \(label)\n+++ \(label)\n(content hidden: no_log)\n" }
        if let reason = DiffOmission.reason(before: before, after: after) {
            return "--- before: \(label)\n+++ after: \(label)\n(diff left out: \(reason))\n"
        }
        return UnifiedDiff.render(before: before, after: after, fromLabel: "before: \(label)", toLabel: "after: \(label)")
    }
}

/// Ansible's PLAY RECAP line for a host.
public struct HostRecap: Sendable, Equatable {
    public var host: String
    public var counts: [HostTaskResult.Status: Int]
    /// What talking to the host cost over the run; nil when no connection was opened to it.
    public var transport: TransportSummary?

    public init(host: String, counts: [HostTaskResult.Status: Int] = [:], transport: TransportSummary? = nil) {
        self.host = host
        self.counts = counts
        self.transport = transport
    }

    public subscript(status: HostTaskResult.Status) -> Int { counts[status] ?? 0 }
}

/// A host's transport counters for the report: round trips decide a run's time over a real network.
public struct TransportSummary: Sendable, Equatable {
    public var roundTrips: Int
    public var commands: Int
    public var bytesSent: Int
    public var bytesReceived: Int
    /// The login's round trips (0 when the run reused a connection master's session).
    public var loginRoundTrips: Int

    public init(roundTrips: Int, commands: Int, bytesSent: Int, bytesReceived: Int, loginRoundTrips: Int = 0) {
        self.roundTrips = roundTrips
        self.commands = commands
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.loginRoundTrips = loginRoundTrips
    }

    /// `round_trips=12 commands=48 sent=20.1kB received=3.2kB login_round_trips=7`: the -v line after the
    /// recap (the login part only when the run logged in).
    public var line: String {
        "round_trips=\(roundTrips) commands=\(commands) sent=\(Self.bytes(bytesSent)) received=\(Self.bytes(bytesReceived))"
            + (loginRoundTrips > 0 ? " login_round_trips=\(loginRoundTrips)" : "")
    }

    static func bytes(_ count: Int) -> String {
        count < 1000 ? "\(count)B" : count < 1_000_000 ? String(format: "%.1fkB", Double(count) / 1000) : String(format: "%.1fMB", Double(count) / 1_000_000)
    }
}

/// Where events go.
public protocol ReportSink: Sendable {
    func handle(_ event: RunEvent) async
}
