import Foundation
import Testing
import KeelLab
import KeelTransport

/// A non-root account with a password and a sudo rule that asks for it, made inside the host.
enum PasswordUser {
    static let name = "keeltest"
    static let password = "Keel-s3cret-\(UInt32.random(in: 100_000...999_999))"

    static func create(on host: LabHost) throws {
        try LabTargets.inspect(host, """
            id \(name) >/dev/null 2>&1 || useradd -m -s /bin/sh \(name)
            echo '\(name):\(password)' | chpasswd
            echo '\(name) ALL=(ALL) ALL' > /etc/sudoers.d/\(name) && chmod 440 /etc/sudoers.d/\(name)
            """)
    }

    static func target(_ host: LabHost, password: String? = PasswordUser.password) -> SSHTarget {
        var target = LabTargets.target(host, user: name)
        target.identityFiles = []
        target.password = password
        return target
    }
}

@Suite("Authentication") struct AuthenticationTests {
    @Test func aKeyTheHostDoesNotKnowIsRefusedNamingHostAndMethod() async throws {
        let host = try await LabTargets.hosts(1, prefix: "auth")[0]
        let dir = try LabTargets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("stranger").path
        let keygen = Process()
        keygen.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        keygen.arguments = ["-q", "-t", "ed25519", "-N", "", "-f", key]
        try keygen.run()
        keygen.waitUntilExit()
        var target = LabTargets.target(host)
        target.identityFiles = [key]
        await #expect { try await SSHConnection.connect(target) } throws: { error in
            guard let error = error as? TransportError, case .authenticationFailed = error else { return false }
            return error.description.contains(host.name) && error.description.contains("publickey \(key)")
        }
    }

    @Test func aWrongPasswordIsRefusedNamingHostAndMethod() async throws {
        let host = try await LabTargets.hosts(1, prefix: "auth")[0]
        try PasswordUser.create(on: host)
        await #expect { try await SSHConnection.connect(PasswordUser.target(host, password: "wrong")) } throws: { error in
            guard let error = error as? TransportError, case .authenticationFailed = error else { return false }
            return error.description.contains(host.name) && error.description.contains("password")
                && error.description.contains("'\(PasswordUser.name)'")
        }
    }

    @Test func theRightPasswordLogsIn() async throws {
        let host = try await LabTargets.hosts(1, prefix: "auth")[0]
        try PasswordUser.create(on: host)
        let connection = try await SSHConnection.connect(PasswordUser.target(host))
        #expect(try await connection.run("id -un").stdoutText == "\(PasswordUser.name)\n")
        await connection.close()
    }
}

@Suite("Become through sudo") struct BecomeTests {
    @Test func becomeRunsAsRootAndThePasswordIsInNoProcessList() async throws {
        let host = try await LabTargets.hosts(1, prefix: "become")[0]
        try PasswordUser.create(on: host)
        var target = PasswordUser.target(host)
        target.becomePassword = PasswordUser.password
        let connection = try await SSHConnection.connect(target)
        // While sudo and the command run, every process's argv and environment is captured.
        let result = try await connection.run("""
            id -u
            for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; tr '\\0' ' ' < $p/environ; echo; done 2>/dev/null
            """, become: Become())
        #expect(result.status == 0)
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "0")
        #expect(result.stdoutText.contains("sudo"), "the capture should have seen sudo itself")
        #expect(!result.stdoutText.contains(PasswordUser.password))
        #expect(!result.stdoutText.contains(Data((PasswordUser.password + "\n").utf8).base64EncodedString()))
        // And the same from outside, as root, through the lab, after the fact: nothing in logs either.
        let outside = try LabTargets.inspect(host, "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '")
        #expect(!outside.contains(PasswordUser.password))
    }

    @Test func becomeKeepsStdinForTheCommand() async throws {
        let host = try await LabTargets.hosts(1, prefix: "become")[0]
        try PasswordUser.create(on: host)
        var target = PasswordUser.target(host)
        target.becomePassword = PasswordUser.password
        let connection = try await SSHConnection.connect(target)
        let data = LabTargets.randomData(4096)
        let result = try await connection.run("cat", stdin: data, become: Become())
        #expect(result.stdout == data)
    }

    @Test func aWrongBecomePasswordFailsClearly() async throws {
        let host = try await LabTargets.hosts(1, prefix: "become")[0]
        try PasswordUser.create(on: host)
        var target = PasswordUser.target(host)
        target.becomePassword = "not-the-password"
        let connection = try await SSHConnection.connect(target)
        await #expect { try await connection.run("id -u", become: Become()) } throws: { error in
            guard let error = error as? TransportError, case .becomeFailed = error else { return false }
            return error.description.contains(host.name) && error.description.contains("incorrect sudo password")
        }
    }
}
