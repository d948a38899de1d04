import Foundation

/// Files move over the same command channel as everything else (cat on stdin/stdout), so a host needs
/// nothing but /bin/sh and coreutils: no SFTP subsystem, no scp. Uploads land atomically: a temporary file
/// in the destination's directory, then rename.
extension Connection {
    /// Writes `data` to `path` with `mode`, atomically (temp file + rename).
    public func upload(_ data: Data, to path: String, mode: Int = 0o644, become: Become? = nil) async throws {
        let script = """
            set -e
            dest=\(ShellQuote.quote(path))
            tmp=$(mktemp "$(dirname -- "$dest")/.keel-tmp.XXXXXXXX")
            trap 'rm -f -- "$tmp"' EXIT
            cat > "$tmp"
            chmod \(String(mode, radix: 8)) -- "$tmp"
            if [ -d "$dest" ]; then echo "$dest is a directory" >&2; exit 1; fi
            mv -f -- "$tmp" "$dest"
            trap - EXIT
            """
        let result = try await run(script, stdin: data, become: become)
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
