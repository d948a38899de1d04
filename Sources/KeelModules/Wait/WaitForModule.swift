import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `wait_for`: block until a port listens (or stops), a file appears (optionally with matching text) or
/// goes away, or just for a while. The wait runs as one polling loop on the host, so it costs one round
/// trip however long it takes. It never changes anything; in check mode it is skipped, because what it
/// waits for is usually what the tasks before it would have started.
public struct WaitForModule: Module {
    public static let name = "wait_for"
    public static let supportsCheckMode = false
    /// Its observation is the wait itself: taken at the task's moment, never ahead.
    public static let observesInBatch = false
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["port", "path"]])
    public static let documentation = ModuleDocumentation(
        summary: "Wait for a port, a file or some time",
        description: "Polls on the target until the condition holds or `timeout` passes, then fails with `msg`. A local port (host 127.0.0.1, localhost, 0.0.0.0 or ::1) is checked in /proc/net/tcp and tcp6 for a listening socket; a remote host:port needs bash (/dev/tcp) or nc on the target. Without port and path it sleeps `timeout` seconds.",
        examples: """
            - wait_for: port=8080 timeout=30
            - wait_for:
                path: /var/log/app.log
                search_regex: "ready to serve"
            - wait_for: host=10.0.0.5 port=5432 state=started delay=2
            """,
        deviations: ["state=drained, exclude_hosts and active_connection_states are not supported.",
                     "Skipped in check mode (Ansible runs it), so --check never fails waiting for something the skipped tasks would have started."])

    public struct Arguments: ModuleArguments {
        @Option("host", .string, default: "127.0.0.1", help: "The host whose port to test, as the target sees it.") var host: String
        @Option("port", .int, help: "The TCP port to wait for.") var port: Int?
        @Option("path", .path, help: "The file to wait for (present) or to disappear (absent).") var path: String?
        @Option("search_regex", .string, help: "With path: wait until the file holds a line matching this extended regex.") var search_regex: String?
        @Option("state", choices: WaitState.self, default: .started, help: "started/present: until the port listens or the path exists; stopped/absent: until they are gone.") var state: WaitState
        @Option("timeout", .int, default: 300, help: "Seconds before the task fails.") var timeout: Int
        @Option("delay", .int, default: 0, help: "Seconds to wait before the first check.") var delay: Int
        @Option("sleep", .int, default: 1, help: "Seconds between checks.") var sleep: Int
        @Option("connect_timeout", .int, default: 5, help: "Seconds a single connection attempt to a remote host may take.") var connect_timeout: Int
        @Option("msg", .string, help: "The failure message instead of the default one.") var msg: String?

        public init() {}
    }

    public enum WaitState: String, OptionChoice { case started, stopped, present, absent }

    public struct State: Equatable, Sendable { var elapsed: Int }
    public struct Step: Sendable, Codable, Equatable {}

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let condition = try Self.condition(a)
        let script = """
            start=$(date +%s); sleep \(max(0, a.delay))
            while :; do
              if \(condition); then echo "elapsed $(( $(date +%s) - start ))"; exit 0; fi
              [ "$(date +%s)" -ge $(( start + \(a.timeout) )) ] && { echo timeout; exit 3; }
              sleep \(max(1, a.sleep))
            done
            """
        let result = try await host.run(script)
        let text = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        if result.status == 0, text.hasPrefix("elapsed "), let seconds = Int(text.dropFirst("elapsed ".count)) {
            return State(elapsed: seconds)
        }
        if result.status == 3 { throw KeelError(a.msg ?? Self.timeoutMessage(a)) }
        throw KeelError("\(host.name): wait_for could not check: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["elapsed": .int(observed.elapsed), "state": .string(a.state.rawValue)]
        if let port = a.port { values["port"] = .int(port) }
        if let path = a.path { values["path"] = .string(path) }
        return .unchanged(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        .unchanged()   // never called: waiting is all observation, so every plan is empty
    }

    static let localHosts: Set<String> = ["127.0.0.1", "localhost", "0.0.0.0", "::1", "::", ""]

    /// The shell test that is true once the wait is over.
    static func condition(_ a: Arguments) throws -> String {
        let wantsGone = a.state == .stopped || a.state == .absent
        if let path = a.path {
            var test = "[ -e \(ShellQuote.quote(path)) ]"
            if let regex = a.search_regex {
                guard !wantsGone else { throw KeelError("wait_for: search_regex works with state present or started, not \(a.state.rawValue)") }
                test = "grep -Eq -- \(ShellQuote.quote(regex)) \(ShellQuote.quote(path)) 2>/dev/null"
            }
            return wantsGone ? "! \(test)" : test
        }
        if let port = a.port {
            guard (1...65535).contains(port) else { throw KeelError("wait_for: port must be 1-65535", found: "\(port)") }
            if a.search_regex != nil { throw KeelError("wait_for: search_regex on a port is not supported; use it with path") }
            let test: String
            if localHosts.contains(a.host) {
                // A listening socket (state 0A) on the port, any local address, IPv4 or IPv6.
                let hex = String(format: "%04X", port)
                test = "grep -Eq '^ *[0-9]+: [0-9A-F]+:\(hex) [0-9A-F]+:[0-9A-F]+ 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null"
            } else {
                let target = ShellQuote.quote(a.host)
                test = "{ if command -v bash >/dev/null; then timeout \(a.connect_timeout) bash -c \"</dev/tcp/\"\(target)\"/\(port)\" 2>/dev/null; "
                    + "elif command -v nc >/dev/null; then nc -z -w \(a.connect_timeout) \(target) \(port) 2>/dev/null; "
                    + "else echo 'wait_for needs bash or nc on the target to test a remote port' >&2; exit 2; fi; }"
            }
            return wantsGone ? "! \(test)" : test
        }
        // Neither port nor path: wait out the timeout.
        return "[ \"$(date +%s)\" -ge $(( start + \(a.timeout) )) ]"
    }

    static func timeoutMessage(_ a: Arguments) -> String {
        let what: String
        if let path = a.path {
            what = a.search_regex.map { "'\($0)' in \(path)" } ?? path
        } else if let port = a.port {
            what = "\(a.host):\(port)"
        } else {
            return "Timeout after \(a.timeout) seconds"
        }
        return "Timeout when waiting for \(what) to be \(a.state.rawValue) (\(a.timeout) seconds)"
    }
}
