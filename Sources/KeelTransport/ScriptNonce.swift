import Crypto
import Foundation
import KeelBase
import Synchronization

/// Where the random names in a module's scripts (a temporary file's suffix) come from while a task runs.
/// Unset (the default), they are random. The engine sets one seeded by the run, the host, the task and how
/// many times the task ran there before, so the change a task is about to make can be rehearsed ahead of
/// its turn and sent ahead with the very script its own apply will send (ChainedChange); the names still
/// differ between runs, hosts, tasks and attempts, and a rehearsal starts the sequence from the beginning.
public final class ScriptNonce: Sendable {
    @TaskLocal public static var current: ScriptNonce?

    public let seed: String
    private let counter = Mutex(0)

    public init(seed: String) { self.seed = seed }

    /// The same sequence from its start (a rehearsal must not use up the real apply's names).
    public func restarted() -> ScriptNonce { ScriptNonce(seed: seed) }

    /// 16 hex digits, the next of the sequence.
    public func next() -> String {
        let index = counter.withLock { value in
            defer { value += 1 }
            return value
        }
        return String(hexString(SHA256.hash(data: Data("\(seed)|\(index)".utf8))).prefix(16))
    }
}
