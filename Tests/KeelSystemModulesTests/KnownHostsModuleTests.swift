import Foundation
import KeelBase
import KeelModules
import Testing

/// known_hosts on a light host, checked with the host's own ssh-keygen -F (which understands hashed entries).
@Suite("known_hosts module on a lab host", .serialized) struct KnownHostsModuleTests {
    static let keyA = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    static let keyB = "AAAAC3NzaC1lZDI1NTE5AAAAIKeelKnownHostsSecondKeyAAAAAAAAAAAAAAAAAAAA"
    static let path = "/root/.ssh/keel_known_hosts"

    func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("khosts")
        try host.inspect("rm -f \(Self.path)")
        return host
    }

    @Test func aKeyIsAddedThenReplacedThenRemoved() async throws {
        let host = try await host()
        let fingerprint = "cat \(Self.path) 2>/dev/null; true"
        try await host.converges(KnownHostsModule.self, ["name": "git.example.test", "key": .string("git.example.test ssh-ed25519 \(Self.keyA)"), "path": .string(Self.path)],
                                 fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "git.example.test ssh-ed25519 \(Self.keyA)\n")
        // Another key of the same type replaces it.
        let replaced = try await host.converges(KnownHostsModule.self, ["name": "git.example.test", "key": .string("git.example.test ssh-ed25519 \(Self.keyB)"), "path": .string(Self.path)],
                                                fingerprint: fingerprint)
        #expect(replaced.diffs.first?.before.contains(Self.keyA) == true)
        #expect(try host.inspect(fingerprint) == "git.example.test ssh-ed25519 \(Self.keyB)\n")
        try await host.converges(KnownHostsModule.self, ["name": "git.example.test", "state": "absent", "path": .string(Self.path)], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "")
    }

    @Test func hashedEntriesAreWrittenAndRecognised() async throws {
        let host = try await host()
        let fingerprint = "cat \(Self.path) 2>/dev/null; true"
        try await host.converges(KnownHostsModule.self, ["name": "[gw.example.test]:2222", "key": .string("[gw.example.test]:2222 ssh-ed25519 \(Self.keyA)"),
                                                         "path": .string(Self.path), "hash_host": true], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint).hasPrefix("|1|"))
        // OpenSSH finds the hashed entry by name: Keel's hash is the real one.
        #expect(try host.inspect("ssh-keygen -F '[gw.example.test]:2222' -f \(Self.path) | grep -c ssh-ed25519") == "1\n")
        try await host.converges(KnownHostsModule.self, ["name": "[gw.example.test]:2222", "state": "absent", "path": .string(Self.path)], fingerprint: fingerprint)
    }

    @Test func aKeyForAnotherHostIsRejected() async throws {
        let host = try await host()
        await #expect { try await host.run(KnownHostsModule.self, ["name": "a.example.test", "key": .string("b.example.test ssh-ed25519 \(Self.keyA)"), "path": .string(Self.path)]) } throws: { error in
            "\(error)".contains("does not name a.example.test")
        }
    }
}
