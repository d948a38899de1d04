import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// haproxy_server against a running HAProxy on a systemd lab host, through its admin socket.
@Suite("haproxy_server on a real host", .serialized) struct HAProxyServerModuleTests {
    static let socket = "/run/haproxy-admin.sock"

    /// HAProxy freshly reloaded on a backend `web` with servers a (up), b (up) and gone (nothing listens),
    /// so each test starts from the file's states.
    func haproxy() async throws -> HAProxyLabHost {
        let lab = try await HAProxyLabHost.make(prefix: "hap-srv")
        try lab.startBackend(port: 9201, name: "a")
        try lab.startBackend(port: 9202, name: "b")
        let config: OrderedDictionary<String, Value> = [
            "global": ["stats_socket": .string(Self.socket)],
            "frontends": [["name": "www", "binds": [":8080"], "default_backend": "web"],
                          ["name": "slowfe", "binds": [":8081"], "default_backend": "slow"]],
            "backends": [["name": "web", "health_check": ["path": "/"], "servers": [
                ["name": "a", "address": "127.0.0.1:9201", "inter": "200ms", "rise": 1],
                ["name": "b", "address": "127.0.0.1:9202", "inter": "200ms", "rise": 1],
                ["name": "gone", "address": "127.0.0.1:9209", "inter": "200ms", "fall": 1],
            ]], ["name": "slow", "servers": [["name": "s1", "address": "127.0.0.1:9203", "check": false]]]],
        ]
        _ = try await lab.run(HAProxyConfigModule.self, config)
        // A restart (not a reload) so no old worker lingers; reset-failed keeps systemd's start limit out of the way.
        try lab.exec("systemctl reset-failed haproxy 2>/dev/null; systemctl restart haproxy")
        let settled = try await lab.eventually {
            let status = try lab.serverStatus(socket: Self.socket)
            return status["web/a"]?.hasPrefix("UP") == true && status["web/b"]?.hasPrefix("UP") == true
                && status["web/gone"]?.hasPrefix("DOWN") == true
        }
        #expect(settled, "a and b UP, gone DOWN after the restart")
        return lab
    }

    func args(_ host: String, _ state: String, _ extra: OrderedDictionary<String, Value> = [:]) -> OrderedDictionary<String, Value> {
        var a: OrderedDictionary<String, Value> = ["backend": "web", "host": .string(host), "state": .string(state), "socket": .string(Self.socket)]
        for (k, v) in extra { a[k] = v }
        return a
    }

    @Test func drainIsPredictedInCheckModeAppliedOnceAndThenOk() async throws {
        let lab = try await haproxy()
        let predicted = try await lab.run(HAProxyServerModule.self, args("a", "drain"), .check)
        #expect(predicted.changed)
        #expect(predicted.diffs.first?.before == "state: ready\nweight: 1\n")
        #expect(predicted.diffs.first?.after == "state: drain\nweight: 1\n")
        #expect(try lab.serverStatus(socket: Self.socket)["web/a"]?.hasPrefix("UP") == true, "check mode sent nothing")

        #expect(try await lab.run(HAProxyServerModule.self, args("a", "drain", ["wait": true])).changed)
        #expect(try lab.serverStatus(socket: Self.socket)["web/a"] == "DRAIN")
        #expect(try await lab.run(HAProxyServerModule.self, args("a", "drain")).changed == false)
        #expect(try await lab.run(HAProxyServerModule.self, args("a", "drain"), .check).changed == false)
    }

    @Test func maintThenReadyWaitsUntilTheHealthCheckSaysUp() async throws {
        let lab = try await haproxy()
        #expect(try await lab.run(HAProxyServerModule.self, args("b", "maint")).changed)
        #expect(try lab.serverStatus(socket: Self.socket)["web/b"] == "MAINT")
        #expect(try await lab.run(HAProxyServerModule.self, args("b", "disabled")).changed == false, "disabled is maint")
        let ready = try await lab.run(HAProxyServerModule.self, args("b", "ready", ["wait": true, "wait_timeout": 30]))
        #expect(ready.changed)
        #expect(ready.values["status"]?.stringValue?.hasPrefix("UP") == true)
        #expect(try lab.serverStatus(socket: Self.socket)["web/b"]?.hasPrefix("UP") == true)
        #expect(try await lab.run(HAProxyServerModule.self, args("b", "enabled")).changed == false, "enabled is ready")
    }

    @Test func weightIsSetOnceAndPercentagesFollowTheConfiguredWeight() async throws {
        let lab = try await haproxy()
        #expect(try await lab.run(HAProxyServerModule.self, args("a", "ready", ["weight": "10"])).changed)
        #expect(try lab.exec("echo 'get weight web/a' | socat stdio unix-connect:\(Self.socket)").hasPrefix("10 (initial 1)"))
        #expect(try await lab.run(HAProxyServerModule.self, args("a", "ready", ["weight": "10"])).changed == false)
        #expect(try await lab.run(HAProxyServerModule.self, args("a", "ready", ["weight": "100%"])).changed)
        #expect(try lab.exec("echo 'get weight web/a' | socat stdio unix-connect:\(Self.socket)").hasPrefix("1 (initial 1)"))
    }

    @Test func drainWithWaitReturnsOnlyAfterTheSessionInFlightFinished() async throws {
        let lab = try await haproxy()
        // A backend that answers each request after eight seconds: a session that is still open when the drain
        // starts (three were too few on a loaded machine: the request could end before the poll saw it).
        try lab.exec("""
            printf '#!/bin/sh\\nsleep 8\\nprintf "HTTP/1.0 200 OK\\\\r\\\\nContent-Length: 4\\\\r\\\\n\\\\r\\\\nslow"\\n' > /usr/local/bin/slow-answer
            chmod +x /usr/local/bin/slow-answer
            systemctl is-active --quiet slow-9203 || systemd-run --unit=slow-9203 --quiet socat TCP-LISTEN:9203,bind=127.0.0.1,fork,reuseaddr EXEC:/usr/local/bin/slow-answer
            i=0; until ss -ltn | grep -q '127.0.0.1:9203 '; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
            """)
        let request = Process()
        request.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        request.arguments = ["-s", "--max-time", "30", "-w", " %{http_code}", "http://\(lab.host.address):8081/"]
        let output = Pipe()
        request.standardOutput = output
        try request.run()
        let inFlight = try await lab.eventually {
            try lab.exec("echo 'show stat' | socat stdio unix-connect:\(Self.socket) | awk -F, '$1 == \"slow\" && $2 == \"s1\" { print $5 }'")
                .trimmingCharacters(in: .whitespacesAndNewlines) == "1"
        }
        #expect(inFlight, "the slow request holds a session on slow/s1")

        let drained = try await lab.run(HAProxyServerModule.self, ["backend": "slow", "host": "s1", "state": "drain", "wait": true,
                                                                    "wait_timeout": 30, "socket": .string(Self.socket)])
        #expect(drained.changed)
        #expect(drained.values["current_sessions"] == 0, "the task returned once the session in flight had ended")
        request.waitUntilExit()
        let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(answer == "slow 200", "the drained server finished its request normally")
    }

    @Test func waitingForADeadServerToComeUpFailsAfterTheTimeoutWithItsStatus() async throws {
        let lab = try await haproxy()
        await #expect { try await lab.run(HAProxyServerModule.self, args("gone", "ready", ["wait": true, "wait_timeout": 2])) } throws: { error in
            "\(error)".contains("web/gone is still 'DOWN") && "\(error)".contains("after 2s")
        }
    }

    @Test func aServerLeavingMaintenanceGetsNoRequestUntilAHealthCheckPassed() async throws {
        let lab = try await haproxy()
        #expect(try await lab.run(HAProxyServerModule.self, args("gone", "maint")).changed)
        await #expect { try await lab.run(HAProxyServerModule.self, args("gone", "ready", ["wait": true, "wait_timeout": 2])) } throws: { error in
            "\(error)".contains("web/gone is still")
        }
        #expect(try lab.serverStatus(socket: Self.socket)["web/gone"] == "DOWN", "its checks ran and failed")
        let admin = try lab.exec("echo 'show servers state web' | socat stdio unix-connect:\(Self.socket) | awk '$4 == \"gone\" { print $7 }'")
        #expect(Int(admin.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 & 0x08 != 0 } == true,
                "it stays draining (no new requests) instead of being made ready")
        for _ in 1...6 { #expect(try lab.curl(port: 8080).status == 200, "no request went to the dead server") }
    }

    @Test func anUnknownServerFailsOnlyWhenAskedTo() async throws {
        let lab = try await haproxy()
        let quiet = try await lab.run(HAProxyServerModule.self, args("nobody", "drain"))
        #expect(quiet.changed == false)
        await #expect { try await lab.run(HAProxyServerModule.self, args("nobody", "drain", ["fail_on_not_found": true])) } throws: { error in
            "\(error)".contains("no server 'nobody' in backend 'web'")
        }
    }

    @Test func withoutSocatOrNcTheErrorSaysWhatToInstall() async throws {
        let lab = try await haproxy()
        try lab.exec("mv /usr/bin/socat /usr/bin/socat.hidden")
        defer { _ = try? lab.exec("mv /usr/bin/socat.hidden /usr/bin/socat") }
        await #expect { try await lab.run(HAProxyServerModule.self, args("a", "drain")) } throws: { error in
            "\(error)".contains("neither socat nor nc is installed on the host")
        }
    }

    @Test func aMissingSocketIsAnErrorThatSaysHowToDeclareOne() async throws {
        let lab = try await haproxy()
        await #expect { try await lab.run(HAProxyServerModule.self, ["host": "a", "state": "drain"]) } throws: { error in
            "\(error)".contains("no HAProxy admin socket at /var/run/haproxy.sock")
        }
    }
}
