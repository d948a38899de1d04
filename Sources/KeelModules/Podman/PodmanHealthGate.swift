import Foundation
import KeelBase
import KeelTransport

/// The health gate podman_container runs after it started a container: the container must be running
/// (a systemd service starts it after `systemctl start` returned), then its healthcheck must pass
/// (`wait_healthy`) and a TCP port must answer on the host (`wait_port`), all within `timeout` seconds.
/// The healthcheck is run directly (`podman healthcheck run`) rather than waiting for podman's timer,
/// so the gate opens as soon as the service is healthy, whatever the interval.
public struct PodmanHealthGate: Sendable, Codable, Equatable, CustomStringConvertible {
    var container: String
    var healthcheck: Bool
    var port: Int?
    var timeout: Int
    var executable: String
    /// The systemd service that runs the container, whose log is quoted when the container never runs.
    var unit: String?
    var userScope = false

    public var description: String {
        var what = ["running"]
        if healthcheck { what.append("healthy") }
        if let port { what.append("port \(port) answers") }
        return "wait until \(container) is \(what.joined(separator: ", ")) (timeout \(timeout)s)"
    }

    var script: String {
        let podman = ShellQuote.quote(executable)
        let name = ShellQuote.quote(container)
        var conditions = ["[ \"$(\(podman) container inspect --format '{{.State.Running}}' \(name) 2>/dev/null)\" = true ]"]
        if healthcheck { conditions.append("\(podman) healthcheck run \(name) >/dev/null 2>&1") }
        if let port {
            conditions.append("{ bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port)' 2>/dev/null || curl -s -o /dev/null --max-time 2 telnet://127.0.0.1:\(port) 2>/dev/null; }")
        }
        let log = unit.map { "journalctl \(userScope ? "--user " : "")-u \(ShellQuote.quote($0)) -n 15 --no-pager 2>&1 | tail -n 15" }
            ?? "\(podman) logs --tail 15 \(name) 2>&1"
        return """
            deadline=$(( $(date +%s) + \(timeout) ))
            while :; do
              if \(conditions.joined(separator: " && ")); then exit 0; fi
              if [ "$(date +%s)" -ge "$deadline" ]; then
                echo "state: $(\(podman) container inspect --format '{{.State.Status}}' \(name) 2>&1)" >&2
                \(healthcheck ? "echo \"healthcheck: $(\(podman) healthcheck run \(name) 2>&1 || true)\" >&2" : "true")
                \(log) >&2
                exit 1
              fi
              sleep 1
            done
            """
    }

    func perform(on host: HostContext) async throws {
        let result = try await host.runPodman(script)
        guard result.status == 0 else {
            throw KeelError("\(host.name): podman_container: \(container) did not become \(healthcheck ? "healthy" : "ready") within \(timeout) s",
                            expected: description, found: result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
