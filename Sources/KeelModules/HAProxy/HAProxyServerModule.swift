import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `haproxy_server` (community.general.haproxy's job): a backend server's administrative state (ready,
/// drain, maint) and weight, changed through HAProxy's runtime API and observed through `show servers
/// state` / `show stat`, so asking for the state a server already has changes nothing. `wait` holds the
/// task until the server is what the state promises: UP by its health checks (ready), or without
/// sessions (drain, maint).
public struct HAProxyServerModule: Module {
    public static let name = "haproxy_server"
    public static let aliases = ["haproxy", "community.general.haproxy"]
    /// Its observation may wait for the server to settle: taken at the task's moment, never ahead.
    public static let observesInBatch = false

    public static let spec = ArgumentSpec(Arguments.self)

    public static let documentation = HAProxyServerDocumentation.page

    public struct Arguments: ModuleArguments {
        @Option("state", choices: AdminState.self, required: true, help: "ready: takes traffic; drain: keeps its sessions but gets no new ones; maint: out of rotation. enabled and disabled (community.general.haproxy's names) mean ready and maint.") var state: AdminState
        @Option("host", .string, required: true, aliases: ["server"], help: "The server's name in the backend (its `server NAME ...` line).") var host: String
        @Option("backend", .string, help: "The backend holding the server; when omitted, every backend that has a server of that name.") var backend: String?
        @Option("socket", .path, default: "/var/run/haproxy.sock", help: "HAProxy's admin socket (`stats socket PATH level admin`); Debian's own file uses /run/haproxy/admin.sock.") var socket: String
        @Option("weight", .string, help: "The server's weight: a number (0-256) or a percentage of its configured weight ('50%').") var weight: String?
        @Option("drain", .bool, default: false, help: "With state maint/disabled: drain first and wait until its sessions are gone, then put it in maintenance.") var drain: Bool
        @Option("shutdown_sessions", .bool, default: false, help: "With state maint/disabled: close the sessions still on the server.") var shutdown_sessions: Bool
        @Option("wait", .bool, default: false, help: "Wait until a health check passed and the server is UP (ready; one leaving maintenance drains until then), or until it has no current sessions (drain, maint).") var wait: Bool
        @Option("wait_timeout", .int, help: "Seconds to wait at most; default wait_interval x wait_retries.") var wait_timeout: Int?
        @Option("wait_interval", .int, default: 5, help: "With wait_retries, gives the default timeout (community.general.haproxy's names); Keel polls every 0.2 s.") var wait_interval: Int
        @Option("wait_retries", .int, default: 25, help: "See wait_interval.") var wait_retries: Int
        @Option("fail_on_not_found", .bool, default: false, help: "Fail when no such server exists (otherwise the task reports ok and says so).") var fail_on_not_found: Bool
        var wanted: HAProxyServerState.Admin {
            switch state {
            case .enabled, .ready: return .ready
            case .disabled, .maint: return .maint
            case .drain: return .drain
            }
        }

        var timeout: Int { wait_timeout ?? wait_interval * wait_retries }

        var selector: ServerSelector {
            ServerSelector(host: host, backend: backend, socket: socket, timeout: timeout, finalWait: wait ? (wanted == .ready ? .up : .drained) : nil)
        }

        public init() {}
    }

    /// The states a task may ask for: HAProxy's three, plus community.general.haproxy's names for two of them.
    public enum AdminState: String, OptionChoice { case ready, drain, maint, enabled, disabled }

    /// Which servers a step acts on and how the task waits for them: what apply needs besides the actions.
    public struct ServerSelector: Sendable, Codable, Equatable {
        var host: String
        var backend: String?
        var socket: String
        var timeout: Int
        /// With `wait`: the state every matched server must reach before the task ends.
        var finalWait: WaitGoal?
    }

    public typealias State = [HAProxyServerState]

    /// What to do to one server, in order: runtime API commands and waits between them.
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var backend: String
        var server: String
        var actions: [Action]
        var selector: ServerSelector

        public var description: String {
            "haproxy server \(backend)/\(server): " + actions.map {
                switch $0 {
                case .send(let command): return command
                case .waitUntil(let goal): return "wait until \(goal.rawValue)"
                }
            }.joined(separator: "; ")
        }
    }

    public enum Action: Sendable, Equatable, Codable {
        case send(String)
        case waitUntil(WaitGoal)
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        try Self.checkWeight(a.weight)
        let matched = try await Self.read(a.selector, on: host)
        let settled = matched.allSatisfy { $0.admin == a.wanted && weightCommand(a, $0) == nil }
        if a.wait && settled && !matched.isEmpty {
            // Nothing to change, but the task still promises the server is UP / drained when it ends.
            try await Self.wait(a.selector, until: a.selector.finalWait ?? .up, for: matched, on: host)
        }
        return matched
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["host": .string(a.host), "state": .string(a.wanted.rawValue)]
        if let backend = a.backend { values["backend"] = .string(backend) }
        if observed.isEmpty {
            if a.fail_on_not_found {
                throw KeelError("\(host.name): HAProxy has no server '\(a.host)'\(a.backend.map { " in backend '\($0)'" } ?? "")",
                                expected: "a server declared in haproxy.cfg", found: "none with that name")
            }
            values["msg"] = .string("no server '\(a.host)' found; nothing to do")
            return .unchanged(values: values)
        }
        var steps: [Step] = []
        var diffs: [Diff] = []
        for server in observed {
            var commands: [Action] = []
            let id = "\(server.backend)/\(server.server)"
            if server.admin != a.wanted {
                switch a.wanted {
                case .ready where a.wait && server.admin == .maint:
                    // Leaving maintenance HAProxy assumes the server is UP before any check ran; draining first
                    // lets the checks run while it gets no traffic, so it only takes requests once one passed.
                    commands += [.send("set server \(id) state drain"), .waitUntil(.checked), .send("set server \(id) state ready")]
                case .maint where a.drain:
                    if server.admin == .ready { commands.append(.send("set server \(id) state drain")) }
                    commands += [.waitUntil(.drained), .send("set server \(id) state maint")]
                default:
                    commands.append(.send("set server \(id) state \(a.wanted.rawValue)"))
                }
                if a.wanted == .maint && a.shutdown_sessions { commands.append(.send("shutdown sessions server \(id)")) }
            }
            if let weight = weightCommand(a, server) { commands.append(.send(weight)) }
            guard !commands.isEmpty else { continue }
            steps.append(Step(backend: server.backend, server: server.server, actions: commands, selector: a.selector))
            diffs.append(Diff(label: "haproxy server \(id)",
                              before: "state: \(server.admin.rawValue)\nweight: \(server.userWeight)\n",
                              after: "state: \(a.wanted.rawValue)\nweight: \(a.weight.map { wantedWeight($0, server) ?? 0 } ?? server.userWeight)\n"))
        }
        values["status"] = .string(observed.map(\.status).joined(separator: ","))
        return steps.isEmpty ? .unchanged(values: values) : Plan(steps: steps, diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let a = plan.steps[0].selector
        var script = HAProxyRuntimeSocket.shellFunction + "\n" + HAProxyRuntimeSocket.requireSocket(a.socket) + "\nsock=\(ShellQuote.quote(a.socket))\n"
        for step in plan.steps {
            for action in step.actions {
                switch action {
                case .waitUntil(let goal):
                    script += Self.waitScript(backend: step.backend, server: step.server, until: goal, timeout: a.timeout)
                case .send(let command):
                    // HAProxy answers these commands with nothing on success, or with what went wrong.
                    script += """
                        answer=$(hap "$sock" \(ShellQuote.quote(command))) || exit $?
                        if [ -n "$answer" ]; then echo "HAProxy refused '\(command)': $answer" >&2; exit 65; fi

                        """
                }
            }
        }
        try await host.runChecked(script, failure: "haproxy_server \(a.host)")
        let after = try await Self.read(a, on: host)
        if let goal = a.finalWait { try await Self.wait(a, until: goal, for: after, on: host) }
        let final = a.finalWait != nil ? try await Self.read(a, on: host) : after
        return .changed(["status": .string(final.map(\.status).joined(separator: ",")),
                "current_sessions": .int(final.map(\.currentSessions).reduce(0, +))])
    }

    /// The `set weight` command when the wanted weight differs from the server's.
    func weightCommand(_ a: Arguments, _ server: HAProxyServerState) -> String? {
        guard let text = a.weight, let wanted = wantedWeight(text, server), wanted != server.userWeight else { return nil }
        return "set weight \(server.backend)/\(server.server) \(wanted)"
    }

    func wantedWeight(_ text: String, _ server: HAProxyServerState) -> Int? {
        if text.hasSuffix("%"), let percent = Int(text.dropLast()) { return server.initialWeight * percent / 100 }
        return Int(text)
    }

    static func checkWeight(_ weight: String?) throws {
        if let weight, Int(weight.hasSuffix("%") ? String(weight.dropLast()) : weight).map({ (0...256).contains($0) || weight.hasSuffix("%") }) != true {
            throw KeelError("haproxy_server: weight must be a number from 0 to 256 or a percentage", expected: "e.g. 10 or '50%'", found: weight)
        }
    }

    static func read(_ a: ServerSelector, on host: HostContext) async throws -> [HAProxyServerState] {
        let script = HAProxyRuntimeSocket.shellFunction + "\n" + HAProxyRuntimeSocket.requireSocket(a.socket) + """

            sock=\(ShellQuote.quote(a.socket))
            hap "$sock" "show servers state" || exit $?
            echo KEEL_STAT
            hap "$sock" "show stat" || exit $?
            """
        let result = try await host.runChecked(script, failure: "cannot read HAProxy's servers through \(a.socket)")
        let parts = result.stdoutText.components(separatedBy: "KEEL_STAT\n")
        let all = try HAProxyServerState.parse(serversState: parts[0], stat: parts.count > 1 ? parts[1] : "")
        return all.filter { $0.server == a.host && (a.backend == nil || $0.backend == a.backend) }
    }
}
