import Foundation
import KeelBase
import KeelEngine
import KeelLab
import KeelReport
import KeelTestSupport
import OrderedCollections
import Synchronization
import Testing

/// The same playbook of podman_network, podman_volume and podman_image tasks (pull with credentials, build
/// from a context on the host, absent) run by ansible-playbook with containers.podman on one host and by
/// Keel on the other: the same changed/ok per task and the same `podman ... inspect` for the settings given
/// (a built image's ID differs: each tool labels it with its own digest).
extension PodmanImageLabTests {
    final class Recorder: ReportSink, Sendable {
        private let store = Mutex<[HostTaskResult]>([])
        var results: [HostTaskResult] { store.withLock { $0 } }
        func handle(_ event: RunEvent) async {
            if case .hostResult(let result) = event { store.withLock { $0.append(result) } }
        }
    }

    static let differentialImage = "\(PodmanTestRegistry.address)/keel/kdiff"

    static func playbook(present: Bool) -> String {
        let credentials = "username: \(PodmanTestRegistry.user)\n        password: \(PodmanTestRegistry.password)"
        if present {
            return """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: internal network
                      containers.podman.podman_network:
                        name: kdiff
                        subnet: 10.92.0.0/24
                        gateway: 10.92.0.1
                        internal: true
                    - name: internal network again
                      containers.podman.podman_network: {name: kdiff, subnet: 10.92.0.0/24, gateway: 10.92.0.1, internal: true}
                    - name: volume
                      containers.podman.podman_volume:
                        name: kdiffvol
                        label: {tier: db}
                    - name: volume again
                      containers.podman.podman_volume: {name: kdiffvol, label: {tier: db}}
                    - name: pull with credentials
                      containers.podman.podman_image:
                        name: \(differentialImage)
                        tag: "1"
                        \(credentials)
                    - name: pull again
                      containers.podman.podman_image:
                        name: \(differentialImage)
                        tag: "1"
                        \(credentials)
                    - name: build from a context on the host
                      containers.podman.podman_image: {name: localhost/kdiffbuild, tag: "1", path: /srv/kdiffbuild}
                    - name: build again
                      containers.podman.podman_image: {name: localhost/kdiffbuild, tag: "1", path: /srv/kdiffbuild}
                """
        }
        return """
            - hosts: all
              gather_facts: false
              tasks:
                - name: image absent
                  containers.podman.podman_image: {name: \(differentialImage), tag: "1", state: absent}
                - name: image absent again
                  containers.podman.podman_image: {name: \(differentialImage), tag: "1", state: absent}
                - name: built image absent
                  containers.podman.podman_image: {name: localhost/kdiffbuild, tag: "1", state: absent}
                - name: volume absent
                  containers.podman.podman_volume: {name: kdiffvol, state: absent}
                - name: network absent
                  containers.podman.podman_network: {name: kdiff, state: absent}
                - name: network absent again
                  containers.podman.podman_network: {name: kdiff, state: absent}
            """
    }

    /// Runs the playbook with ansible-playbook; returns (task name, "changed"/"ok"/"failed") in order.
    func ansible(_ playbook: String, on host: PodmanImageLabHost) throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-podman-ansible-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inventory = LabInventory.ini([host.lab], lab: LabFixture.shared.lab,
                                         hostVars: [host.lab.name: "ansible_python_interpreter=/usr/bin/python3"])
        try inventory.write(toFile: directory + "/inventory.ini", atomically: true, encoding: .utf8)
        try playbook.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        let (_, output) = try AnsibleTool.run("ansible-playbook", ["-i", directory + "/inventory.ini", directory + "/site.yml"],
                                              home: directory + "/.ansible", environment: ["ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"],
                                              keepStderr: false)
        guard let start = output.firstIndex(of: "{"), let parsed = try? Value.parseJSON(String(output[start...])) else {
            throw KeelError("ansible-playbook printed no JSON: \(output.prefix(2000))")
        }
        return (parsed["plays"]?.listValue?.first?["tasks"]?.listValue ?? []).map { task in
            let result = task["hosts"]?[host.lab.name]
            let status = result?["failed"]?.isTruthy == true ? "failed" : (result?["changed"]?.isTruthy == true ? "changed" : "ok")
            return "\(task["task"]?["name"]?.stringValue ?? "?"): \(status)"
        }
    }

    /// Runs the playbook with Keel's engine; returns (task name, status) in order.
    func keel(_ playbook: String, on host: PodmanImageLabHost) async throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-podman-keel-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LabInventory.ini([host.lab], lab: LabFixture.shared.lab).write(toFile: directory + "/inventory.ini", atomically: true, encoding: .utf8)
        try playbook.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.inventorySources = [directory + "/inventory.ini"]
        let recorder = Recorder()
        _ = await PlaybookRunner(options: options, sinks: [recorder]).run([directory + "/site.yml"])
        return recorder.results.map { "\($0.task.name): \($0.status == .changed ? "changed" : $0.status == .failed ? "failed: \($0.message ?? "")" : "ok")" }
    }

    /// What the tasks set, as podman reports it.
    func settings(_ host: PodmanImageLabHost) throws -> String {
        try host.inspect("""
            podman network inspect --format '{{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}} internal={{.Internal}} driver={{.Driver}}' kdiff 2>&1
            podman volume inspect --format '{{.Driver}} {{.Labels}}' kdiffvol 2>&1
            podman image inspect --format '{{.Id}}' \(Self.differentialImage):1 2>&1
            podman image exists localhost/kdiffbuild:1 && echo built || echo not built
            true
            """)
    }

    @Test func containersPodmanAndKeelGiveTheSameResultsForNetworksVolumesAndImages() async throws {
        let hosts = try await PodmanImageLabHost.pair()
        let (ansibleHost, keelHost) = (hosts[0], hosts[1])
        try await PodmanTestRegistry.shared.start(trustedBy: hosts.map(\.lab), lab: LabFixture.shared.lab)
        try ansibleHost.makeContext("/srv/kdiff", marker: "differential")
        try ansibleHost.inspect("""
            podman build -q -t \(Self.differentialImage):1 /srv/kdiff >/dev/null
            podman push --creds \(PodmanTestRegistry.user):\(PodmanTestRegistry.password) \(Self.differentialImage):1 >/dev/null 2>&1
            """)
        for host in hosts {
            try host.makeContext("/srv/kdiffbuild", marker: "built by both")
            try host.inspect("podman rmi -f localhost/kdiffbuild:1 >/dev/null 2>&1; true")
            try host.inspect("podman rmi -f \(Self.differentialImage):1 >/dev/null 2>&1; podman volume rm -f kdiffvol >/dev/null 2>&1; podman network rm -f kdiff >/dev/null 2>&1; true")
        }

        let present = Self.playbook(present: true)
        let expected = try ansible(present, on: ansibleHost)
        #expect(expected == ["internal network: changed", "internal network again: ok", "volume: changed", "volume again: ok",
                             "pull with credentials: changed", "pull again: ok",
                             "build from a context on the host: changed", "build again: ok"], "containers.podman itself behaved unexpectedly")
        #expect(try await keel(present, on: keelHost) == expected)
        let ansibleSettings = try settings(ansibleHost)
        #expect(ansibleSettings.contains("10.92.0.0/24 10.92.0.1 internal=true"), "\(ansibleSettings)")
        #expect(try settings(keelHost) == ansibleSettings)

        let absent = Self.playbook(present: false)
        let expectedAbsent = try ansible(absent, on: ansibleHost)
        #expect(try await keel(absent, on: keelHost) == expectedAbsent)
        #expect(try settings(keelHost) == settings(ansibleHost))
    }
}
