import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import KeelTransport
import OrderedCollections

/// A lab host reached over SSH as a playbook would reach it, plus a way to inspect it directly
/// (nsenter through the lab, not through Keel) so tests never trust the module to report on itself.
struct SystemLabHost {
    let lab: LabHost
    let context: HostContext

    static func make(_ prefix: String, flavor: LabFlavor = .light, facts: Value = .dict([:]), cgroupControllers: Bool = false) async throws -> SystemLabHost {
        let host = try await LabFixture.shared.hosts(1, flavor: flavor, prefix: prefix, cgroupControllers: cgroupControllers)[0]
        let lab = LabFixture.shared.lab
        var target = SSHTarget(hostName: host.name, address: host.address, port: 22, user: "root", knownHostsFiles: [lab.knownHostsPath])
        target.identityFiles = [lab.clientKeyPath]
        target.identitiesOnly = true
        target.useAgent = false
        target.hostKeyPolicy = .strict
        let connection = try await SSHConnection.connect(target)
        return SystemLabHost(lab: host, context: HostContext(name: host.name, connection: connection, facts: facts))
    }

    /// Runs a script inside the host directly and returns its stdout; throws when it fails.
    @discardableResult
    func inspect(_ script: String) throws -> String {
        let result = try LabFixture.shared.lab.exec(lab.name, script)
        guard result.status == 0 else { throw KeelError("inspection `\(script)` exited \(result.status): \(result.stderr)") }
        return result.stdout
    }

    func run<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await ModuleRunner(module).run(arguments, at: nil, on: context, mode: mode)
    }

    /// The converge contract every module keeps: check mode predicts a change and changes nothing
    /// (`fingerprint` is read before and after), the real run changes, a second run is unchanged and
    /// check mode then predicts nothing. Returns the real run's result.
    @discardableResult
    func converges<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, fingerprint: String) async throws -> ModuleResult {
        let before = try inspect(fingerprint)
        let predicted = try await run(module, arguments, .check)
        guard predicted.changed else { throw KeelError("check mode predicted no change for \(arguments)") }
        let afterCheck = try inspect(fingerprint)
        guard before == afterCheck else { throw KeelError("check mode changed the host:\n\(before)\n->\n\(afterCheck)") }
        let real = try await run(module, arguments)
        guard real.changed else { throw KeelError("the real run reported no change for \(arguments)") }
        guard real.diffs == predicted.diffs else { throw KeelError("check mode's diff \(predicted.diffs) differs from the real run's \(real.diffs)") }
        let again = try await run(module, arguments)
        guard !again.changed else { throw KeelError("second run changed again: \(again.diffs)") }
        let checkAgain = try await run(module, arguments, .check)
        guard !checkAgain.changed else { throw KeelError("check mode after converging still predicts a change: \(checkAgain.diffs)") }
        return real
    }
}
