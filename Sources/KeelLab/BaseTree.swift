import Foundation
import KeelBase

/// The Debian bookworm tree systemd hosts boot from, built once with debootstrap and kept in a cache
/// directory between runs (every host is an overlay on top of it, so the tree itself is never changed).
struct BaseTree {
    static let suite = "bookworm"
    /// What module tests need on a systemd host beyond a booting sshd: firewalld (with nftables), haproxy,
    /// cron, git, curl and socat (haproxy's runtime API) for the domain modules' tests. Changing the list rebuilds the tree (see `stamp`).
    /// libpam-systemd provides `logind`, which firewalld's polkitd depends on: debootstrap does not resolve
    /// virtual packages, and without it polkitd and firewalld stay unconfigured and debootstrap fails.
    /// netbase brings /etc/protocols: without it firewalld cannot resolve "esp" in its stock services and exits.
    /// podman's tests need what debootstrap leaves out because apt only recommends it: the CNI plugins
    /// (bridge networks, port mapping through iptables), catatonit (--init), uidmap and slirp4netns
    /// (rootless), fuse-overlayfs; busybox-static is the payload of the images the tests build offline;
    /// runc, the OCI runtime podman uses in the lab (see `personalize`).
    /// libssh2-1, libsqlite3-0 and libxml2 are what Keel's own Debian package depends on (apt would fetch
    /// them; the lab has no network), so the packaging test can install it on a host without Swift.
    static let packages = ["openssh-server", "systemd", "systemd-sysv", "dbus", "sudo", "python3", "iproute2",
                           "libpam-systemd", "netbase", "firewalld", "nftables", "haproxy", "cron", "curl", "ca-certificates", "git", "procps", "socat",
                           "podman", "containernetworking-plugins", "catatonit", "uidmap", "slirp4netns", "fuse-overlayfs",
                           "iptables", "busybox-static", "runc",
                           "libssh2-1", "libsqlite3-0", "libxml2"]

    let cache: String

    /// `/var/cache/keel/lab`, or `KEEL_LAB_CACHE`.
    static var defaultCache: String {
        ProcessInfo.processInfo.environment["KEEL_LAB_CACHE"] ?? "/var/cache/keel/lab"
    }

    var path: String { "\(cache)/\(Self.suite)" }
    /// Written last: a tree without it is half-built and is built again.
    var stamp: String { "\(cache)/\(Self.suite).stamp" }

    /// Builds the tree unless a complete one is there. Takes its own lock, so two labs share one build.
    func ensure() throws {
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try LabLock.holding(cache) {
            if FileManager.default.fileExists(atPath: path), stampedPackages == Self.packages { return }
            try build()
        }
    }

    /// The package list the cached tree was built with (first line of the stamp), nil without a stamp.
    private var stampedPackages: [String]? {
        guard let text = try? String(contentsOfFile: stamp, encoding: .utf8),
              let first = text.split(separator: "\n").first, first.hasPrefix("packages: ") else { return nil }
        return first.dropFirst("packages: ".count).split(separator: ",").map(String.init)
    }

    private func build() throws {
        let started = Date()
        let staging = "\(path).building"
        let debs = "\(cache)/debs"
        try removeTree(staging)
        try FileManager.default.createDirectory(atPath: debs, withIntermediateDirectories: true)
        let mirror = try Self.mirror()
        let result = try Subprocess.run([
            "debootstrap", "--variant=minbase", "--include=\(Self.packages.joined(separator: ","))",
            "--cache-dir=\(debs)", Self.suite, staging, mirror,
        ])
        guard result.status == 0 else {
            throw KeelError("lab: debootstrap could not build the \(Self.suite) tree for systemd hosts",
                            found: String((result.stderr + result.stdout).suffix(2000)))
        }
        try personalize(staging)
        try retireOldTree()
        try FileManager.default.moveItem(atPath: staging, toPath: path)
        let seconds = String(format: "%.0f", Date().timeIntervalSince(started))
        let record = "packages: \(Self.packages.joined(separator: ","))\nbuilt \(Date()) from \(mirror) in \(seconds) s\n"
        try Data(record.utf8).write(to: URL(fileURLWithPath: stamp))
    }

    /// Strips what must differ per host, and points apt at the same mirror as this machine.
    private func personalize(_ tree: String) throws {
        let files = FileManager.default
        for key in (try? files.contentsOfDirectory(atPath: "\(tree)/etc/ssh")) ?? [] where key.hasPrefix("ssh_host_") {
            try files.removeItem(atPath: "\(tree)/etc/ssh/\(key)")
        }
        // Empty machine-id: systemd makes one at boot; each host's upper layer gets its own.
        try Data().write(to: URL(fileURLWithPath: "\(tree)/etc/machine-id"))
        try? files.removeItem(atPath: "\(tree)/var/lib/dbus/machine-id")
        try? files.createSymbolicLink(atPath: "\(tree)/var/lib/dbus/machine-id", withDestinationPath: "/etc/machine-id")
        // firewalld and haproxy stay off at boot: a test that wants them starts them, and no other test
        // finds its ports filtered or taken.
        for unit in ["firewalld.service", "haproxy.service"] {
            try? files.removeItem(atPath: "\(tree)/etc/systemd/system/multi-user.target.wants/\(unit)")
        }
        try? files.removeItem(atPath: "\(tree)/etc/systemd/system/dbus-org.fedoraproject.FirewallD1.service")
        // podman in the lab: crun (the default runtime) raises RLIMIT_MEMLOCK to infinity before it loads a
        // container's device filter and fails ("setrlimit (RLIM_MEMLOCK): Operation not permitted") where no
        // process has CAP_SYS_RESOURCE, as on the machines the lab runs on; runc tries the same and goes on,
        // which works since kernel 5.11 (BPF memory is charged to the cgroup). On a machine whose cgroup v2
        // hierarchy has no controllers (a hybrid layout: they are all bound to v1), the host's cgroups have
        // none either, so no container can have a pids limit (podman's default is 2048): pids_limit = 0.
        try files.createDirectory(atPath: "\(tree)/etc/containers", withIntermediateDirectories: true)
        try Data("""
            # Keel lab (see KeelLab/BaseTree.swift): runc, not crun; no default pids limit.
            [containers]
            pids_limit = 0

            [engine]
            runtime = "runc"

            """.utf8).write(to: URL(fileURLWithPath: "\(tree)/etc/containers/containers.conf"))
        // Rootless podman's network (slirp4netns) opens /dev/net/tun, which nspawn creates 0600; Debian's
        // udev would make it 0666.
        try files.createDirectory(atPath: "\(tree)/etc/tmpfiles.d", withIntermediateDirectories: true)
        try Data("z /dev/net/tun 0666 root root -\n".utf8).write(to: URL(fileURLWithPath: "\(tree)/etc/tmpfiles.d/keel-lab-tun.conf"))
        try? files.removeItem(atPath: "\(tree)/etc/resolv.conf")
        try Data("nameserver 127.0.0.1\n".utf8).write(to: URL(fileURLWithPath: "\(tree)/etc/resolv.conf"))
        let sources = "/etc/apt/sources.list.d/debian.sources"
        if files.fileExists(atPath: sources) {
            try? files.removeItem(atPath: "\(tree)/etc/apt/sources.list")
            try? files.removeItem(atPath: "\(tree)/etc/apt/sources.list.d/debian.sources")
            try files.copyItem(atPath: sources, toPath: "\(tree)/etc/apt/sources.list.d/debian.sources")
        }
    }

    /// The first `URIs:` of this machine's Debian sources, else deb.debian.org.
    static func mirror() throws -> String {
        let text = (try? String(contentsOfFile: "/etc/apt/sources.list.d/debian.sources", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("URIs:") {
            if let uri = line.dropFirst("URIs:".count).split(separator: " ").first { return String(uri) }
        }
        return "http://deb.debian.org/debian"
    }

    /// Moves an old tree out of the way. Running hosts may still have it as their overlay's lower layer:
    /// then it is only renamed (their mounts keep working) and removed by a later build.
    private func retireOldTree() throws {
        let files = FileManager.default
        for old in (try? files.contentsOfDirectory(atPath: cache)) ?? [] where old.hasPrefix("\(Self.suite).retired-") {
            let oldPath = "\(cache)/\(old)"
            if !Mounts.optionsMention(oldPath) { try removeTree(oldPath) }
        }
        guard files.fileExists(atPath: path) else { return }
        if Mounts.optionsMention(path) {
            try files.moveItem(atPath: path, toPath: "\(path).retired-\(UUID().uuidString)")
        } else {
            try removeTree(path)
        }
    }

    private func removeTree(_ tree: String) throws {
        guard FileManager.default.fileExists(atPath: tree) else { return }
        // A debootstrap that failed half-way leaves its /proc (and /sys) mounted inside the tree.
        for mount in Mounts.under(tree).sorted(by: { $0.count > $1.count }) {
            _ = try? Subprocess.run(["umount", "-l", mount])
        }
        try Subprocess.check(["rm", "-rf", "--one-file-system", tree], doing: "removing \(tree)")
    }
}
