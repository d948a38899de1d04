import Foundation
import KeelBase

/// systemd hosts: an overlay on the Debian base tree, booted by `systemd-nspawn -b` inside the host's
/// network namespace. The flags are the ones that were seen working on a machine without systemd as PID 1
/// and with hybrid cgroups: see docs/lab.md.
enum SystemdHost {
    static func prepare(_ directory: HostDirectory) throws {
        // A stable machine-id of its own (the base tree's is empty), so journald and dbus keep theirs
        // across restarts of the host.
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        if !FileManager.default.fileExists(atPath: "\(directory.upper)/etc/machine-id") {
            try directory.writeUpper("etc/machine-id", id + "\n", mode: 0o444)
        }
    }

    static func start(name: String, slot: Int, directory: HostDirectory, tree: BaseTree, cgroupControllers: Bool = false) throws -> RecordedProcess {
        if !Mounts.isMountPoint(directory.root) {
            try Subprocess.check([
                "mount", "-t", "overlay", "overlay", "-o",
                "lowerdir=\(tree.path),upperdir=\(directory.upper),workdir=\(directory.work)", directory.root,
            ], doing: "mounting the root of \(name)")
        }
        // Each nspawn must start in a cgroup of its own: with --keep-unit it creates payload/ and supervisor/
        // below the cgroup it was started in, and two hosts started from one cgroup would share them.
        let cgroups = cgroupDirectories(for: "\(slot)-\(name)")
        for cgroup in cgroups {
            try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: true)
        }
        var joinCgroups = cgroups.map { "echo $$ > \(shellQuote($0))/cgroup.procs" }.joined(separator: "; ")
        // With controllers of its own the host boots the legacy layout, where nspawn mounts them (see CgroupControllers).
        let legacy = cgroupControllers && !CgroupControllers.hierarchies().isEmpty
        if legacy { joinCgroups += "\n" + CgroupControllers.joinScript(for: "\(slot)-\(name)") }
        let nspawn = [
            "systemd-nspawn", "--quiet", "--boot", "--directory=\(directory.root)", "--machine=\(name)",
            // No systemd on this machine to register with or to make a scope unit for us.
            "--register=no", "--keep-unit",
            "--network-namespace-path=/run/netns/\(LabAddressing.namespaceName(for: name, slot: slot))",
            // firewalld needs CAP_NET_ADMIN; podman (runc) needs BPF for its device cgroup; crun gives each
            // container a session keyring (keyctl), which nspawn's default filter refuses ("create keyring:
            // Operation not permitted"); runc joins one too.
            "--capability=CAP_NET_ADMIN,CAP_BPF", "--system-call-filter=bpf @keyring",
            "--resolv-conf=off", "--timezone=off", "--console=read-only",
            "--bind=\(directory.containers):/var/lib/containers",
        ].map(shellQuote).joined(separator: " ")
        let script = """
            \(joinCgroups)
            export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=\(legacy ? 0 : 1) SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
            exec \(nspawn)
            """
        let pid = try Subprocess.launchDetached(["/bin/sh", "-c", script], log: directory.console)
        guard let launcher = RecordedProcess.current(pid) else {
            throw KeelError("lab: systemd-nspawn for \(name) exited as soon as it started",
                            found: tail(of: directory.console))
        }
        return launcher
    }

    /// Undoes what `start` left on the machine besides processes: the root mount, nspawn's propagation
    /// directory and the host's cgroups.
    static func cleanUp(name: String, slot: Int, directory: HostDirectory) throws {
        // A loop, not an if: a crashed run may have stacked two mounts on the same point.
        for _ in 0..<5 where Mounts.isMountPoint(directory.root) {
            if try Subprocess.run(["umount", directory.root]).status != 0 {
                try Subprocess.check(["umount", "-l", directory.root], doing: "unmounting the root of \(name)")
            }
        }
        try? FileManager.default.removeItem(atPath: "/run/systemd/nspawn/propagate/\(name)")
        for cgroup in cgroupDirectories(for: "\(slot)-\(name)") + CgroupControllers.directories(for: "\(slot)-\(name)") {
            removeCgroup(cgroup)
            // The shared keel-lab/ parent goes once the last host is gone (rmdir fails while it has any).
            rmdir((cgroup as NSString).deletingLastPathComponent)
        }
    }

    /// `keel-lab/<slot>-<name>` in the hierarchies systemd-nspawn looks at: the named systemd hierarchy and the
    /// cgroup2 one on a hybrid machine, or the single cgroup2 hierarchy.
    static func cgroupDirectories(for id: String) -> [String] {
        let files = FileManager.default
        if files.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            return ["/sys/fs/cgroup/keel-lab/\(id)"]
        }
        return ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]
            .filter { files.fileExists(atPath: $0) }
            .map { "\($0)/keel-lab/\(id)" }
    }

    /// cgroup directories are removed with rmdir, innermost first (their files cannot be deleted).
    private static func removeCgroup(_ path: String) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for child in children {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(path)/\(child)", isDirectory: &isDirectory),
               isDirectory.boolValue {
                removeCgroup("\(path)/\(child)")
            }
        }
        rmdir(path)
    }
}
