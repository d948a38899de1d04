import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import OrderedCollections
import Testing

/// podman_container's memory, cpus and pids_limit are enforced: on a lab host with cgroup controllers of
/// its own (cgroup v1 here: the machine binds every controller to a v1 hierarchy, see docs/lab.md), podman
/// shows the limits and the kernel holds the container's cgroup to them.
@Suite("podman_container resource limits are enforced", .serialized) struct PodmanResourceLimitsTests {
    @Test func memoryCpusAndPidsLimitsReachTheContainersCgroup() async throws {
        let host = try await SystemLabHost.make("plimits", flavor: .systemd, cgroupControllers: true)
        try host.inspect(PodmanContainerLab.imageScript(tag: "1"))
        try host.inspect("podman rm -f q-limited >/dev/null 2>&1; true")
        #expect(try host.inspect("podman info --format '{{.Host.CgroupsVersion}} {{.Host.OCIRuntime.Name}}'") == "v1 runc\n")
        var arguments: OrderedDictionary<String, Value> = [
            "name": "q-limited", "image": .string(PodmanContainerLab.image("1")), "memory": "64m", "cpus": "0.5", "pids_limit": "50",
        ]
        try await host.converges(PodmanContainerModule.self, arguments, fingerprint: PodmanContainerLab.fingerprint("q-limited"))
        #expect(try host.inspect("podman container inspect --format '{{.State.Status}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' q-limited")
                == "running 67108864 500000000 50\n")
        // The container's own view of its cgroup (v1 file names: memory.max, cpu.max and pids.max are v2's).
        let cgroup = try host.inspect("""
            podman exec q-limited cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us \
              /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/pids/pids.max
            """)
        #expect(cgroup == "67108864\n50000\n100000\n50\n")
        // The pids limit holds: the 50th process cannot be forked.
        let forks = try host.inspect("podman exec q-limited /bin/sh -c 'i=0; while [ $i -lt 60 ]; do sleep 3 & i=$((i+1)); done; wait' 2>&1 | grep -c -i fork || true")
        #expect((Int(forks.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "60 processes were forked under pids_limit 50")

        // A changed limit recreates the container, and the new cgroup has the new limit.
        arguments["memory"] = "96m"
        let changed = try await host.run(PodmanContainerModule.self, arguments)
        #expect(changed.values["recreated_because"] == .list(["memory"]))
        #expect(try host.inspect("podman exec q-limited cat /sys/fs/cgroup/memory/memory.limit_in_bytes") == "\(96 << 20)\n")
        try host.inspect("podman rm -f q-limited >/dev/null; true")
    }
}
