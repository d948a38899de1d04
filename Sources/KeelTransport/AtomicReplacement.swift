import Crypto
import Foundation
import KeelBase

/// The host-side shell lines every file write uses: fill a temporary file next to the destination from
/// stdin, prove it holds exactly the bytes that were sent, and only then rename it over the destination.
///
/// Why the proof: `cat` cannot tell a finished transfer from a cut one. When the controller dies or the
/// connection drops, sshd closes the command's stdin, `cat` sees end of input and succeeds, and a rename
/// would put a truncated file in place (the persistent shell had the same hole, dash running a here-document
/// cut short by end of input; SSHShellRunner now refuses such a request, but writes do not rely on the
/// transport). So the received file's SHA-256 (which covers its length) is compared with
/// the one computed on the controller, inside the same script: no extra round trip, one program more.
/// Without `sha256sum` the script asks `openssl dgst`; with neither it checks the byte count alone (a cut
/// transfer is always short; the bytes that did arrive are protected by SSH's own integrity check).
///
/// Cleanup: an EXIT trap removes the temporary file whenever the script ends before the rename, and
/// HUP, INT, PIPE and TERM are turned into an exit so that trap runs when the shell is signalled too (a
/// dropped connection shows up as end of input, SIGPIPE on the first write to the dead channel, or SIGHUP).
/// A SIGKILL of the remote shell itself can leave a `.keel-tmp.*` file; the destination is untouched.
public struct AtomicReplacement: Sendable {
    /// Exit status of the script when the received content is not what was sent.
    public static let mismatchStatus: Int32 = 66

    public var destination: String
    public var content: Data
    /// Make the destination's directory (with parents) when it is missing.
    public var createParentDirectories: Bool

    public init(destination: String, content: Data, createParentDirectories: Bool = false) {
        self.destination = destination
        self.content = content
        self.createParentDirectories = createParentDirectories
    }

    /// Lines that set `$dest`, `$dir` and `$tmp`, install the cleanup, receive stdin into `$tmp` and verify it.
    /// What follows may work on "$tmp" (attributes, validation), then `commit` renames it into place.
    /// Builtins wherever the shell has them: each program started on the host costs about a millisecond of
    /// its CPU. The temporary name is random from the controller and created exclusively (noclobber), as
    /// mktemp would, with the mode the umask gives a new file.
    public func receive() -> [String] {
        [
            "set -e",
            "dest=\(ShellQuote.quote(destination))",
            #"case $dest in */*) dir=${dest%/*}; dir=${dir:-/};; *) dir=.;; esac"#,
            createParentDirectories ? #"[ -d "$dir" ] || mkdir -p -- "$dir""# : ":",
            #"tmp="$dir/.keel-tmp.\#(Self.randomSuffix())""#,
            #"set -C; : > "$tmp"; set +C"#,
            #"trap 'rm -f -- "$tmp"' EXIT"#,
            Self.signalsExit,
            Self.fill,
        ] + Self.verification(of: content, in: #""$tmp""#)
    }

    /// Fills "$tmp" from stdin, or, when a chain carries the content in its script (ChainedChange), from
    /// the printf format in `$keel_inline_input` with the shell's builtin: no `cat` and no pipe started.
    /// Either way the verification after it checks every byte.
    public static let fill = #"if [ -n "${keel_inline_input+x}" ]; then printf "$keel_inline_input" > "$tmp"; else cat > "$tmp"; fi"#

    /// Whether `script` takes its input from `$keel_inline_input` when that is set: its only reader of
    /// stdin is `fill` (a file write), so the input may travel in the script instead.
    public static func takesInlineInput(_ script: String) -> Bool {
        script.contains(fill)
    }

    /// Makes the signals a dying connection or an interrupted run brings end the script through `exit`, so its
    /// EXIT trap (the cleanup) runs; a plain signal death would skip it.
    public static let signalsExit = "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM"

    /// Lines that end the script with `status` unless the file at `fileWord` (a shell word, e.g. "$tmp")
    /// holds exactly `content`: its SHA-256 when the host has a tool for it, else its byte count.
    public static func verification(of content: Data, in fileWord: String, status: Int32 = mismatchStatus) -> [String] {
        let digest = hexString(SHA256.hash(data: content))
        let size = content.count
        return [
            // The tool is looked up with a builtin; the first field of its output is the hex digest.
            #"if command -v sha256sum >/dev/null 2>&1; then got=$(sha256sum < \#(fileWord)); elif command -v openssl >/dev/null 2>&1; then got=$(openssl dgst -sha256 -r < \#(fileWord)); else got=; fi"#,
            #"got=${got%% *}"#,
            #"if [ -n "$got" ] && [ "$got" = \#(digest) ]; then :; else"#,
            // Measured only here (a mismatch, or no digest tool), to say how much arrived.
            #"  n=$(wc -c < \#(fileWord)); n=$((n))"#,
            #"  if [ -n "$got" ] || [ "$n" -ne \#(size) ]; then"#,
            #"    printf 'the content that arrived is not what was sent (%s of %s bytes, SHA-256 %s, expected %s): the transfer was cut short; nothing was changed\n' "$n" \#(size) "${got:-unknown}" \#(digest) >&2"#,
            "    exit \(status)",
            "  fi",
            "fi",
        ]
    }

    /// Renames the verified temporary file over the destination (atomic within one file system).
    public static let commit = [#"mv -f -- "$tmp" "$dest""#, "trap - EXIT"]

    /// 16 random hex digits for a temporary file's name; from the task's ScriptNonce when the engine set one.
    public static func randomSuffix() -> String {
        if let nonce = ScriptNonce.current { return nonce.next() }
        var generator = SystemRandomNumberGenerator()
        return hexString((0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
