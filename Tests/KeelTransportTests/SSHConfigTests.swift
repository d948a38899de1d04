import Foundation
import KeelBase
import Testing
@testable import KeelTransport

@Suite("ssh_config") struct SSHConfigTests {
    let config = SSHConfig(text: """
        # global defaults come last in practice, but apply to every host
        Host web*.example.com !web9.example.com
            User deploy
            Port 2222
            IdentityFile ~/.ssh/deploy_ed25519
        Host db
            HostName 10.1.2.3
            ProxyJump admin@bastion:2200,gw
            StrictHostKeyChecking accept-new
            UserKnownHostsFile /tmp/a /tmp/b
        Match exec "false"
            User never
        Host *
            User fallback
            IdentityFile ~/.ssh/id_ed25519
            ServerAliveInterval=30
        """)

    @Test func firstValueWinsAndIdentityFilesAccumulate() {
        let web = config.resolve(host: "web1.example.com")
        #expect(web.user == "deploy")
        #expect(web.port == 2222)
        #expect(web.identityFiles.map { ($0 as NSString).lastPathComponent } == ["deploy_ed25519", "id_ed25519"])
        #expect(web.serverAliveInterval == 30)
    }

    @Test func negatedPatternsExcludeAHost() {
        #expect(config.resolve(host: "web9.example.com").user == "fallback")
    }

    @Test func matchBlocksAreNotAppliedBlindly() {
        #expect(config.resolve(host: "anything").user == "fallback")
    }

    @Test func hostNameJumpsAndHostKeyOptionsAreRead() {
        let db = config.resolve(host: "db")
        #expect(db.hostName == "10.1.2.3")
        #expect(db.proxyJump == "admin@bastion:2200,gw")
        #expect(db.strictHostKeyChecking == .acceptNew)
        #expect(db.userKnownHostsFiles == ["/tmp/a", "/tmp/b"])
        let target = SSHTarget.resolve(hostName: "db", config: config)
        #expect(target.address == "10.1.2.3")
        #expect(target.jumps.map(\.address) == ["bastion", "gw"])
        #expect(target.jumps.map(\.port) == [2200, 22])
        #expect(target.jumps.first?.user == "admin")
    }

    @Test func inventoryVariablesOverrideTheConfigFile() throws {
        let settings = try HostConnectionSettings(hostName: "web1.example.com", variables: [
            "ansible_host": "192.0.2.10", "ansible_port": 2200, "ansible_user": "ops",
            "ansible_ssh_private_key_file": "/keys/ops",
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/lab/known_hosts -o 'StrictHostKeyChecking=accept-new' -J hop:2022",
        ], config: config)
        guard case .ssh(let target) = settings.kind else { Issue.record("expected ssh"); return }
        #expect(target.address == "192.0.2.10")
        #expect(target.port == 2200)
        #expect(target.user == "ops")
        #expect(target.identityFiles.first == "/keys/ops")
        #expect(target.knownHostsFiles == ["/lab/known_hosts"])
        #expect(target.hostKeyPolicy == .acceptNew)
        #expect(target.jumps.map(\.address) == ["hop"])
        #expect(target.jumps.map(\.port) == [2022])
    }

    @Test func localConnectionIsChosenForLocalhostAndByVariable() throws {
        if case .local = try HostConnectionSettings(hostName: "localhost", variables: [:], config: config).kind {} else {
            Issue.record("localhost without ansible_host should be local")
        }
        if case .local = try HostConnectionSettings(hostName: "x", variables: ["ansible_connection": "local"], config: config).kind {} else {
            Issue.record("ansible_connection=local should be local")
        }
    }

    @Test func shellWordsFollowQuoting() {
        #expect(ShellWords.split(#"-o "A B" 'c d' e\ f"#) == ["-o", "A B", "c d", "e f"])
    }
}

@Suite("known_hosts") struct KnownHostsTests {
    static let key = HostKey(type: "ssh-ed25519", blob: Data([0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [1, 2, 3]))
    static let other = HostKey(type: "ssh-ed25519", blob: Data([0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [9, 9, 9]))

    func file(_ text: String) throws -> KnownHosts {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kh-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return KnownHosts(files: [path])
    }

    @Test func portsAreRecordedInBrackets() throws {
        let known = try file("[10.0.0.5]:2222 \(Self.key.knownHostsText)\n")
        #expect(known.verify(Self.key, host: "10.0.0.5", port: 2222) == .match)
        #expect(known.verify(Self.key, host: "10.0.0.5", port: 22) == .unknown)
    }

    @Test func aDifferentKeyOfTheSameTypeIsAChange() throws {
        let known = try file("# comment\nhost-a,10.0.0.5 \(Self.key.knownHostsText)\n")
        guard case .changed(let at) = known.verify(Self.other, host: "10.0.0.5", port: 22) else {
            Issue.record("expected a change"); return
        }
        #expect(at.hasSuffix(":2"))
    }

    @Test func wildcardsAndRevokedKeysAreHonoured() throws {
        let known = try file("*.lab.test \(Self.key.knownHostsText)\n@revoked * \(Self.other.knownHostsText)\n")
        #expect(known.verify(Self.key, host: "h1.lab.test", port: 22) == .match)
        if case .revoked = known.verify(Self.other, host: "h1.lab.test", port: 22) {} else { Issue.record("expected revoked") }
    }

    @Test func fingerprintsMatchSshKeygen() {
        // SHA256 of the blob, base64 without padding, as `ssh-keygen -lf` prints.
        #expect(Self.key.fingerprint.hasPrefix("SHA256:"))
        #expect(!Self.key.fingerprint.hasSuffix("="))
    }

    @Test func keyNegotiationPrefersRecordedTypes() {
        #expect(LibSSH2.hostKeyPreference(recorded: ["ssh-rsa"]).hasPrefix("rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-ed25519"))
        #expect(LibSSH2.hostKeyPreference(recorded: []).hasPrefix("ssh-ed25519"))
    }
}

@Suite("Local connection") struct LocalConnectionTests {
    @Test func runsWithShStdinAndStatus() async throws {
        let local = LocalConnection()
        let result = try await local.run("cat; echo err >&2; exit 4", stdin: Data("in".utf8), become: nil)
        #expect(result.status == 4)
        #expect(result.stdoutText == "in")
        #expect(result.stderrText == "err\n")
    }

    @Test func uploadIsAtomicAndSetsTheMode() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-local-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("f").path
        try await LocalConnection().upload(Data("hello".utf8), to: path, mode: 0o600)
        #expect(FileManager.default.contents(atPath: path) == Data("hello".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["f"])
    }
}
