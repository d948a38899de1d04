import Foundation
import Testing
import KeelTransport

@Suite("ProxyJump") struct ProxyJumpTests {
    @Test func aHostIsReachedThroughAJumpHost() async throws {
        let hosts = try await LabTargets.hosts(2, prefix: "jump")
        var target = LabTargets.target(hosts[1])
        target.jumps = [LabTargets.target(hosts[0])]
        let connection = try await SSHConnection.connect(target)
        // sshd on the far host sees the jump host as the client.
        let seen = try await connection.run(#"echo "${SSH_CONNECTION%% *}"; hostname"#)
        #expect(seen.stdoutText == "\(hosts[0].address)\n\(hosts[1].name)\n")
        let data = LabTargets.randomData(300_000)
        #expect(try await connection.run("cat", stdin: data, become: nil).stdout == data)
    }
}
