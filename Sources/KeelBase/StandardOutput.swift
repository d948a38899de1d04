import Foundation

/// Writes to standard output. Foundation's `FileHandle.write(_:)` traps when the reader has gone away
/// (`keel play --output json | head -1`: EPIPE, SIGPIPE being ignored); the run must go on and finish
/// its work on the hosts, so text nobody reads any more is dropped instead.
public enum StandardOutput {
    public static func write(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }
}
