import Foundation
import KeelBase
import KeelTransport
import Synchronization

/// The ScriptNonce of each task run on each host: seeded by the run, the host, the task and how many times
/// it ran there before, so a rehearsal ahead of a task's turn (ChainedChange) builds the very scripts its
/// real apply sends, while two runs, hosts, tasks or attempts never share a temporary file's name.
final class ScriptNonces: Sendable {
    private let run = hexString((0..<8).map { _ in UInt8.random(in: 0...255) })
    private let runs = Mutex<[String: Int]>([:])

    /// The nonce of the task's next run on the host; `claim` counts that run (the real one does, a rehearsal
    /// only looks).
    func nonce(host: String, task key: String, claim: Bool) -> ScriptNonce {
        let id = "\(host)|\(key)"
        let count = runs.withLock { runs in
            let count = runs[id, default: 0]
            if claim { runs[id] = count + 1 }
            return count
        }
        return ScriptNonce(seed: "\(run)|\(id)|\(count)")
    }
}
