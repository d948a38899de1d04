import Foundation
import KeelBase

/// Light hosts: this machine's own root filesystem under a private overlay, `tini -> sshd` as PID 1.
enum LightHost {
    /// Per-host files only a light host needs (everything else is shared with systemd hosts).
    static func prepare(_ directory: HostDirectory) throws {
        // The machine's Docker-style apt config deletes downloaded .debs after every install; in a host
        // that turns into whiteouts over the shared cache and a failing, offline `apt-get install`.
        if FileManager.default.fileExists(atPath: "/etc/apt/apt.conf.d") {
            try directory.makeUpperDirectory("etc/apt/apt.conf.d", like: "/")
            try directory.writeUpper("etc/apt/apt.conf.d/docker-clean", "")
        }
    }

    /// Starts the host's init in new mount/UTS/IPC/PID namespaces inside its network namespace.
    static func start(name: String, slot: Int, directory: HostDirectory, lab: String, initScript: String) throws -> RecordedProcess {
        let namespace = LabAddressing.namespaceName(for: name, slot: slot)
        let pid = try Subprocess.launchDetached([
            "nsenter", "--net=/run/netns/\(namespace)",
            "unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child", "--propagation", "private",
            "/bin/sh", initScript, name, directory.path, lab,
        ], log: directory.console)
        guard let launcher = RecordedProcess.current(pid) else {
            throw KeelError("lab: \(name) exited as soon as it started", found: tail(of: directory.console))
        }
        return launcher
    }
}
