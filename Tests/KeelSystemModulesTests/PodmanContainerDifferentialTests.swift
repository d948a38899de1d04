import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing

/// The same podman_container tasks run by ansible-playbook (containers.podman from the oracle venv) on
/// one systemd lab host and by `keel play` on another: each task must be changed or ok alike, and the
/// containers must end with the same settings as `podman inspect` shows them.
@Suite("podman_container: Keel and containers.podman agree", .serialized) struct PodmanContainerDifferentialTests {
    static let image = PodmanContainerLab.image("1")

    static let playbook = """
        - hosts: all
          gather_facts: false
          tasks:
            - name: create and start
              containers.podman.podman_container:
                name: pd-web
                image: \(image)
                publish: ["18095:8080"]
                env: {MODE: blue, WORKERS: "2"}
                label: {app: web}
                stop_timeout: 5
                workdir: /www
            - name: the same again
              containers.podman.podman_container:
                name: pd-web
                image: \(image)
                publish: ["18095:8080"]
                env: {MODE: blue, WORKERS: "2"}
                label: {app: web}
                stop_timeout: 5
                workdir: /www
            - name: one variable changes
              containers.podman.podman_container:
                name: pd-web
                image: \(image)
                publish: ["18095:8080"]
                env: {MODE: green, WORKERS: "2"}
                label: {app: web}
                stop_timeout: 5
                workdir: /www
            - name: created, not started
              containers.podman.podman_container:
                name: pd-idle
                image: \(image)
                state: created
                command: ["/bin/sleep", "1000"]
            - name: created again
              containers.podman.podman_container:
                name: pd-idle
                image: \(image)
                state: created
                command: ["/bin/sleep", "1000"]
            - name: stop
              containers.podman.podman_container:
                name: pd-web
                state: stopped
            - name: stop again
              containers.podman.podman_container:
                name: pd-web
                state: stopped
            - name: remove
              containers.podman.podman_container:
                name: pd-idle
                state: absent
            - name: remove again
              containers.podman.podman_container:
                name: pd-idle
                state: absent
        """

    /// The settings the tasks give, as podman shows them; the environment sorted (its order is the order
    /// of the --env flags) and without HOSTNAME (the container's ID).
    static let fingerprint = """
        for c in pd-web pd-idle; do
          podman container inspect --format '{{.Name}} {{.State.Status}} {{.ImageName}} {{.Config.Labels}} {{.HostConfig.PortBindings}} {{.Config.StopTimeout}} {{.Config.WorkingDir}} {{.Config.Cmd}}' $c 2>/dev/null || echo "no $c"
          podman container inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $c 2>/dev/null | grep -v '^HOSTNAME=' | sort
        done
        """

    static let cleanup = "podman rm -f pd-web pd-idle >/dev/null 2>&1; true"

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// `changed` or `ok` for each task, in order, from ansible-playbook's (or keel's) default output.
    static func outcomes(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            if line.hasPrefix("changed: [") { return "changed" }
            if line.hasPrefix("ok: [") { return "ok" }
            if line.hasPrefix("fatal: [") { return "failed" }
            return nil
        }
    }

    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pdiff-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        defer { try? FileManager.default.removeItem(at: log) }
        return (process.terminationStatus, String(decoding: FileManager.default.contents(atPath: log.path) ?? Data(), as: UTF8.self))
    }

    @Test func keelAndContainersPodmanReportAndLeaveTheSame() async throws {
        let ansible = AnsibleTool.venv + "/bin/ansible-playbook"
        guard FileManager.default.isExecutableFile(atPath: ansible) else {
            throw KeelError("ansible-playbook is not installed at \(ansible): run `bash scripts/python-oracles.sh` (or set KEEL_VENV)")
        }
        let keel = Self.repositoryRoot + "/.build/debug/keel"
        guard FileManager.default.isExecutableFile(atPath: keel) else { throw KeelError("build keel first: \(keel) is missing") }
        let hosts = try await LabFixture.shared.hosts(2, flavor: .systemd, prefix: "podd")
        let lab = LabFixture.shared.lab
        for host in hosts {
            let built = try lab.exec(host.name, PodmanContainerLab.imageScript(tag: "1") + "\n" + Self.cleanup)
            #expect(built.status == 0, "image build on \(host.name): \(built.stderr)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pdiff-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.playbook.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        let inventory = lab.directory + "/inventory.ini"

        let ansibleRun = try run(ansible, ["-i", inventory, "-l", hosts[0].name, directory + "/site.yml"],
                                 environment: ["ANSIBLE_HOME": directory + "/ansible", "ANSIBLE_LOCAL_TEMP": directory + "/ansible/tmp", "ANSIBLE_NOCOLOR": "1"])
        #expect(ansibleRun.status == 0, "ansible-playbook failed:\n\(ansibleRun.output)")
        let keelRun = try run(keel, ["play", "-i", inventory, "-l", hosts[1].name, directory + "/site.yml"])
        #expect(keelRun.status == 0, "keel play failed:\n\(keelRun.output)")

        #expect(Self.outcomes(keelRun.output) == Self.outcomes(ansibleRun.output),
                "per task, keel:\n\(keelRun.output)\nansible-playbook:\n\(ansibleRun.output)")
        #expect(Self.outcomes(keelRun.output) == ["changed", "ok", "changed", "changed", "ok", "changed", "ok", "changed", "ok"],
                "\(keelRun.output)")
        let ansibleHost = try lab.exec(hosts[0].name, Self.fingerprint).stdout
        let keelHost = try lab.exec(hosts[1].name, Self.fingerprint).stdout
        #expect(keelHost == ansibleHost)
        #expect(keelHost.contains("MODE=green") && keelHost.contains("no pd-idle"), "the playbook did what it says: \(keelHost)")
    }

    /// Through `keel play`: bad input fails the task that has it, with the task's name and the reason,
    /// and the running container is left as it was.
    @Test func badInputFailsTheTaskByNameAndLeavesTheContainerRunning() async throws {
        let keel = Self.repositoryRoot + "/.build/debug/keel"
        guard FileManager.default.isExecutableFile(atPath: keel) else { throw KeelError("build keel first: \(keel) is missing") }
        let host = try await LabFixture.shared.hosts(2, flavor: .systemd, prefix: "podd")[1]
        let lab = LabFixture.shared.lab
        let prepared = try lab.exec(host.name, PodmanContainerLab.imageScript(tag: "1") + """

            podman rm -f pd-bad >/dev/null 2>&1
            podman run -d --name pd-bad -p 18096:8080 \(Self.image) >/dev/null
            printf 'GOOD=1\\nBAD LINE=2\\n' > /etc/pd-bad.env
            """)
        #expect(prepared.status == 0, "\(prepared.stderr)")
        let before = try lab.exec(host.name, "podman container inspect --format '{{.Id}} {{.State.Status}}' pd-bad").stdout
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pbad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            - hosts: all
              gather_facts: false
              tasks:
                - name: the service with a broken env file
                  containers.podman.podman_container:
                    name: pd-bad
                    image: \(Self.image)
                    publish: ["18096:8080"]
                    env_file: [/etc/pd-bad.env]
            """.write(toFile: directory + "/bad.yml", atomically: true, encoding: .utf8)
        let run = try run(keel, ["play", "-i", lab.directory + "/inventory.ini", "-l", host.name, directory + "/bad.yml"])
        #expect(run.status != 0)
        #expect(run.output.contains("TASK [the service with a broken env file]"), "\(run.output)")
        #expect(run.output.contains("env_file /etc/pd-bad.env line 2 is not NAME=value"), "\(run.output)")
        #expect(try lab.exec(host.name, "podman container inspect --format '{{.Id}} {{.State.Status}}' pd-bad").stdout == before)
        #expect(before.hasSuffix(" running\n"))
    }
}
