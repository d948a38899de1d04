import Foundation

/// Resource controllers for a systemd host that must enforce container limits (podman's --memory, --cpus,
/// --pids-limit). This machine's controllers are all bound to cgroup v1 hierarchies, so the cgroup2
/// hierarchy a host normally boots with has none (podman then fails with `memory.swap.max: no such file`).
/// Such a host boots with the legacy (v1) layout instead: its launcher joins a cgroup of its own in every
/// controller hierarchy (`keel-lab/<slot>-<name>` below the cgroup it was started in), nspawn's cgroup
/// namespace makes that the host's root, and a unit in the host makes nspawn's read-only mounts of the
/// controllers writable for that subtree (a bind remount: the flag of that mount only, not of the hierarchy).
enum CgroupControllers {
    /// The v1 controller hierarchies mounted on this machine (`/sys/fs/cgroup/memory`, ...), each with the
    /// cgroup this process is in there.
    static func hierarchies() -> [(mount: String, current: String)] {
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return [] }
        var result: [(String, String)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, !fields[1].isEmpty, !fields[1].hasPrefix("name=") else { continue }
            // `cpu,cpuacct` hierarchies are mounted under either name; take the first that exists.
            let names = fields[1].split(separator: ",").map(String.init)
            guard let mount = ([fields[1]] + names).map({ "/sys/fs/cgroup/\($0)" }).first(where: { FileManager.default.fileExists(atPath: "\($0)/cgroup.procs") })
            else { continue }
            result.append((mount, fields[2] == "/" ? "" : fields[2]))
        }
        return result
    }

    /// `keel-lab/<id>` in every controller hierarchy, below this process's own cgroup there.
    static func directories(for id: String) -> [String] {
        hierarchies().map { "\($0.mount)\($0.current)/keel-lab/\(id)" }
    }

    /// Shell lines that create the host's cgroups and move the shell into them (a new cpuset cgroup has no
    /// CPUs or memory nodes until they are copied from its parent).
    static func joinScript(for id: String) -> String {
        directories(for: id).map { directory in
            let parent = (directory as NSString).deletingLastPathComponent
            let q = { (path: String) in "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            var lines = ["mkdir -p \(q(directory))"]
            if directory.hasPrefix("/sys/fs/cgroup/cpuset") {
                let grand = (parent as NSString).deletingLastPathComponent
                for file in ["cpuset.cpus", "cpuset.mems"] {
                    lines.append("cat \(q(grand))/\(file) > \(q(parent))/\(file); cat \(q(parent))/\(file) > \(q(directory))/\(file)")
                }
            }
            lines.append("echo $$ > \(q(directory))/cgroup.procs")
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The unit (and its link) that makes the host's own controller subtrees writable early at boot.
    static let unitName = "keel-lab-cgroup-controllers.service"
    static let unit = """
        # Written by keel lab: the controllers the lab delegated to this host are mounted read-only by
        # systemd-nspawn; a bind remount makes this mount writable (the host's root is its own subtree).
        # ($$ is systemd's escape for a literal $.)
        [Unit]
        Description=Keel lab: writable cgroup v1 controllers
        DefaultDependencies=no
        Before=sysinit.target

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/bin/sh -c 'for c in /sys/fs/cgroup/*/; do case "$$c" in */systemd/|*/unified/) ;; *) mount -o remount,bind,rw "$$c";; esac; done'

        [Install]
        WantedBy=sysinit.target

        """

    static func prepare(_ directory: HostDirectory) throws {
        for relative in ["etc/systemd/system/sysinit.target.wants"] {
            try FileManager.default.createDirectory(atPath: "\(directory.upper)/\(relative)", withIntermediateDirectories: true)
        }
        try directory.writeUpper("etc/systemd/system/\(unitName)", unit)
        let link = "\(directory.upper)/etc/systemd/system/sysinit.target.wants/\(unitName)"
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/etc/systemd/system/\(unitName)")
        }
    }
}
