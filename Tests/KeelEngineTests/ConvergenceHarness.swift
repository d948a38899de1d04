import Foundation
import KeelLab
import KeelReport
import Testing
@testable import KeelEngine

/// The check-mode accuracy harness every module's playbook tests can use: on lab hosts, run the playbook
/// with --check and record the predicted (host, task) change set; prove check mode touched nothing by
/// snapshotting the watched paths on every host before and after; run it for real and compare the
/// changed set with the prediction; run it again and expect no change; and --check on the converged hosts
/// must predict nothing.
struct ConvergenceHarness {
    let playbook: PlaybookHarness
    let hosts: [LabHost]
    /// Paths on the hosts the playbook manages (files or directories, listed recursively).
    let watched: [String]
    var inventory = "inventory.ini"
    var lab = Lab()

    struct Runs {
        var predicted: PlaybookHarness.Outcome
        var real: PlaybookHarness.Outcome
        var second: PlaybookHarness.Outcome
    }

    /// Type, mode, owner, group, size and content hash of everything under the watched paths, per host.
    func snapshot() throws -> [String: String] {
        let paths = watched.map { "'\($0)'" }.joined(separator: " ")
        var result: [String: String] = [:]
        for host in hosts {
            let script = "for p in \(paths); do [ -e \"$p\" ] || [ -L \"$p\" ] || { echo \"absent $p\"; continue; }; "
                + "find \"$p\" -printf '%y %m %u %g %s %p %l\\n' | sort; "
                + "find \"$p\" -type f -print0 | sort -z | xargs -0 -r sha256sum; done"
            result[host.name] = try lab.exec(host.name, script).stdout
        }
        return result
    }

    @discardableResult
    func verify(expectChanges: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Runs {
        let before = try snapshot()
        let predicted = await playbook.play(check: true, inventory: [inventory])
        #expect(predicted.status == .ok, "check run failed: \(predicted.failures)", sourceLocation: sourceLocation)
        #expect(try snapshot() == before, "check mode changed a host", sourceLocation: sourceLocation)
        let real = await playbook.play(inventory: [inventory])
        #expect(real.status == .ok, "real run failed: \(real.failures)", sourceLocation: sourceLocation)
        #expect(predicted.changedTasks == real.changedTasks, "check predicted \(predicted.changedTasks.sorted()), the run changed \(real.changedTasks.sorted())",
                sourceLocation: sourceLocation)
        if expectChanges { #expect(!real.changedTasks.isEmpty, "the playbook changed nothing", sourceLocation: sourceLocation) }
        let second = await playbook.play(inventory: [inventory])
        #expect(second.status == .ok, sourceLocation: sourceLocation)
        #expect(second.changedTasks.isEmpty, "not idempotent: \(second.changedTasks.sorted())", sourceLocation: sourceLocation)
        let recheck = await playbook.play(check: true, inventory: [inventory])
        #expect(recheck.changedTasks.isEmpty, "check on converged hosts predicts \(recheck.changedTasks.sorted())", sourceLocation: sourceLocation)
        return Runs(predicted: predicted, real: real, second: second)
    }
}

extension PlaybookHarness.Outcome {
    /// "host task: message" for every failed result, for assertion messages.
    var failures: [String] {
        results.filter { $0.status == .failed || $0.status == .unreachable }.map { "\($0.host) \($0.task.name): \($0.message ?? "")" }
    }
}
