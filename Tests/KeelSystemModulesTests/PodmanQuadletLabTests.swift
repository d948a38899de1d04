import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import OrderedCollections
import Testing

/// Quadlet files on a systemd lab host (podman 4.3.1): `state: quadlet` writes, key for key, the file
/// containers.podman writes for the same arguments (both tools run against the same host); `systemd:` on
/// this podman still renders Keel's own unit. And podman_pod's running states, with a container in the pod.
@Suite("podman quadlet files and pods on a lab host", .serialized) struct PodmanQuadletLabTests {
    static func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("quadlet", flavor: .systemd)
        try host.inspect(PodmanContainerLab.imageScript(tag: "1"))
        return host
    }

    /// A quadlet file as (section, key=value) lines in order, comments and blank lines left out.
    static func entries(_ text: String) -> [String] {
        var section = ""
        var result: [String] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") { section = line; continue }
            result.append("\(section) \(line)")
        }
        return result
    }

    static let containerArguments: OrderedDictionary<String, Value> = [
        "name": "q-web", "image": .string(PodmanContainerLab.image("1")), "state": "quadlet",
        "command": ["/bin/httpd", "-f", "-p", "8080"], "entrypoint": "/bin/sh",
        "env": ["MODE": "blue green", "WORKERS": 2], "env_file": ["/etc/q-web.env"],
        "publish": ["18095:8080", "127.0.0.1:18096:8081/udp"], "volume": ["/srv/data:/data:ro", "cache:/cache"],
        "mount": ["type=tmpfs,destination=/scratch"], "network": ["podman"], "network_aliases": ["web"],
        "label": ["app": "web", "tier": "front end"], "user": "1000:1000", "workdir": "/www",
        "healthcheck": "wget -q -O /dev/null http://127.0.0.1:8080/", "healthcheck_interval": "10s", "healthcheck_retries": 3,
        "healthcheck_start_period": "5s", "healthcheck_timeout": "2s", "memory": "256m", "cpus": "0.5", "pids_limit": "100",
        "restart_policy": "on-failure", "read_only": true, "cap_add": ["NET_ADMIN"], "cap_drop": ["MKNOD", "AUDIT_WRITE"],
        "security_opt": ["no-new-privileges", "label=disable"], "log_driver": "journald", "log_opt": ["tag": "web", "max_size": "10mb"],
        "hostname": "web1", "etc_hosts": ["db": "10.0.0.5"], "dns": ["10.0.0.53"], "privileged": false, "tty": true, "init": true,
        "stop_signal": 15, "stop_timeout": 5, "quadlet_options": ["[Install]", "WantedBy=default.target"],
    ]

    static let podArguments: OrderedDictionary<String, Value> = [
        "name": "q-pod", "state": "quadlet", "publish": ["18097:80"], "network": ["podman"], "label": ["app": "web"],
        "hostname": "podhost", "share": "net,ipc", "add_host": ["db:10.0.0.5"], "dns": ["10.0.0.53"],
        "infra_image": "localhost/podman-pause:4.3.1-0", "quadlet_options": ["[Install]", "WantedBy=default.target"],
    ]

    @Test func stateQuadletWritesTheFileContainersPodmanWrites() async throws {
        let host = try await Self.host()
        try host.inspect("rm -rf /tmp/q-oracle /tmp/q-keel; mkdir -p /tmp/q-oracle")
        for (module, arguments, file) in [("containers.podman.podman_container", Self.containerArguments, "q-web.container"),
                                          ("containers.podman.podman_pod", Self.podArguments, "q-pod.pod")] {
            var oracleArguments = arguments
            oracleArguments["quadlet_dir"] = "/tmp/q-oracle"
            let oracle = try AnsibleLabOracle.run(module, oracleArguments, on: host)
            #expect(oracle.changed && !oracle.failed, "\(oracle.result)")
            var keelArguments = arguments
            keelArguments["quadlet_dir"] = "/tmp/q-keel"
            let fingerprint = "cat /tmp/q-keel/\(file) 2>&1; stat -c %a /tmp/q-keel/\(file) 2>&1; true"
            if module.hasSuffix("podman_pod") {
                try await host.converges(PodmanPodModule.self, keelArguments, fingerprint: fingerprint)
            } else {
                try await host.converges(PodmanContainerModule.self, keelArguments, fingerprint: fingerprint)
            }
            let theirs = Self.entries(try host.inspect("cat /tmp/q-oracle/\(file)"))
            let ours = Self.entries(try host.inspect("cat /tmp/q-keel/\(file)"))
            #expect(!ours.isEmpty && ours == theirs, "Keel:\n\(ours.joined(separator: "\n"))\ncontainers.podman:\n\(theirs.joined(separator: "\n"))")
            #expect(try host.inspect("stat -c %a /tmp/q-keel/\(file) /tmp/q-oracle/\(file)") == "640\n640\n")
            // The other tool's file is this tool's file: Keel over containers.podman's directory changes nothing.
            var over = arguments
            over["quadlet_dir"] = "/tmp/q-oracle"
            let again = module.hasSuffix("podman_pod") ? try await host.run(PodmanPodModule.self, over) : try await host.run(PodmanContainerModule.self, over)
            #expect(!again.changed, "\(again.diffs)")
        }
        // The pod's infra flag: containers.podman writes `--infra True` (a stray argument to podman); Keel `--infra=true`.
        var infra = Self.podArguments
        infra["quadlet_dir"] = "/tmp/q-keel"
        infra["infra"] = true
        _ = try await host.run(PodmanPodModule.self, infra)
        #expect(try host.inspect("grep -c '^PodmanArgs=--infra=true$' /tmp/q-keel/q-pod.pod") == "1\n")
        // quadlet_filename gets the suffix; quadlet_file_mode is kept: a mode alone is a change of its own.
        var named: OrderedDictionary<String, Value> = ["name": "q-named", "image": .string(PodmanContainerLab.image("1")), "state": "quadlet",
                                                       "quadlet_dir": "/tmp/q-keel", "quadlet_filename": "custom", "quadlet_file_mode": "0600"]
        try await host.converges(PodmanContainerModule.self, named, fingerprint: "stat -c '%n %a' /tmp/q-keel/custom.container 2>&1; true")
        #expect(try host.inspect("stat -c %a /tmp/q-keel/custom.container") == "600\n")
        named["quadlet_file_mode"] = "0644"
        let remoded = try await host.run(PodmanContainerModule.self, named)
        #expect(remoded.changed && remoded.diffs.map(\.label) == ["/tmp/q-keel/custom.container mode"])
        #expect(try host.inspect("stat -c %a /tmp/q-keel/custom.container") == "644\n")
        #expect(try await !host.run(PodmanContainerModule.self, named).changed)
        // A changed setting rewrites the file (and only the file: no container appears).
        var changed = Self.containerArguments
        changed["quadlet_dir"] = "/tmp/q-keel"
        changed["env"] = ["MODE": "green"]
        let rewritten = try await host.run(PodmanContainerModule.self, changed)
        #expect(rewritten.changed && rewritten.diffs.map(\.label) == ["/tmp/q-keel/q-web.container"])
        #expect(try host.inspect("grep '^Environment=' /tmp/q-keel/q-web.container; podman container exists q-web && echo container || true") == "Environment=MODE=green\n")
    }

    /// podman 4.3.1 has no quadlet: `systemd:` renders Keel's own unit in /etc/systemd/system and writes no
    /// quadlet file (the decision is made from `podman --version` in the observation).
    @Test func podmanWithoutQuadletGetsKeelsOwnUnit() async throws {
        let host = try await Self.host()
        #expect(try host.inspect("podman --version") == "podman version 4.3.1\n")
        try host.inspect("podman rm -f q-svc >/dev/null 2>&1; rm -f /etc/containers/systemd/q-svc.container; true")
        let predicted = try await host.run(PodmanContainerModule.self, ["name": "q-svc", "image": .string(PodmanContainerLab.image("1")), "systemd": [:]], .check)
        #expect(predicted.diffs.map(\.label) == ["container q-svc", "/etc/systemd/system/container-q-svc.service"])
        #expect(predicted.values["quadlet_file"] == nil)
        #expect(try host.inspect("test -e /etc/systemd/system/container-q-svc.service && echo written; test -e /etc/containers/systemd/q-svc.container && echo quadlet; true") == "")
    }

    /// A pod is started, stopped, started again and removed, with a container in it; each step converges
    /// (check mode exact, second run ok) and podman shows the state.
    @Test func aPodWithAContainerIsStartedStoppedAndRemoved() async throws {
        let host = try await Self.host()
        try host.inspect("podman pod rm -f q-app >/dev/null 2>&1; podman rm -f q-member >/dev/null 2>&1; true")
        let fingerprint = """
            podman pod inspect --format '{{.State}} {{.NumContainers}}' q-app 2>&1
            podman container inspect --format '{{.State.Status}} {{.Pod}}' q-member 2>&1; true
            """
        var pod: OrderedDictionary<String, Value> = ["name": "q-app", "state": "started", "publish": ["18098:8080"], "label": ["app": "q"]]
        try await host.converges(PodmanPodModule.self, pod, fingerprint: fingerprint)
        #expect(try host.inspect("podman pod inspect --format '{{.State}}' q-app") == "Running\n")
        let member: OrderedDictionary<String, Value> = ["name": "q-member", "image": .string(PodmanContainerLab.image("1")), "pod": "q-app"]
        try await host.converges(PodmanContainerModule.self, member, fingerprint: fingerprint)
        let podID = try host.inspect("podman pod inspect --format '{{.Id}}' q-app")
        #expect(try host.inspect("podman container inspect --format '{{.Pod}}' q-member") == podID)
        #expect(try host.inspect("for i in $(seq 1 40); do curl -s --max-time 2 http://127.0.0.1:18098/ && exit 0; sleep 0.5; done; echo no-answer") == "keel image 1\n")

        pod["state"] = "stopped"
        let stopped = try await host.converges(PodmanPodModule.self, pod, fingerprint: fingerprint)
        #expect(stopped.diffs.first?.after.contains("running") == true, "\(stopped.diffs)")
        #expect(try host.inspect("podman pod inspect --format '{{.State}}' q-app; podman container inspect --format '{{.State.Running}}' q-member") == "Exited\nfalse\n")

        pod["state"] = "started"
        try await host.converges(PodmanPodModule.self, pod, fingerprint: fingerprint)
        #expect(try host.inspect("podman pod inspect --format '{{.State}}' q-app; podman container inspect --format '{{.State.Running}}' q-member") == "Running\ntrue\n")
        // The member is converged too: started with its pod, nothing to do.
        #expect(try await !host.run(PodmanContainerModule.self, member).changed)

        try await host.converges(PodmanPodModule.self, ["name": "q-app", "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect("podman pod exists q-app && echo pod; podman container exists q-member && echo member; true") == "")
    }
}
