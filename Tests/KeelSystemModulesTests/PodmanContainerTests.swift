import Foundation
import KeelBase
import KeelModules
import OrderedCollections
import Testing

/// podman_container against real podman (4.3.1, Debian 12) on a systemd lab host, with images built
/// offline on the host. Each test uses its own container names and published ports.
@Suite("podman_container on a systemd lab host", .serialized) struct PodmanContainerTests {
    static func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("podc", flavor: .systemd)
        try host.inspect(PodmanContainerLab.imageScript(tag: "1"))
        try host.inspect(PodmanContainerLab.imageScript(tag: "2"))
        return host
    }

    func id(_ host: SystemLabHost, _ name: String) throws -> String {
        try host.inspect("podman container inspect --format '{{.Id}} {{.State.Status}}' \(name) 2>/dev/null || echo missing")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func page(_ host: SystemLabHost, port: Int) throws -> String {
        try host.inspect("for i in 1 2 3 4 5 6 7 8 9 10; do curl -s --max-time 2 http://127.0.0.1:\(port)/ && exit 0; sleep 0.5; done; echo no-answer")
    }

    @Test func podmanRunsContainersInsideTheLabHost() async throws {
        let host = try await Self.host()
        #expect(try host.inspect(PodmanContainerLab.smokeTest).contains("podman-runs"))
    }

    @Test func aContainerConvergesServesItsPortAndStaysConverged() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-web1 >/dev/null 2>&1; true")
        let arguments: OrderedDictionary<String, Value> = [
            "name": "pc-web1", "image": .string(PodmanContainerLab.image("1")), "publish": ["18081:8080"],
            "env": ["GREETING": "hello", "WORKERS": 4], "labels": ["app": "web"],
            "cap_drop": ["NET_RAW"], "healthcheck": "wget -q -O /dev/null http://127.0.0.1:8080/", "healthcheck_interval": "30s",
            "restart_policy": "on-failure:3", "volumes": ["/srv/pc-web1:/data:ro"], "workdir": "/www",
        ]
        try host.inspect("mkdir -p /srv/pc-web1")
        let result = try await host.converges(PodmanContainerModule.self, arguments, fingerprint: PodmanContainerLab.fingerprint("pc-web1"))
        #expect(result.diffs.first?.after.contains("publish: 18081->8080/tcp") == true, "\(result.diffs)")
        #expect(try page(host, port: 18081) == "keel image 1\n")
        let settings = try host.inspect("podman container inspect --format '{{.Config.Env}}|{{.Config.Labels}}|{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' pc-web1")
        #expect(settings.contains("GREETING=hello") && settings.contains("WORKERS=4") && settings.contains("app:web"), "\(settings)")
        #expect(settings.contains("|on-failure:3"), "\(settings)")
    }

    /// Resource limits need cgroup controllers, which lab hosts do not have (docs/lab.md): a created
    /// container carries them all the same, so their comparison is tested on one that is not started.
    @Test func resourceLimitsAreComparedOnACreatedContainer() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-limits >/dev/null 2>&1; true")
        var arguments: OrderedDictionary<String, Value> = [
            "name": "pc-limits", "image": .string(PodmanContainerLab.image("1")), "state": "created",
            "memory": "64m", "cpus": "0.5", "pids_limit": "100", "read_only": true, "cap_add": ["net_admin"],
            "security_opt": ["no-new-privileges"], "log_driver": "k8s-file", "log_opt": ["max_size": "10mb", "tag": "limits"],
            "stop_timeout": 5, "user": "nobody", "entrypoint": "/bin/sh", "command": "-c 'sleep 1000'",
            "healthcheck": "true", "healthcheck_interval": "1m", "healthcheck_retries": 5, "healthcheck_timeout": "10s",
            "healthcheck_start_period": "2s", "mount": ["type=tmpfs,destination=/scratch"], "volumes": ["pc-data:/data", "/cache"],
            "hostname": "limits1", "etc_hosts": ["db.internal": "10.0.0.5"], "dns": ["10.0.0.53"], "tty": true, "init": true,
            "stop_signal": 2, "privileged": false, "detach": true,
        ]
        _ = try await host.converges(PodmanContainerModule.self, arguments, fingerprint: PodmanContainerLab.fingerprint("pc-limits"))
        let settings = try host.inspect("podman container inspect --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.State.Status}}' pc-limits")
        #expect(settings == "67108864 500000000 100 created\n")
        arguments["memory"] = "128m"
        let changed = try await host.run(PodmanContainerModule.self, arguments)
        #expect(changed.values["recreated_because"] == .list(["memory"]))
        #expect(try host.inspect("podman container inspect --format '{{.HostConfig.Memory}} {{.State.Status}}' pc-limits") == "134217728 created\n")
    }

    @Test func oneChangedSettingRecreatesOnceAndTheDiffNamesIt() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-web2 >/dev/null 2>&1; true")
        var arguments: OrderedDictionary<String, Value> = [
            "name": "pc-web2", "image": .string(PodmanContainerLab.image("1")), "publish": ["18082:8080"], "env": ["MODE": "blue"],
        ]
        _ = try await host.run(PodmanContainerModule.self, arguments)
        let changes: [(String, Value, String)] = [
            ("env", ["MODE": "green"], "env"),
            ("publish", ["18083:8080"], "publish"),
            ("image", .string(PodmanContainerLab.image("2")), "image"),
        ]
        for (option, value, field) in changes {
            arguments[option] = value
            let before = try id(host, "pc-web2")
            let predicted = try await host.run(PodmanContainerModule.self, arguments, .check)
            #expect(predicted.changed)
            #expect(predicted.values["recreated_because"] == .list([.string(field)]), "\(option): \(predicted.values["recreated_because"] ?? .null)")
            #expect(predicted.diffs.first?.before.contains("\(field):") == true && predicted.diffs.first?.after.contains("forces replacement") == true,
                    "\(predicted.diffs)")
            #expect(try id(host, "pc-web2") == before, "check mode touched the container")
            let real = try await host.run(PodmanContainerModule.self, arguments)
            #expect(real.changed && real.diffs == predicted.diffs)
            #expect(real.values["recreated_because"] == .list([.string(field)]))
            let after = try id(host, "pc-web2")
            #expect(after != before && after.hasSuffix(" running"), "\(before) -> \(after)")
            let again = try await host.run(PodmanContainerModule.self, arguments)
            #expect(!again.changed, "\(option): second run changed \(again.diffs)")
        }
        #expect(try page(host, port: 18083) == "keel image 2\n")
        #expect(try host.inspect("podman ps -a --format '{{.Names}}' | grep -c '^pc-web2' || true").trimmingCharacters(in: .whitespacesAndNewlines) == "1",
                "no leftover -keel-old/-keel-new containers")
    }

    @Test func theImageTagMovingToAnotherImageRecreates() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-tag >/dev/null 2>&1; podman tag \(PodmanContainerLab.image("1")) localhost/keel-moving:latest")
        let arguments: OrderedDictionary<String, Value> = ["name": "pc-tag", "image": "localhost/keel-moving:latest", "publish": ["18085:8080"]]
        _ = try await host.run(PodmanContainerModule.self, arguments)
        #expect(try await !host.run(PodmanContainerModule.self, arguments).changed)
        try host.inspect("podman tag \(PodmanContainerLab.image("2")) localhost/keel-moving:latest")
        let predicted = try await host.run(PodmanContainerModule.self, arguments, .check)
        #expect(predicted.values["recreated_because"] == .list(["image"]))
        _ = try await host.run(PodmanContainerModule.self, arguments)
        #expect(try page(host, port: 18085) == "keel image 2\n")
    }

    @Test func imageDefaultsAreNotDifferences() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-defaults >/dev/null 2>&1; true")
        // The image sets PATH, IMAGE_TAG, a label, WORKDIR and CMD itself; the task repeats some of them.
        let arguments: OrderedDictionary<String, Value> = [
            "name": "pc-defaults", "image": .string(PodmanContainerLab.image("1")), "env": ["PATH": "/bin"], "workdir": "/www",
            "command": .list(PodmanContainerLab.commandWords.map { .string($0) }), "labels": ["org.example.image": "1"],
            "cap_add": ["CHOWN"], "network": ["bridge"], "read_only": false,
        ]
        _ = try await host.converges(PodmanContainerModule.self, arguments, fingerprint: PodmanContainerLab.fingerprint("pc-defaults"))
    }

    @Test func badInputFailsNamingTheProblemAndLeavesTheRunningContainerAlone() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-keep pc-other >/dev/null 2>&1; printf 'GOOD=1\\nBAD LINE=2\\n' > /etc/pc-bad.env")
        let good: OrderedDictionary<String, Value> = ["name": "pc-keep", "image": .string(PodmanContainerLab.image("1")), "publish": ["18084:8080"]]
        _ = try await host.run(PodmanContainerModule.self, good)
        let running = try id(host, "pc-keep")
        #expect(running.hasSuffix(" running"))

        var unknownImage = good
        unknownImage["image"] = "localhost/keel-no-such-image:9"
        let imageError = await #expect(throws: KeelError.self) { try await host.run(PodmanContainerModule.self, unknownImage) }
        #expect(imageError?.message.contains("keel-no-such-image") == true, "\(String(describing: imageError))")
        #expect(try id(host, "pc-keep") == running)

        let other: OrderedDictionary<String, Value> = ["name": "pc-other", "image": .string(PodmanContainerLab.image("1")), "publish": ["18084:8080"]]
        let portError = await #expect(throws: KeelError.self) { try await host.run(PodmanContainerModule.self, other) }
        #expect(portError?.message.contains("18084/tcp is already published by the container pc-keep") == true, "\(String(describing: portError))")
        #expect(try id(host, "pc-other") == "missing")

        var badEnv = good
        badEnv["env_file"] = ["/etc/pc-bad.env"]
        let envError = await #expect(throws: KeelError.self) { try await host.run(PodmanContainerModule.self, badEnv) }
        #expect(envError?.message.contains("/etc/pc-bad.env line 2") == true, "\(String(describing: envError))")
        #expect(try id(host, "pc-keep") == running)
        #expect(try page(host, port: 18084) == "keel image 1\n")
    }

    @Test func aNetworkWithAliasesAndAStaticAddressIsKept() async throws {
        let host = try await Self.host()
        try host.inspect("""
            podman rm -f pc-net >/dev/null 2>&1
            podman network exists pc-net || podman network create --subnet 10.89.77.0/24 pc-net >/dev/null
            """)
        var arguments: OrderedDictionary<String, Value> = [
            "name": "pc-net", "image": .string(PodmanContainerLab.image("1")), "network": ["pc-net"],
            "network_aliases": ["api", "api.internal"], "ip": "10.89.77.20",
        ]
        _ = try await host.converges(PodmanContainerModule.self, arguments, fingerprint: PodmanContainerLab.fingerprint("pc-net"))
        #expect(try host.inspect("curl -s --max-time 3 http://10.89.77.20:8080/") == "keel image 1\n")
        arguments["ip"] = "10.89.77.21"
        let changed = try await host.run(PodmanContainerModule.self, arguments)
        #expect(changed.values["recreated_because"] == .list(["ip"]))
        #expect(try host.inspect("curl -s --max-time 3 http://10.89.77.21:8080/") == "keel image 1\n")
    }

    @Test func recreateAndForceRestartActEveryRun() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-again >/dev/null 2>&1; true")
        var arguments: OrderedDictionary<String, Value> = ["name": "pc-again", "image": .string(PodmanContainerLab.image("1"))]
        _ = try await host.run(PodmanContainerModule.self, arguments)
        let first = try id(host, "pc-again")
        arguments["force_restart"] = true
        let restarted = try await host.run(PodmanContainerModule.self, arguments)
        #expect(restarted.changed && restarted.values["actions"] == .list(["podman restart pc-again"]))
        #expect(try id(host, "pc-again") == first, "a restart keeps the container")
        arguments.removeValue(forKey: "force_restart")
        arguments["recreate"] = true
        let recreated = try await host.run(PodmanContainerModule.self, arguments)
        #expect(recreated.changed && recreated.values["recreated_because"] == .list(["recreate"]))
        #expect(try id(host, "pc-again") != first)
    }

    @Test func aContainerInAPodIsKept() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-in-pod >/dev/null 2>&1; podman pod exists pc-pod || podman pod create --name pc-pod >/dev/null")
        let arguments: OrderedDictionary<String, Value> = ["name": "pc-in-pod", "image": .string(PodmanContainerLab.image("1")), "pod": "pc-pod"]
        _ = try await host.converges(PodmanContainerModule.self, arguments, fingerprint: PodmanContainerLab.fingerprint("pc-in-pod"))
        #expect(try host.inspect("podman container inspect --format '{{.Pod}}' pc-in-pod") == (try host.inspect("podman pod inspect --format '{{.Id}}' pc-pod")))
        let missing = await #expect(throws: KeelError.self) {
            try await host.run(PodmanContainerModule.self, ["name": "pc-in-pod", "image": .string(PodmanContainerLab.image("1")), "pod": "pc-no-pod"])
        }
        #expect(missing?.message.contains("the pod pc-no-pod does not exist") == true)
    }

    @Test func absentRemovesTheContainer() async throws {
        let host = try await Self.host()
        try host.inspect("podman rm -f pc-gone >/dev/null 2>&1; podman create --name pc-gone \(PodmanContainerLab.image("1")) >/dev/null")
        _ = try await host.converges(PodmanContainerModule.self, ["name": "pc-gone", "state": "absent"], fingerprint: PodmanContainerLab.fingerprint("pc-gone"))
        #expect(try id(host, "pc-gone") == "missing")
    }
}
