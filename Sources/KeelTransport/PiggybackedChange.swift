import Foundation

/// A command that may change the host, and the reads the next tasks' observations start with, in ONE
/// round trip: the change runs first (with its own stdin), then each read in its own subshell, as
/// CommandBatch runs them. On a first run, where every task changes something, this makes a task cost
/// one round trip instead of two (its apply, then the next task's observation).
/// The change's result (status, stdout, stderr, signal) is byte for byte what it would be alone: it runs
/// as `( eval script )` fed the same input, as the persistent shell runs a single request.
public enum PiggybackedChange {
    /// Input up to this size travels with the batch; a bigger one (a file upload) runs alone.
    public static let maximumInput = 64 * 1024

    public struct Outcome: Sendable {
        /// The change's own result.
        public var change: CommandResult
        /// The reads' results, in order; nil when they could not be read back (the caller then keeps none).
        public var reads: [CommandResult]?
    }

    /// Runs `script` (fed `stdin`), then `reads`, all with `become`, in one exchange. The change is never
    /// run twice: when the batch's output cannot be split, its result is recovered from the raw output
    /// if the batch ended inside the change (nothing after it ran), or a transport error says so.
    public static func run(_ script: String, stdin: Data?, then reads: [String], become: Become?,
                           on connection: any Connection) async throws -> Outcome {
        let marker = CommandBatch.newMarker()
        let scripts = [script] + reads
        let batch = CommandBatch.script(scripts, marker: marker, firstReadsInput: !(stdin?.isEmpty ?? true))
        let result = try await connection.run(batch, stdin: stdin, become: become)
        let results = CommandBatch.parse(stdout: result.stdout, stderr: result.stderr, marker: marker, count: scripts.count)
        guard let change = results.first else {
            // No marker at all: the batch ended while the change ran (it stopped its own shell) or before
            // it (become refused): what the host said is the change's answer, as it would be alone.
            let markerBytes = Data(marker.utf8)
            if result.stdout.range(of: markerBytes) == nil, result.stderr.range(of: markerBytes) == nil {
                return Outcome(change: result, reads: nil)
            }
            throw TransportError.channelFailed(host: connection.hostName,
                detail: "a command ran, but its result could not be read back from the batch it was sent in (status \(result.status))")
        }
        connection.counters?.recordBatchedCommands(results.count - 1)
        return Outcome(change: change, reads: results.count == scripts.count && result.status == 0 ? Array(results.dropFirst()) : nil)
    }
}
