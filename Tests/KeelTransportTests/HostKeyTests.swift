import Foundation
import Testing
import KeelTransport

@Suite("Host key verification") struct HostKeyTests {
    @Test func aChangedHostKeyIsRefusedWithItsFingerprint() async throws {
        let host = try await LabTargets.hosts(1, prefix: "rekey")[0]
        let recorded = try await LabTargets.connect(host)
        await recorded.close()
        let rekeyed = try LabTargets.lab.rekey(host.name)
        do {
            let connection = try await LabTargets.connect(rekeyed)
            await connection.close()
            Issue.record("a changed host key was accepted")
        } catch let error as TransportError {
            guard case .hostKeyChanged = error else { Issue.record("wrong error: \(error)"); return }
            let text = error.description
            #expect(text.contains(host.name))
            #expect(text.contains("ssh-ed25519"))
            #expect(text.contains("SHA256:"))
            #expect(text.contains(LabTargets.lab.knownHostsPath))
        }
    }

    @Test func anUnknownHostIsRefusedWhenStrict() async throws {
        let host = try await LabTargets.hosts(1, prefix: "hk")[0]
        let dir = try LabTargets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var target = LabTargets.target(host)
        target.knownHostsFiles = [dir.appendingPathComponent("known_hosts").path]
        await #expect { try await SSHConnection.connect(target) } throws: { error in
            guard case .hostKeyUnknown(let name, _, let fingerprint, _)? = error as? TransportError else { return false }
            return name == host.name && fingerprint.hasPrefix("SHA256:")
        }
    }

    @Test func acceptNewRecordsTheKeyAndThenHoldsItStrictly() async throws {
        let host = try await LabTargets.hosts(1, prefix: "hk")[0]
        let dir = try LabTargets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("known_hosts").path
        var target = LabTargets.target(host)
        target.knownHostsFiles = [file]
        target.hostKeyPolicy = .acceptNew
        try await SSHConnection.connect(target).close()
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written == "\(host.address) \(host.hostKey)\n")
        target.hostKeyPolicy = .strict
        let again = try await SSHConnection.connect(target)
        #expect(try await again.run("true").status == 0)
        await again.close()
    }

    @Test func hashedKnownHostsEntriesMatch() async throws {
        let host = try await LabTargets.hosts(1, prefix: "hk")[0]
        let dir = try LabTargets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("known_hosts").path
        try "\(host.address) \(host.hostKey)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let hash = Process()
        hash.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        hash.arguments = ["-H", "-f", file]
        hash.standardOutput = FileHandle.nullDevice
        hash.standardError = FileHandle.nullDevice
        try hash.run()
        hash.waitUntilExit()
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("|1|"))
        var target = LabTargets.target(host)
        target.knownHostsFiles = [file]
        try await SSHConnection.connect(target).close()
    }
}
