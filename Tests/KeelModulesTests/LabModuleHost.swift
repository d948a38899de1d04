import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// A real lab host reached over SSH (libssh2, as a playbook run reaches it), for module tests: run a
/// module there, and inspect the host directly (nsenter, not through Keel) to check what happened.
/// Each test works in its own directory on the host, so tests can run side by side.
struct LabModuleHost {
    let lab: LabHost
    var context: HostContext
    /// A fresh directory on the host for this test.
    let root: String

    static let connections = ConnectionCache()

    static func make(prefix: String = "files", index: Int = 0) async throws -> LabModuleHost {
        let host = try await LabFixture.shared.hosts(index + 1, prefix: prefix)[index]
        let connection = try await connections.connection(for: host)
        let root = "/root/keel-test-\(UUID().uuidString.prefix(8))"
        let made = try LabFixture.shared.lab.exec(host.name, "mkdir -p \(root)")
        guard made.status == 0 else { throw KeelError("cannot make \(root) on \(host.name): \(made.stderr)") }
        return LabModuleHost(lab: host, context: HostContext(name: host.name, connection: connection), root: root)
    }

    func run<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await ModuleRunner(module).run(arguments, at: nil, on: context, mode: mode)
    }

    /// Like `run`, with a thrown error (as the engine reports it) turned into a failed result.
    func outcome<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async -> ModuleResult {
        do { return try await run(module, arguments, mode) } catch {
            return ModuleResult(changed: false, failed: true, message: "\(error)")
        }
    }

    /// Runs a script on the host directly; fails the test on a non-zero exit.
    @discardableResult
    func sh(_ script: String) throws -> String {
        let result = try LabFixture.shared.lab.exec(lab.name, script)
        guard result.status == 0 else { throw KeelError("`\(script)` exited \(result.status) on \(lab.name): \(result.stderr)") }
        return result.stdout
    }

    func read(_ path: String) throws -> String? {
        let result = try LabFixture.shared.lab.exec(lab.name, "cat -- '\(path)'")
        return result.status == 0 ? result.stdout : nil
    }

    /// Every path below root with its type, mode, owner and content hash: equal snapshots mean nothing changed.
    func snapshot() throws -> String {
        try sh("cd \(root) && find . -printf '%p %y %m %u %g %s\\n' | sort && find . -type f -exec sha256sum {} + | sort")
    }

    /// The promise every converging module keeps, checked on the host: check mode predicts a change and
    /// its diff and touches nothing; the real run makes exactly that change; a second run and a second
    /// check report nothing to do. Returns the real run's result.
    @discardableResult
    func expectConverges<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>,
                                    sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> ModuleResult {
        let before = try snapshot()
        let predicted = try await run(module, arguments, .check)
        #expect(predicted.changed, "check mode predicted no change", sourceLocation: sourceLocation)
        #expect(try snapshot() == before, "check mode changed the host", sourceLocation: sourceLocation)
        let real = try await run(module, arguments)
        #expect(real.changed, sourceLocation: sourceLocation)
        #expect(!real.failed, "\(real.message ?? "")", sourceLocation: sourceLocation)
        #expect(real.diffs == predicted.diffs, "the real run's diff differs from the prediction", sourceLocation: sourceLocation)
        #expect(try snapshot() != before, "the real run changed nothing", sourceLocation: sourceLocation)
        let again = try await run(module, arguments)
        #expect(!again.changed, "a second run changed again", sourceLocation: sourceLocation)
        #expect(try await run(module, arguments, .check).changed == false, "check mode on a converged host predicts a change",
                sourceLocation: sourceLocation)
        return real
    }
}

/// One SSH connection per lab host for the whole test process.
actor ConnectionCache {
    private var open: [String: SSHConnection] = [:]

    func connection(for host: LabHost) async throws -> SSHConnection {
        if let existing = open[host.name] { return existing }
        let lab = LabFixture.shared.lab
        var target = SSHTarget(hostName: host.name, address: host.address, port: 22, user: "root", knownHostsFiles: [lab.knownHostsPath])
        target.identityFiles = [lab.clientKeyPath]
        target.identitiesOnly = true
        target.useAgent = false
        target.hostKeyPolicy = .strict
        let connection = try await SSHConnection.connect(target)
        open[host.name] = connection
        return connection
    }
}
