import Foundation
import KeelBase
import Testing
import KeelLab
import KeelTransport

@Suite("Many hosts at once") struct ManyHostsTests {
    @Test func twentyHostsRunInParallel() async throws {
        let hosts = try await LabTargets.hosts(20, prefix: "many")
        let names = await concurrentMap(hosts, limit: 20) { host -> String in
            do {
                let connection = try await LabTargets.connect(host)
                let name = try await connection.run("hostname").stdoutText
                await connection.close()
                return name.trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                return "error: \(error)"
            }
        }
        #expect(names == hosts.map(\.name))
    }

    @Test func aHostDyingMidRunFailsOnlyThatHost() async throws {
        let hosts = try await LabTargets.hosts(3, prefix: "die")
        let connections = try await withThrowingTaskGroup(of: (Int, SSHConnection).self) { group in
            for (index, host) in hosts.enumerated() { group.addTask { (index, try await LabTargets.connect(host)) } }
            var byIndex: [Int: SSHConnection] = [:]
            for try await (index, connection) in group { byIndex[index] = connection }
            return hosts.indices.map { byIndex[$0]! }
        }
        let victim = hosts[1]
        let killer = Task {
            try await Task.sleep(for: .milliseconds(600))
            try LabTargets.lab.stopSSH(victim.name)
        }
        let outcomes = await concurrentMap(Array(connections.indices), limit: 3) { index -> String in
            for step in 0..<30 {
                do {
                    let result = try await connections[index].run("sleep 0.05; echo \(step)")
                    guard result.stdoutText == "\(step)\n" else { return "wrong output at \(step)" }
                } catch {
                    return "failed: \(error)"
                }
            }
            return "finished"
        }
        try await killer.value
        #expect(outcomes[0] == "finished")
        #expect(outcomes[2] == "finished")
        #expect(outcomes[1].hasPrefix("failed: \(victim.name):"), "got: \(outcomes[1])")
        for connection in connections { await connection.close() }
    }
}
