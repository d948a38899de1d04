import Foundation

/// Writes to standard output. Foundation's `FileHandle.write(_:)` traps when the reader has gone away
/// (`keel play --output json | head -1`: EPIPE, SIGPIPE being ignored); the run must go on and finish
/// its work on the hosts, so text nobody reads any more is dropped instead.
public enum StandardOutput {
    public static func write(_ text: String) {
        // write(2) directly: FileHandle's write goes through a dispatch queue per call, a visible cost when
        // a run prints a line for every task and host.
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return   // EPIPE (nobody reads any more) or another error: the rest is dropped
                }
            }
        }
    }
}
