import Foundation
import KeelBase

/// Several scripts run one after another on the host in ONE round trip, each as a request of the persistent
/// shell would run it (`( eval script ) </dev/null`, its own subshell), with its own status, stdout and
/// stderr kept apart byte for byte: after each script the batch prints a random marker on both streams
/// (with the status on stdout), as SSHShellRunner frames a single request, so nothing but the subshells
/// is started on the host (no temporary files, no wc or cat per script).
/// For read-only observations: the engine batches the observations of the tasks ahead of it.
public enum CommandBatch {
    /// The results in the order of `scripts`; nil when the batch's output cannot be read back (it was cut
    /// short): the caller then runs the scripts one by one.
    /// Path observations among the scripts (PathObservation) are answered in bulk, by one script for all
    /// of them; when that answer does not hold together, they run as scripts of their own in a second batch.
    public static func run(_ scripts: [String], become: Become?, on connection: any Connection) async throws -> [CommandResult]? {
        let observed = scripts.enumerated().compactMap { index, script in PathObservation.recognise(script).map { (index, $0) } }
        guard observed.count >= 2 else { return try await runEach(scripts, become: become, on: connection) }
        let bulkIndices = Set(observed.map(\.0))
        let others = scripts.indices.filter { !bulkIndices.contains($0) }
        guard let results = try await runEach(others.map { scripts[$0] } + [PathObservationBulk.script(observed.map(\.1))],
                                              become: become, on: connection) else { return nil }
        guard let answers = PathObservationBulk.answers(observed.map(\.1), from: results[results.count - 1]) else {
            guard let alone = try await runEach(observed.map { scripts[$0.0] }, become: become, on: connection) else { return nil }
            return merge(others: Array(results.dropLast()), at: others, bulk: alone, at: observed.map(\.0), count: scripts.count)
        }
        connection.counters?.recordBatchedCommands(observed.count - 1)
        return merge(others: Array(results.dropLast()), at: others, bulk: answers, at: observed.map(\.0), count: scripts.count)
    }

    private static func merge(others: [CommandResult], at otherIndices: [Int], bulk: [CommandResult], at bulkIndices: [Int],
                              count: Int) -> [CommandResult] {
        var merged = [CommandResult?](repeating: nil, count: count)
        for (index, result) in zip(otherIndices, others) { merged[index] = result }
        for (index, result) in zip(bulkIndices, bulk) { merged[index] = result }
        return merged.compactMap { $0 }
    }

    /// The scripts as they are, each in its subshell.
    private static func runEach(_ scripts: [String], become: Become?, on connection: any Connection) async throws -> [CommandResult]? {
        guard !scripts.isEmpty else { return [] }
        let marker = newMarker()
        let result = try await connection.run(script(scripts, marker: marker), stdin: nil, become: become)
        let results = parse(stdout: result.stdout, stderr: result.stderr, marker: marker, count: scripts.count)
        guard result.status == 0, results.count == scripts.count else { return nil }
        connection.counters?.recordBatchedCommands(scripts.count - 1)
        return results
    }

    /// A marker no script's output contains by chance.
    static func newMarker() -> String {
        "KEEL_BATCH_" + hexString((0..<8).map { _ in UInt8.random(in: 0...255) })
    }

    /// With `firstReadsInput`, the first script reads the batch's own stdin (a change piggybacked with
    /// the reads after it, PiggybackedChange); every other one reads nothing.
    static func script(_ scripts: [String], marker: String, firstReadsInput: Bool = false) -> String {
        var lines: [String] = []
        for (index, script) in scripts.enumerated() {
            let input = index == 0 && firstReadsInput ? "" : " </dev/null"
            lines.append("( eval \(ShellQuote.quote(script)) )\(input); printf '%s %d\\n' '\(marker)_\(index)' $?; printf '%s\\n' '\(marker)_\(index)' >&2")
        }
        lines.append("exit 0")
        return lines.joined(separator: "\n")
    }

    /// Splits both streams at the markers: `<out><marker>_i <status>\n` on stdout, `<err><marker>_i\n` on stderr.
    /// The results of the scripts whose markers are all there, in order (fewer than `count` when cut short).
    static func parse(stdout: Data, stderr: Data, marker: String, count: Int) -> [CommandResult] {
        var results: [CommandResult] = []
        var out = stdout.startIndex, err = stderr.startIndex
        for index in 0..<count {
            let tag = Data("\(marker)_\(index)".utf8)
            guard let outMark = stdout.range(of: tag + Data(" ".utf8), in: out..<stdout.endIndex),
                  let lineEnd = stdout[outMark.upperBound...].firstIndex(of: 0x0A),
                  let status = Int32(String(decoding: stdout[outMark.upperBound..<lineEnd], as: UTF8.self)),
                  let errMark = stderr.range(of: tag + Data("\n".utf8), in: err..<stderr.endIndex) else { return results }
            results.append(CommandResult(status: status, stdout: Data(stdout[out..<outMark.lowerBound]), stderr: Data(stderr[err..<errMark.lowerBound]),
                                         signal: status > 128 ? SSHShellRunner.signalName(status - 128) : nil))
            out = lineEnd + 1
            err = errMark.upperBound
        }
        return results
    }
}
