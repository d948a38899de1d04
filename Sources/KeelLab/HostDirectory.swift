import Foundation
import KeelBase

/// A host's files under `<lab>/hosts/<name>/`: the overlay's upper and work directories, the mount point
/// of its root, and the console log of its init.
struct HostDirectory {
    let path: String

    init(lab: String, name: String) {
        path = "\(lab)/hosts/\(name)"
    }

    var upper: String { "\(path)/upper" }
    var work: String { "\(path)/work" }
    var root: String { "\(path)/root" }
    var console: String { "\(path)/console.log" }
    /// Bound at /var/lib/containers in systemd hosts: podman's storage cannot live on an overlay.
    var containers: String { "\(path)/containers" }
    var hostKey: String { "\(upper)/etc/ssh/ssh_host_ed25519_key" }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Creates `upper/<relative>` with the mode the same directory has in `lowerRoot`: in an overlay the
    /// upper directory's mode wins, and sshd refuses keys under a /root that became world-readable.
    func makeUpperDirectory(_ relative: String, like lowerRoot: String, defaultMode: Int = 0o755) throws {
        var current = upper
        var lower = lowerRoot == "/" ? "" : lowerRoot
        for component in relative.split(separator: "/") {
            current += "/\(component)"
            lower += "/\(component)"
            if FileManager.default.fileExists(atPath: current) { continue }
            let mode = (try? FileManager.default.attributesOfItem(atPath: lower)[.posixPermissions] as? Int)
                ?? defaultMode
            try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: mode])
        }
    }

    func writeUpper(_ relative: String, _ text: String, mode: Int = 0o644) throws {
        try writeAtomically(Data(text.utf8), to: "\(upper)/\(relative)", permissions: mode)
    }

    /// The files every host gets whatever its flavor: identity, name resolution, sshd, root's login key.
    func writeIdentity(name: String, address: String, clientPublicKey: String, lowerRoot: String) throws {
        try FileManager.default.createDirectory(atPath: upper, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        for directory in [work, root, containers] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try makeUpperDirectory("etc/ssh", like: lowerRoot)
        if lowerRoot == "/" { try makeFreshRootHome() }
        try makeUpperDirectory("root/.ssh", like: lowerRoot, defaultMode: 0o700)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: "\(upper)/root/.ssh")
        try writeUpper("etc/hostname", "\(name)\n")
        try writeUpper("etc/hosts", """
            127.0.0.1 localhost
            ::1 localhost ip6-localhost ip6-loopback
            127.0.1.1 \(name)
            \(LabAddressing.bridgeAddress) controller.lab

            """)
        // Lookups fail at once on the host itself; nothing is ever asked of this machine's resolver.
        try writeUpper("etc/resolv.conf", "nameserver 127.0.0.1\n")
        try writeUpper("etc/ssh/sshd_config", LabSSH.sshdConfig)
        try writeUpper("root/.ssh/authorized_keys", clientPublicKey + "\n", mode: 0o600)
        try LabSSH.generateKey(at: hostKey, comment: "root@\(name)")
    }
}

extension HostDirectory {
    /// A light host overlays this machine's `/`, and with it this machine's /root: its dotfiles (a
    /// .bashrc that starts pyenv, say, run by every SSH login), caches and private keys. The host gets an
    /// opaque /root instead, as a fresh Debian install has it: only base-files' default .bashrc and .profile.
    func makeFreshRootHome() throws {
        let home = "\(upper)/root"
        if !FileManager.default.fileExists(atPath: home) {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
        }
        // overlayfs: an upper directory marked opaque hides everything below it in the lower layer.
        // setxattr(2) is in glibc but not in Swift's Glibc module: found at run time, as CleanSpawn does.
        typealias SetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer, Int, Int32) -> Int32
        guard let symbol = dlsym(nil, "setxattr") else { throw KeelError("this libc has no setxattr") }
        let setxattr = unsafeBitCast(symbol, to: SetXattr.self)
        let flag: [UInt8] = [UInt8(ascii: "y")]
        guard setxattr(home, "trusted.overlay.opaque", flag, flag.count, 0) == 0 else {
            throw KeelError("cannot make \(home) opaque in the overlay: \(String(cString: strerror(errno)))")
        }
        for name in ["bashrc", "profile"] {
            let defaults = "/usr/share/base-files/dot.\(name)"
            let text = (try? String(contentsOfFile: defaults, encoding: .utf8)) ?? ""
            try writeUpper("root/.\(name)", text)
        }
    }
}

/// The last lines of a log, for error messages.
func tail(of path: String, lines: Int = 15) -> String {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
}
