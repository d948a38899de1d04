import Foundation

/// Files move over the same command channel as everything else (cat on stdin/stdout), so a host needs
/// nothing but /bin/sh and coreutils: no SFTP subsystem, no scp. Uploads land atomically: a temporary file
/// in the destination's directory, verified against what was sent, then rename (AtomicReplacement).
extension Connection {
    /// Writes `data` to `path` with `mode`, atomically and verified (AtomicReplacement: the received bytes are
    /// checked against what was sent before the rename; a cut transfer leaves the old file and no temporary file).
    public func upload(_ data: Data, to path: String, mode: Int = 0o644, become: Become? = nil) async throws {
        let lines = AtomicReplacement(destination: path, content: data).receive() + [
            "chmod \(String(mode, radix: 8)) -- \"$tmp\"",
            #"if [ -d "$dest" ]; then echo "$dest is a directory" >&2; exit 1; fi"#,
        ] + AtomicReplacement.commit
        let result = try await run(lines.joined(separator: "\n"), stdin: data, become: become)
        guard result.status == 0 else {
            throw TransportError.channelFailed(host: hostName, detail: "upload to \(path) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// Reads the whole file at `path`.
    public func download(_ path: String, become: Become? = nil) async throws -> Data {
        let result = try await run("exec cat -- \(ShellQuote.quote(path))", stdin: nil, become: become)
        guard result.status == 0 else {
            throw TransportError.channelFailed(host: hostName, detail: "download of \(path) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdout
    }
}
