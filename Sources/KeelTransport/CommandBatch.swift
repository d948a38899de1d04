import Foundation

/// Several scripts run one after another on the host in ONE round trip, each as a request of the persistent
/// shell would run it (`( eval script ) </dev/null`, its own subshell), with its own status, stdout and
/// stderr kept apart byte for byte (in a temporary directory on the host, then sent back framed by length).
/// For read-only observations: the engine batches the observations of the tasks ahead of it.
public enum CommandBatch {
    /// The results in the order of `scripts`; nil when the batch as a whole could not run (no writable
    /// temporary directory, a script that does not parse): the caller then runs the scripts one by one.
    public static func run(_ scripts: [String], become: Become?, on connection: any Connection) async throws -> [CommandResult]? {
        guard !scripts.isEmpty else { return [] }
        let marker = "KEEL_BATCH_" + (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let result = try await connection.run(script(scripts, marker: marker), stdin: nil, become: become)
        guard result.status == 0, let results = parse(result.stdout, marker: marker), results.count == scripts.count else { return nil }
        connection.counters?.recordBatchedCommands(scripts.count - 1)
        return results
    }

    static func script(_ scripts: [String], marker: String) -> String {
        var lines = [#"d=$(mktemp -d "${TMPDIR:-/tmp}/keel-batch.XXXXXX") || exit 97"#, #"trap 'rm -rf "$d"' EXIT"#]
        for (index, script) in scripts.enumerated() {
            lines.append("( eval \(ShellQuote.quote(script)) ) </dev/null >\"$d/o\" 2>\"$d/e\"; s=$?")
            lines.append("printf '%s %d %d %d %d\\n' '\(marker)' \(index) \"$s\" \"$(($(wc -c <\"$d/o\")))\" \"$(($(wc -c <\"$d/e\")))\"; cat \"$d/o\" \"$d/e\"")
        }
        lines.append("exit 0")
        return lines.joined(separator: "\n")
    }

    /// Reads `<marker> index status outLength errLength\n<out><err>` records.
    static func parse(_ output: Data, marker: String) -> [CommandResult]? {
        var results: [CommandResult] = []
        var position = output.startIndex
        let prefix = Data((marker + " ").utf8)
        while position < output.endIndex {
            guard output[position...].starts(with: prefix),
                  let lineEnd = output[position...].firstIndex(of: 0x0A) else { return nil }
            let fields = String(decoding: output[(position + prefix.count)..<lineEnd], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
            guard fields.count == 4, fields[0] == results.count, fields[2] >= 0, fields[3] >= 0 else { return nil }
            let outStart = lineEnd + 1
            let errStart = outStart + fields[2]
            let end = errStart + fields[3]
            guard end <= output.endIndex else { return nil }
            let status = Int32(fields[1])
            results.append(CommandResult(status: status, stdout: Data(output[outStart..<errStart]), stderr: Data(output[errStart..<end]),
                                         signal: status > 128 ? SSHShellRunner.signalName(status - 128) : nil))
            position = end
        }
        return results
    }
}
