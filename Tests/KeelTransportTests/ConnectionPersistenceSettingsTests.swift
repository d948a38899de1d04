import Foundation
import KeelBase
import Testing
@testable import KeelTransport

/// What decides whether and how a connection master is used, without a host: ControlPersist's values,
/// the target handed to a master (never a password), and the socket's name.
@Suite("Connection persistence settings") struct ConnectionPersistenceSettingsTests {
    let config = SSHConfig(text: "")

    @Test func controlPersistValuesReadAsSshReadsThem() {
        #expect(ConnectionPersistence.idleTime(sshValue: "60") == .seconds(60))
        #expect(ConnectionPersistence.idleTime(sshValue: "60s") == .seconds(60))
        #expect(ConnectionPersistence.idleTime(sshValue: "10m") == .seconds(600))
        #expect(ConnectionPersistence.idleTime(sshValue: "1h30m") == .seconds(5400))
        #expect(ConnectionPersistence.idleTime(sshValue: "yes") == .unlimited)
        #expect(ConnectionPersistence.idleTime(sshValue: "0") == .unlimited)
        #expect(ConnectionPersistence.idleTime(sshValue: "no") == .off)
        #expect(ConnectionPersistence.idleTime(sshValue: "soon") == nil)
        #expect(ConnectionPersistence.idleTime(sshValue: "5x") == nil)
    }

    @Test func sshArgsControlPersistIsReadAndABadValueIsRefused() throws {
        let settings = try HostConnectionSettings(hostName: "web1", variables: [
            "ansible_ssh_args": "-C -o ControlMaster=auto -o ControlPersist=60s"], config: config)
        #expect(settings.controlPersist == .seconds(60))
        let none = try HostConnectionSettings(hostName: "web1", variables: [:], config: config)
        #expect(none.controlPersist == nil)
        #expect(SSHArguments.ignoredOptions(["-o ControlPersist=60s -o ControlMaster=auto"]) == ["ControlMaster"])
        #expect(throws: (any Error).self) {
            _ = try HostConnectionSettings(hostName: "web1", variables: ["ansible_ssh_args": "-o ControlPersist=later"], config: config)
        }
    }

    @Test func passwordsNeverReachAMasterAndMakeATargetIneligible() throws {
        var target = SSHTarget(hostName: "web1", address: "192.0.2.7", port: 2222, user: "deploy")
        target.identityFiles = ["/keys/deploy"]
        #expect(PersistedTarget.isEligible(target))
        let json = String(decoding: PersistedTarget(target).json, as: UTF8.self)
        #expect(!json.contains("assword"))
        var withPassword = target
        withPassword.password = "hunter2"
        #expect(!PersistedTarget.isEligible(withPassword))
        var withBecomePassword = target
        withBecomePassword.becomePassword = "hunter2"
        #expect(!PersistedTarget.isEligible(withBecomePassword))
        // What the master gets back is the same target.
        let back = PersistedTarget(target).target
        #expect(back.address == "192.0.2.7" && back.port == 2222 && back.user == "deploy" && back.identityFiles == ["/keys/deploy"])
        #expect(back.hostKeyPolicy == target.hostKeyPolicy && back.knownHostsFiles == target.knownHostsFiles)
    }

    @Test func theSocketNameChangesWithEverythingThatDecidesTheLogin() {
        let base = SSHTarget(hostName: "web1", address: "192.0.2.7", port: 22, user: "deploy")
        var otherUser = base; otherUser.user = "root"
        var otherPort = base; otherPort.port = 2222
        var otherKey = base; otherKey.identityFiles = ["/keys/other"]
        var otherPolicy = base; otherPolicy.hostKeyPolicy = .acceptNew
        var otherKnownHosts = base; otherKnownHosts.knownHostsFiles = ["/tmp/known"]
        var viaJump = base; viaJump.jumps = [SSHTarget(hostName: "bastion", user: "jump")]
        let digests = [base, otherUser, otherPort, otherKey, otherPolicy, otherKnownHosts, viaJump].map { PersistedTarget($0).digest }
        #expect(Set(digests).count == digests.count)
        #expect(PersistedTarget(base).digest == PersistedTarget(base).digest)
        #expect(digests.allSatisfy { $0.count == 32 })
    }

    @Test func aSocketDirectoryOpenToOthersIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cp-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ControlDirectory.prepare(path + "/cp") == path + "/cp")
        let mode = try FileManager.default.attributesOfItem(atPath: path + "/cp")[.posixPermissions] as? Int
        #expect(mode == 0o700)
        chmod(path + "/cp", 0o750)
        #expect(throws: ControlDirectoryError.self) { try ControlDirectory.prepare(path + "/cp") }
    }
}
