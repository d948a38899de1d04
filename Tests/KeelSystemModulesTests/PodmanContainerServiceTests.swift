import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import OrderedCollections
import Testing

/// podman_container's `systemd` option and health gate on a systemd lab host: the service is converged
/// with the container, survives a restart of the host, and the gate waits for (or refuses) health.
@Suite("podman_container as a systemd service, with a health gate", .serialized) struct PodmanContainerServiceTests {
    static func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("pods", flavor: .systemd)
        try host.inspect(PodmanContainerLab.imageScript(tag: "1"))
        try host.inspect(PodmanContainerLab.imageScript(tag: "2"))
        return host
    }

    func page(_ host: SystemLabHost, port: Int) throws -> String {
        try host.inspect("for i in $(seq 1 40); do curl -s --max-time 2 http://127.0.0.1:\(port)/ && exit 0; sleep 0.5; done; echo no-answer")
    }

    static let unitFingerprint = """
        cat /etc/systemd/system/container-ps-svc.service 2>&1; systemctl is-enabled container-ps-svc.service 2>&1; \
        systemctl is-active container-ps-svc.service 2>&1; \
        podman container inspect --format '{{.Id}} {{.State.Status}} {{.ImageName}}' ps-svc 2>&1; true
        """

    @Test func aServiceIsConvergedRecreatedThroughSystemdAndComesBackAfterARestart() async throws {
        let host = try await Self.host()
        try host.inspect("""
            systemctl disable --now container-ps-svc.service >/dev/null 2>&1; rm -f /etc/systemd/system/container-ps-svc.service
            systemctl daemon-reload; podman rm -f ps-svc >/dev/null 2>&1; true
            """)
        var arguments: OrderedDictionary<String, Value> = [
            "name": "ps-svc", "image": .string(PodmanContainerLab.image("1")), "publish": ["18091:8080"],
            "healthcheck": "wget -q -O /dev/null http://127.0.0.1:8080/", "systemd": ["restart_sec": 1], "wait_healthy": true,
        ]
        let first = try await host.converges(PodmanContainerModule.self, arguments, fingerprint: Self.unitFingerprint)
        #expect(first.diffs.contains { $0.label == "/etc/systemd/system/container-ps-svc.service" })
        #expect(try host.inspect("systemctl is-enabled container-ps-svc.service; systemctl is-active container-ps-svc.service") == "enabled\nactive\n")
        #expect(try page(host, port: 18091) == "keel image 1\n")

        // A new image: the container is recreated and started by its service (no handler).
        arguments["image"] = .string(PodmanContainerLab.image("2"))
        let changed = try await host.run(PodmanContainerModule.self, arguments)
        #expect(changed.values["recreated_because"] == .list(["image"]))
        #expect(try page(host, port: 18091) == "keel image 2\n")
        #expect(try host.inspect("systemctl is-active container-ps-svc.service") == "active\n")
        #expect(try await !host.run(PodmanContainerModule.self, arguments).changed)

        // A changed unit is rewritten and the service restarted; the container is kept.
        let containerID = try host.inspect("podman container inspect --format '{{.Id}}' ps-svc")
        arguments["systemd"] = ["restart_sec": 2]
        let unitChanged = try await host.run(PodmanContainerModule.self, arguments)
        #expect(unitChanged.changed && unitChanged.values["recreated_because"] == nil)
        #expect(unitChanged.diffs.map(\.label) == ["container ps-svc", "/etc/systemd/system/container-ps-svc.service"])
        #expect(unitChanged.diffs.first?.after == "state: running (restarted: its unit changed)\n")
        #expect(try host.inspect("grep RestartSec= /etc/systemd/system/container-ps-svc.service") == "RestartSec=2\n")
        #expect(try host.inspect("podman container inspect --format '{{.Id}}' ps-svc") == containerID)
        #expect(try page(host, port: 18091) == "keel image 2\n")
        #expect(try await !host.run(PodmanContainerModule.self, arguments).changed)

        // The service restarts a container that dies.
        try host.inspect("kill -9 $(podman container inspect --format '{{.State.Pid}}' ps-svc)")
        #expect(try page(host, port: 18091) == "keel image 2\n")

        // The host restarts: systemd starts the service at boot.
        let lab = LabFixture.shared.lab
        await host.context.connection.close()   // its SSH session dies with the host
        _ = try? lab.exec(host.lab.name, "systemctl poweroff")
        let deadline = Date().addingTimeInterval(60)
        while try lab.isRunning(host.lab.name), Date() < deadline { try await Task.sleep(nanoseconds: 500_000_000) }
        #expect(try !lab.isRunning(host.lab.name), "the host did not power off")
        _ = try lab.up(names: [host.lab.name], flavor: .systemd)
        #expect(try page(host, port: 18091) == "keel image 2\n")
        #expect(try host.inspect("systemctl is-active container-ps-svc.service") == "active\n")
        let restarted = try await SystemLabHost.make("pods", flavor: .systemd)
        #expect(try await !restarted.run(PodmanContainerModule.self, arguments).changed)

        // Absent removes the container and the unit Keel wrote.
        _ = try await restarted.converges(PodmanContainerModule.self, ["name": "ps-svc", "state": "absent"], fingerprint: Self.unitFingerprint)
        #expect(try host.inspect("test -e /etc/systemd/system/container-ps-svc.service && echo unit-left; podman container exists ps-svc && echo container-left; true") == "")
    }

    @Test func theHealthGateFailsForAContainerThatNeverGetsHealthy() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f ps-sick >/dev/null 2>&1; true")
        let arguments: OrderedDictionary<String, Value> = [
            "name": "ps-sick", "image": .string(PodmanContainerLab.image("1")), "healthcheck": "false",
            "wait_healthy": true, "wait_timeout": 4,
        ]
        let error = await #expect(throws: KeelError.self) { try await host.run(PodmanContainerModule.self, arguments) }
        #expect(error?.message.contains("ps-sick did not become healthy within 4 s") == true, "\(String(describing: error))")
    }

    @Test func theHealthGateWaitsForAPort() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f ps-port >/dev/null 2>&1; true")
        // The server starts 2 s after the container: the gate must wait for it.
        let arguments: OrderedDictionary<String, Value> = [
            "name": "ps-port", "image": .string(PodmanContainerLab.image("1")), "publish": ["18092:8080"],
            "command": "/bin/sh -c 'sleep 2; exec /bin/httpd -f -p 8080 -h /www'", "wait_port": 18092, "wait_timeout": 30,
        ]
        _ = try await host.run(PodmanContainerModule.self, arguments)
        #expect(try host.inspect("curl -s --max-time 2 http://127.0.0.1:18092/") == "keel image 1\n")
    }
}
