import Foundation
import Testing
import KeelLab
@testable import KeelTransport

/// Every kind of client key ssh users have: ed25519 (the lab's own), ECDSA, RSA (signed with
/// rsa-sha2-256/512, as OpenSSH 9 requires), and keys held by an ssh-agent.
@Suite("Key types and the agent") struct KeyTypeTests {
    /// Generates a key pair in a temporary directory and authorizes it for root inside the host.
    func authorizedKey(type: String, bits: Int? = nil, on host: LabHost) throws -> (path: String, directory: URL) {
        let dir = try LabTargets.temporaryDirectory()
        let path = dir.appendingPathComponent("id_\(type)").path
        var arguments = ["-q", "-t", type, "-N", "", "-f", path]
        if let bits { arguments += ["-b", String(bits)] }
        try run("/usr/bin/ssh-keygen", arguments)
        let publicKey = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try LabTargets.inspect(host, "grep -qxF '\(publicKey)' /root/.ssh/authorized_keys || echo '\(publicKey)' >> /root/.ssh/authorized_keys")
        return (path, dir)
    }

    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func connectsAs(keyPath: String, on host: LabHost) async throws -> String {
        var target = LabTargets.target(host)
        target.identityFiles = [keyPath]
        let connection = try await SSHConnection.connect(target)
        let who = try await connection.run("id -un").stdoutText
        await connection.close()
        return who
    }

    @Test(arguments: [("ecdsa", 256), ("ecdsa", 521)])
    func keyFilesOfEveryCommonTypeLogIn(type: String, bits: Int) async throws {
        let host = try await LabTargets.hosts(1, prefix: "keys")[0]
        let key = try authorizedKey(type: type, bits: bits, on: host)
        defer { try? FileManager.default.removeItem(at: key.directory) }
        #expect(try await connectsAs(keyPath: key.path, on: host) == "root\n")
    }

    /// libssh2 1.10 (Debian 12) can only sign RSA user keys with SHA-1, which the lab's OpenSSH 9.2
    /// refuses; the error must say why and what to do rather than a bare "authentication failed".
    /// With libssh2 1.11 or later the same key must simply log in.
    @Test func rsaKeysLogInOrTheRefusalExplainsWhy() async throws {
        let host = try await LabTargets.hosts(1, prefix: "keys")[0]
        let key = try authorizedKey(type: "rsa", bits: 3072, on: host)
        defer { try? FileManager.default.removeItem(at: key.directory) }
        #expect(SSHAuthenticator.isRSAKey(key.path))
        if SSHAuthenticator.signsRSAWithSHA2 {
            #expect(try await connectsAs(keyPath: key.path, on: host) == "root\n")
        } else {
            await #expect { try await connectsAs(keyPath: key.path, on: host) } throws: { error in
                let text = "\(error)"
                return text.contains("ssh-rsa (SHA-1)") && text.contains("PubkeyAcceptedAlgorithms") && text.contains("ed25519")
            }
        }
    }

    @Test func keysHeldByAnAgentLogIn() async throws {
        let host = try await LabTargets.hosts(1, prefix: "keys")[0]
        let key = try authorizedKey(type: "ed25519", on: host)
        defer { try? FileManager.default.removeItem(at: key.directory) }
        let socket = key.directory.appendingPathComponent("agent.sock").path
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-agent")
        agent.arguments = ["-D", "-a", socket]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        // SIGKILL: a child of the test runner inherits its blocked signals, and ssh-agent ignores SIGTERM then.
        defer { kill(agent.processIdentifier, SIGKILL); agent.waitUntilExit() }
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(20)) }
        try run("/usr/bin/ssh-add", [key.path], environment: ["SSH_AUTH_SOCK": socket])
        // No key file at all: only the agent can authenticate.
        try FileManager.default.removeItem(atPath: key.path)
        setenv("SSH_AUTH_SOCK", socket, 1)
        defer { unsetenv("SSH_AUTH_SOCK") }
        var target = LabTargets.target(host)
        target.identityFiles = []
        target.identitiesOnly = false
        target.useAgent = true
        let connection = try await SSHConnection.connect(target)
        #expect(try await connection.run("id -un").stdoutText == "root\n")
        await connection.close()
    }
}
