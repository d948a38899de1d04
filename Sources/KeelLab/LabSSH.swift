import Foundation
import KeelBase
#if canImport(Glibc)
import Glibc
#endif

/// The SSH side of the lab: keys, the hosts' sshd configuration, and waiting for an sshd to answer.
enum LabSSH {
    /// Written as the whole of each host's /etc/ssh/sshd_config (no includes: the machine's own drop-ins
    /// must not leak into light hosts, which see this machine's /etc underneath theirs).
    static let sshdConfig = """
        # Written by keel lab.
        Port 22
        HostKey /etc/ssh/ssh_host_ed25519_key
        PidFile /run/sshd.pid
        PermitRootLogin prohibit-password
        # Tests log in as ordinary users with passwords too.
        PasswordAuthentication yes
        KbdInteractiveAuthentication no
        UsePAM no
        # One Keel run multiplexes many channels over one connection, and tests run many runs at once.
        MaxSessions 64
        MaxStartups 200:30:400
        UseDNS no
        PrintMotd no
        AcceptEnv LANG LC_*
        Subsystem sftp /usr/lib/openssh/sftp-server

        """

    /// Generates an ed25519 key pair at `path` (and `path.pub`), replacing any old one.
    static func generateKey(at path: String, comment: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: path + ".pub")
        try Subprocess.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                             doing: "generating an ssh key")
    }

    /// `ssh-ed25519 AAAA...` from a .pub file, without its comment.
    static func publicKey(at path: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return keyWithoutComment(text)
    }

    static func keyWithoutComment(_ line: String) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(2).joined(separator: " ")
    }

    /// Polls until `address:22` greets with an SSH banner, or the deadline passes. `stillStarting` is asked
    /// between tries so that a host whose init died fails at once instead of at the deadline.
    static func waitForBanner(address: String, deadline: Date, stillStarting: () -> Bool) -> Bool {
        while Date() < deadline {
            if answers(address: address) { return true }
            if !stillStarting() { return false }
            usleep(50_000)
        }
        return false
    }

    /// One try: connect to port 22 and read the first bytes, `SSH-2.0-...`.
    static func answers(address: String, timeoutSeconds: Int = 1) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = in_port_t(22).bigEndian
        guard inet_pton(AF_INET, address, &peer.sin_addr) == 1 else { return false }
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count >= 4 && buffer[0..<4] == Array("SSH-".utf8)[0..<4]
    }

    /// The key the host's sshd serves right now, as `ssh-keyscan` sees it.
    static func scanKey(address: String) -> String? {
        guard let result = try? Subprocess.run(["ssh-keyscan", "-T", "2", "-t", "ed25519", address]),
              result.status == 0 else { return nil }
        let line = result.stdout.split(separator: "\n").first { !$0.hasPrefix("#") }
        return line.map { $0.split(separator: " ").dropFirst().joined(separator: " ") }
    }
}
