import Foundation
import KeelBase
import KeelEngine
import KeelLab
import KeelTestSupport
import Testing

/// The zero-downtime switch as a user runs it: a real playbook with roles/haproxy_switch against a
/// systemd lab host running Debian's HAProxy, while this machine keeps sending requests to the host's
/// lab address. Not one request may fail, in either direction.
@Suite("haproxy blue-green switch under load", .serialized) struct HAProxySwitchPlaybookTests {
    static let socket = "/run/haproxy/admin.sock"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// haproxy_config with blue and green declared, green out of rotation until the switch; runtime states
    /// are kept across reloads through a server-state file.
    static func configPlaybook(extra: String) -> String {
        """
        - hosts: all
          gather_facts: false
          tasks:
            - name: blue and green both declared
              haproxy_config:
                global:
                  stats_socket: \(socket)
                  server_state_file: /var/lib/haproxy/server-state
                frontends:
                  - name: www
                    binds: [":8080"]
                    default_backend: web
                    \(extra)
                backends:
                  - name: web
                    health_check: { path: / }
                    # fall 20 (4 s): python's one-threaded http.server, busy with the request loop on a
                    # loaded CI machine, can miss a few 200 ms checks; that must not take a healthy
                    # server down (a 503 the switch did not cause). rise 2 keeps the switch quick.
                    servers:
                      - { name: blue, address: "127.0.0.1:9301", inter: 200ms, rise: 2, fall: 20 }
                      - { name: green, address: "127.0.0.1:9302", inter: 200ms, rise: 2, fall: 20, disabled: true }

        """
    }

    /// The harness directory: the inventory for the lab host, the repository's role, and the playbooks.
    func harness(for host: LabHost) throws -> PlaybookHarness {
        var files: [String: String] = [
            "inventory.ini": LabInventory.ini([host], lab: LabFixture.shared.lab),
            "setup.yml": Self.configPlaybook(extra: "") + """
                    - name: HAProxy runs
                      command: systemctl start haproxy

                """,
            "change.yml": Self.configPlaybook(extra: "http_response: [\"set-header X-Release switched\"]"),
            "switch.yml": """
                - hosts: all
                  gather_facts: false
                  pre_tasks:
                    - name: green release is up
                      shell: systemctl is-active --quiet app-green || systemd-run --unit=app-green python3 -m http.server 9302 --bind 127.0.0.1 --directory /srv/green
                  roles:
                    - role: haproxy_switch
                      haproxy_switch_socket: \(Self.socket)
                """,
            "rollback.yml": """
                - hosts: all
                  gather_facts: false
                  roles:
                    - role: haproxy_switch
                      haproxy_switch_from: green
                      haproxy_switch_to: blue
                      haproxy_switch_socket: \(Self.socket)
                """,
        ]
        for name in ["tasks/main.yml", "defaults/main.yml"] {
            files["roles/haproxy_switch/\(name)"] = try String(contentsOf: Self.repository.appendingPathComponent("roles/haproxy_switch/\(name)"), encoding: .utf8)
        }
        return try PlaybookHarness(files: files)
    }

    @Test func blueToGreenAndBackUnderLoadLosesNoRequest() async throws {
        let host = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: "hap-bg")[0]
        let lab = LabFixture.shared.lab
        _ = try lab.exec(host.name, """
            systemctl stop app-green 2>/dev/null; mkdir -p /srv/blue /srv/green; echo blue > /srv/blue/index.html; echo green > /srv/green/index.html
            systemctl is-active --quiet app-blue || systemd-run --unit=app-blue python3 -m http.server 9301 --bind 127.0.0.1 --directory /srv/blue
            """)
        let harness = try harness(for: host)
        let setup = await harness.play("setup.yml", inventory: ["inventory.ini"])
        #expect(setup.status == .ok, "setup: \(setup.results.filter { $0.status == .failed })")
        // Back to the file's states (a previous run may have left green in rotation): a restart, and no saved states.
        _ = try lab.exec(host.name, "rm -f /var/lib/haproxy/server-state; systemctl reset-failed haproxy; systemctl restart haproxy")

        let statesBefore = try lab.exec(host.name, "echo 'show stat' | socat stdio unix-connect:\(Self.socket) | cut -d, -f1,2,18").stdout
        let predicted = await harness.play("switch.yml", check: true, inventory: ["inventory.ini"])
        #expect(predicted.status == .ok)
        #expect(predicted.changedTasks.count == 3, "check mode predicts green ready and blue out: \(predicted.changedTasks)")
        #expect(try lab.exec(host.name, "echo 'show stat' | socat stdio unix-connect:\(Self.socket) | cut -d, -f1,2,18").stdout == statesBefore,
                "check mode changed no server's state")

        let switchLoad = try LoadLoop(url: "http://\(host.address):8080/")
        try await waitUntilServing(switchLoad)
        let switched = await harness.play("switch.yml", inventory: ["inventory.ini"])
        try await keepRunning(switchLoad)
        let forward = try switchLoad.stop()
        print("blue -> green under load: \(forward.total) requests, \(forward.failed) failed (blue answered \(forward.blue), green \(forward.green))")
        #expect(switched.status == .ok, "switch: \(switched.results.filter { $0.status == .failed })")
        #expect(forward.failed == 0)
        #expect(forward.blue > 0 && forward.green > 0, "the load ran across the switch")
        #expect(forward.lastBody == "green", "traffic ends on green")
        let states = try lab.exec(host.name, "echo 'show stat' | socat stdio unix-connect:\(Self.socket) | cut -d, -f1,2,18").stdout
        #expect(states.contains("web,blue,MAINT"))
        #expect(states.contains("web,green,UP"))

        let changeLoad = try LoadLoop(url: "http://\(host.address):8080/")
        try await waitUntilServing(changeLoad)
        let changed = await harness.play("change.yml", inventory: ["inventory.ini"])
        try await keepRunning(changeLoad)
        let reload = try changeLoad.stop()
        print("configuration change and reload after the switch, under load: \(reload.total) requests, \(reload.failed) failed (blue answered \(reload.blue), green \(reload.green))")
        #expect(changed.results(named: "blue and green both declared").first?.status == .changed)
        #expect(reload.failed == 0)
        #expect(reload.blue == 0, "the reload kept blue in maintenance (server-state-file)")
        let kept = try lab.exec(host.name, "echo 'show stat' | socat stdio unix-connect:\(Self.socket) | cut -d, -f1,2,18").stdout
        #expect(kept.contains("web,blue,MAINT") && kept.contains("web,green,UP"), "states after the reload: \(kept)")

        let again = await harness.play("switch.yml", inventory: ["inventory.ini"])
        #expect(again.changedTasks.filter { !$0.contains("green release is up") }.isEmpty, "a second switch changes nothing: \(again.changedTasks)")

        let rollbackLoad = try LoadLoop(url: "http://\(host.address):8080/")
        try await waitUntilServing(rollbackLoad)
        let rolledBack = await harness.play("rollback.yml", inventory: ["inventory.ini"])
        try await keepRunning(rollbackLoad)
        let backward = try rollbackLoad.stop()
        print("green -> blue (rollback) under load: \(backward.total) requests, \(backward.failed) failed (blue answered \(backward.blue), green \(backward.green))")
        #expect(rolledBack.status == .ok)
        #expect(backward.failed == 0)
        #expect(backward.blue > 0 && backward.green > 0, "the load ran across the rollback")
        #expect(backward.lastBody == "blue", "traffic ends on blue")
    }

    /// The loop has sent a hundred requests (so it runs before the switch begins).
    func waitUntilServing(_ load: LoadLoop) async throws {
        for _ in 0..<300 where load.countSoFar() < 100 { try await Task.sleep(for: .milliseconds(100)) }
    }

    /// A hundred more requests after the playbook ended, so the load also covers the settled state.
    func keepRunning(_ load: LoadLoop) async throws {
        let target = load.countSoFar() + 100
        for _ in 0..<300 where load.countSoFar() < target { try await Task.sleep(for: .milliseconds(100)) }
    }
}

/// A bounded load loop on this machine: four clients, one curl per request (a new connection each
/// time), until stopped or 5,000 requests each; each answer's status and body recorded.
final class LoadLoop: @unchecked Sendable {
    let clients: [Process]
    let log: String
    let stopFile: String

    struct Tally { var total = 0, failed = 0, blue = 0, green = 0, lastBody = "" }

    /// One process per client (a shell `wait` on background jobs hangs under Foundation's Process here).
    init(url: String, clients count: Int = 4) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("keel-load-\(UUID().uuidString)").path
        let (log, stopFile) = (base + ".log", base + ".stop")
        (self.log, self.stopFile) = (log, stopFile)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        clients = (0..<count).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", """
                i=0
                while [ ! -e "$2" ] && [ $i -lt 5000 ]; do
                  out=$(curl -s --max-time 10 -w ' %{http_code}' "$1") || out="curl-error-$? 000"
                  printf '%s\\n' "$(printf '%s' "$out" | tr -d '\\n')" >> "$3"
                  i=$((i + 1))
                done
                """, "load", url, stopFile, log]
            return process
        }
        for client in clients { try client.run() }
    }

    func countSoFar() -> Int {
        (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").count ?? 0
    }

    func stop() throws -> Tally {
        _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
        for client in clients { client.waitUntilExit() }
        defer { try? FileManager.default.removeItem(atPath: log); try? FileManager.default.removeItem(atPath: stopFile) }
        var tally = Tally()
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            let words = line.split(separator: " ")
            tally.total += 1
            let body = words.first.map(String.init) ?? ""
            if words.last != "200" { tally.failed += 1; print("failed request: \(line)") }
            if body == "blue" { tally.blue += 1 }
            if body == "green" { tally.green += 1 }
            tally.lastBody = body
        }
        return tally
    }
}
