import Foundation
import KeelBase

/// What `keel lab up` needs on this machine, checked before anything is touched, so that a machine
/// where lab hosts cannot work (a CI runner without root, a server with the packaged keel only) gets
/// one clear message naming what is missing and the Debian package that brings it.
public enum LabRequirements {
    /// Commands and the packages that provide them; systemd hosts need a few more.
    static let common: [(command: String, package: String)] = [
        ("ip", "iproute2"), ("nsenter", "util-linux"), ("unshare", "util-linux"), ("nft", "nftables"),
        ("sshd", "openssh-server"), ("ssh-keygen", "openssh-client"),
    ]
    static let light: [(command: String, package: String)] = [("tini", "tini")]
    static let systemd: [(command: String, package: String)] = [("systemd-nspawn", "systemd-container"), ("debootstrap", "debootstrap")]

    public static func check(flavor: LabFlavor, searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin") throws {
        if geteuid() != 0 {
            throw KeelError("keel lab needs root: lab hosts are network namespaces and mounts on this machine",
                            expected: "sudo keel lab ..., or keel lab as root")
        }
        let directories = (searchPath + ":/usr/sbin:/sbin").split(separator: ":").map(String.init)
        let needed = common + (flavor == .systemd ? systemd : light)
        let missing = needed.filter { requirement in
            !directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(requirement.command)") }
        }
        guard missing.isEmpty else {
            var packages: [String] = []
            for item in missing where !packages.contains(item.package) { packages.append(item.package) }
            throw KeelError("keel lab cannot run on this machine: \(missing.map(\.command).joined(separator: ", ")) not found",
                            expected: "apt-get install \(packages.joined(separator: " ")) (keel play, check and the rest do not need them)")
        }
    }
}
