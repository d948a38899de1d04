import Crypto
import Foundation
import KeelLab
import KeelTestSupport
import KeelTransport

/// SSH targets for lab hosts, as a user's inventory would describe them: the lab's key, the lab's
/// known_hosts, strict host key checking, no agent.
enum LabTargets {
    static let lab = Lab()

    static func hosts(_ count: Int, prefix: String) async throws -> [LabHost] {
        try await LabFixture.shared.hosts(count, prefix: prefix)
    }

    static func target(_ host: LabHost, user: String = "root") -> SSHTarget {
        var target = SSHTarget(hostName: host.name, address: host.address, port: 22, user: user,
                               knownHostsFiles: [lab.knownHostsPath])
        target.identityFiles = [lab.clientKeyPath]
        target.identitiesOnly = true
        target.useAgent = false
        target.hostKeyPolicy = .strict
        return target
    }

    static func connect(_ host: LabHost, user: String = "root") async throws -> SSHConnection {
        try await SSHConnection.connect(target(host, user: user))
    }

    /// Runs a script inside the host directly (not through Keel) and returns its stdout; fails on error.
    @discardableResult
    static func inspect(_ host: LabHost, _ script: String) throws -> String {
        let result = try lab.exec(host.name, script)
        guard result.status == 0 else {
            throw InspectionFailed(script: script, status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }

    struct InspectionFailed: Error, CustomStringConvertible {
        var script: String, status: Int32, stderr: String
        var description: String { "inspection `\(script)` exited \(status): \(stderr)" }
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    static func randomData(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// A temporary directory removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
