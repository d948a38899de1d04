import CLibSSH2
import KeelBase
import Foundation

/// The fast path: one long-lived `/bin/sh` per session reading requests on its stdin. Each request runs
/// the script in a background subshell (so it can be stopped with everything it started), so `cd`,
/// variables and `exit` stay contained, then prints a per-session
/// random marker with the exit status on stdout and the marker on stderr. Everything before the markers is
/// the command's output, byte for byte. This skips what an exec channel costs per command (a channel
/// open, and sshd forking the user's login shell, which may read a slow ~/.bashrc).
/// Input for the command travels base64-encoded inside the request line, so the shell never has to read
/// raw data from its own stdin (dash reads ahead, which would swallow it). Big inputs take an exec channel.
final class SSHShellRunner {
    static let maxInlineInput = 256 * 1024

    private let core: SSHSessionCore
    private var channel: OpaquePointer?
    private var pendingOut = Data()
    private var pendingErr = Data()
    private let nonce: String
    private var counter = 0
    /// Reused for every read: allocating (and faulting in) 64 KiB per read was a visible share of Keel's CPU.
    private var readBuffer = [UInt8](repeating: 0, count: 65536)

    init(core: SSHSessionCore) {
        self.core = core
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        nonce = "__KEEL_" + hexString(bytes)
    }

    func run(_ script: String, stdin: Data?, cancellation: CommandCancellation? = nil) throws -> CommandResult {
        let channel = try openIfNeeded()
        counter += 1
        let marker = "\(nonce)_\(counter)"
        // The command runs as a background subshell so its pid is known (reported on stderr first) and it
        // can be stopped (timeout, Ctrl-C) with everything it started; `wait` gives its exit status. A
        // subshell, not a new /bin/sh: exec'ing a shell (or setsid) per command cost milliseconds per task,
        // and a script in argv would show in process lists and match its own `pkill -f`.
        let pidTag = "\(nonce)_pid_\(counter)"   // must not contain the marker, which is searched for on stderr
        let request = SSHShellRunner.request(script, stdin: stdin, marker: marker, pidTag: pidTag)
        do {
            try write(request, to: channel)
            var stop = StopState(cancellation: cancellation, pidTag: pidTag)
            let (out, status) = try readUntilMarker(marker, stream: 0, channel: channel, withStatus: true, stop: &stop)
            var (err, _) = try readUntilMarker(marker, stream: 1, channel: channel, withStatus: false, stop: &stop)
            SSHShellRunner.removePidLine(from: &err, tag: pidTag)
            if stop.requested { throw CancellationError() }
            return CommandResult(status: status, stdout: out, stderr: err,
                                 signal: status > 128 ? SSHShellRunner.signalName(status - 128) : nil)
        } catch let error as ShellGone {
            discard()
            if cancellation?.isCancelled == true { throw CancellationError() }
            throw TransportError.channelFailed(host: core.host, detail: "the remote shell exited while running the command (\(error.detail))")
        }
    }

    /// Where stopping a cancelled command stands: noticed, asked (TERM sent), insisted (KILL sent);
    /// past that the shell is given up on and the next command starts a new one.
    struct StopState {
        let cancellation: CommandCancellation?
        let pidTag: String
        var noticed: Date?
        var signalled: Date?
        var killed: Date?
        var requested: Bool { noticed != nil }

        init(cancellation: CommandCancellation?, pidTag: String) {
            self.cancellation = cancellation
            self.pidTag = pidTag
        }
    }

    /// Called between reads: once cancelled, signals the command's process tree (TERM, then KILL two
    /// seconds later) over a channel of its own, and gives up on the shell if even that does not end it.
    private func checkStop(_ stop: inout StopState, channel: OpaquePointer) throws {
        guard let cancellation = stop.cancellation, cancellation.isCancelled else { return }
        let now = Date()
        if stop.noticed == nil { stop.noticed = now }
        _ = try drain(channel)
        guard let pid = SSHShellRunner.reportedPid(in: pendingErr, tag: stop.pidTag) else {
            // The pid line comes right after the command starts; still missing after a while, the shell is stuck.
            if let noticed = stop.noticed, now.timeIntervalSince(noticed) > 3 { throw ShellGone(detail: "cancelled") }
            return
        }
        if stop.signalled == nil {
            stop.signalled = now
            _ = try? SSHCommandRunner(core: core).run(RemoteStop.script(pid: pid, signal: "TERM"), stdin: nil)
        } else if let signalled = stop.signalled, stop.killed == nil, now.timeIntervalSince(signalled) > 2 {
            stop.killed = now
            _ = try? SSHCommandRunner(core: core).run(RemoteStop.script(pid: pid, signal: "KILL"), stdin: nil)
        } else if let killed = stop.killed, now.timeIntervalSince(killed) > 2 {
            throw ShellGone(detail: "the stopped command did not end")
        }
    }

    /// The pid the request reported on stderr ("<tag> 1234").
    static func reportedPid(in buffer: Data, tag: String) -> Int? {
        guard let range = buffer.range(of: Data("\(tag) ".utf8)),
              let end = buffer[range.upperBound...].firstIndex(of: 0x0A) else { return nil }
        return Int(String(decoding: buffer[range.upperBound..<end], as: UTF8.self))
    }

    /// The command's stderr without the pid line the request added to it.
    static func removePidLine(from err: inout Data, tag: String) {
        guard let range = err.range(of: Data("\(tag) ".utf8)),
              let end = err[range.upperBound...].firstIndex(of: 0x0A) else { return }
        err.removeSubrange(range.lowerBound...end)
    }

    struct ShellGone: Error { var detail: String }

    /// The bytes sent to the shell for one command: the script in a subshell, its input, then the status
    /// report that ends with `marker` on both streams. Every request is one brace group, which the shell
    /// parses whole before running any of it: a request cut short (the controller or the connection died
    /// mid-send) is a syntax error, never a command run on part of its input or a job started without its
    /// status report (dash runs `cmd &` as soon as it has read it).
    static func request(_ script: String, stdin: Data?, marker: String, pidTag: String? = nil) -> Data {
        let command = "( eval \(ShellQuote.quote(script)) )"
        let started = pidTag.map { " & printf '%s %d\\n' '\($0)' $! >&2; wait $!" } ?? ""
        let statusReport = "; printf '%s %d\\n' '\(marker)' $?; printf '%s\\n' '\(marker)' >&2"
        var request: Data
        if let stdin, !stdin.isEmpty {
            let delimiter = "KEEL_EOF_\(marker)"
            if SSHShellRunner.fitsHereDocument(stdin, delimiter: delimiter) {
                // Text travels as a here-document: no base64 program to start on the host for each file written.
                // Without the braces dash would end a cut here-document at end of input and run the command on a part.
                request = Data("{ \(command) <<'\(delimiter)'\(started)\(statusReport)\n".utf8)
                request.append(stdin)
                request.append(Data("\(delimiter)\n}\n".utf8))
            } else {
                request = Data("{ printf '%s' '\(stdin.base64EncodedString())' | base64 -d | \(command)\(started)\(statusReport)\n}\n".utf8)
            }
        } else {
            request = Data("{ \(command) </dev/null\(started)\(statusReport)\n}\n".utf8)
        }
        return request
    }

    /// A here-document carries bytes exactly when they hold no NUL (the shell drops it), end with a newline
    /// (the body ends at a line break) and never contain the delimiter.
    static func fitsHereDocument(_ data: Data, delimiter: String) -> Bool {
        guard data.last == 0x0A, !data.contains(0) else { return false }
        return data.range(of: Data(delimiter.utf8)) == nil
    }

    private func openIfNeeded() throws -> OpaquePointer {
        if let channel { return channel }
        if let reason = core.lostReason { throw TransportError.connectionLost(host: core.host, detail: reason) }
        let session = core.session
        guard let opened = try core.retryPointer("opening the shell channel", {
            libssh2_channel_open_ex(session, "session", 7, SSHCommandRunner.windowSize, SSHCommandRunner.packetSize, nil, 0)
        }) else { throw core.lost("opening the shell channel") }
        let command = "exec /bin/sh"
        let rc = try core.retry("starting the shell") {
            libssh2_channel_process_startup(opened, "exec", 4, command, UInt32(command.utf8.count))
        }
        guard rc == 0 else {
            libssh2_channel_free(opened)
            throw TransportError.channelFailed(host: core.host, detail: "cannot start /bin/sh: \(LibSSH2.lastError(session).message)")
        }
        channel = opened
        pendingOut.removeAll()
        pendingErr.removeAll()
        return opened
    }

    private func write(_ data: Data, to channel: OpaquePointer) throws {
        var sent = 0
        while sent < data.count {
            let rc = data.withUnsafeBytes { raw in
                libssh2_channel_write_ex(channel, 0, raw.baseAddress!.assumingMemoryBound(to: CChar.self).advanced(by: sent),
                                         min(data.count - sent, 65536))
            }
            if rc > 0 { sent += rc; continue }
            if rc == Int(LibSSH2.eagain) {
                // The shell may be blocked writing output we have not read yet: read while we wait.
                try drain(channel)
                try core.waitForSocket("sending a command")
                continue
            }
            if libssh2_channel_eof(channel) == 1 { throw ShellGone(detail: "its input closed") }
            throw core.lost("sending a command")
        }
    }

    /// Moves whatever output is ready into the pending buffers; true if anything arrived.
    @discardableResult
    private func drain(_ channel: OpaquePointer) throws -> Bool {
        var any = false
        for stream: Int32 in [0, 1] {
            while true {
                let rc = readBuffer.withUnsafeMutableBytes { raw in
                    let read = libssh2_channel_read_ex(channel, stream, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                    if read > 0 {
                        let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<read])
                        if stream == 0 { pendingOut.append(contentsOf: chunk) } else { pendingErr.append(contentsOf: chunk) }
                    }
                    return read
                }
                if rc > 0 {
                    any = true
                    continue
                }
                if rc < 0 && rc != Int(LibSSH2.eagain) { throw core.lost("reading output") }
                break
            }
        }
        return any
    }

    /// Reads one stream until `marker` appears; returns what came before it (and the status after it).
    private func readUntilMarker(_ marker: String, stream: Int32, channel: OpaquePointer, withStatus: Bool,
                                 stop: inout StopState) throws -> (Data, Int32) {
        let needle = Data(marker.utf8)
        var searchFrom = 0
        while true {
            let buffer = stream == 0 ? pendingOut : pendingErr
            let start = buffer.startIndex + max(0, searchFrom - needle.count)
            if let range = buffer.range(of: needle, in: start..<buffer.endIndex) {
                let body = buffer[buffer.startIndex..<range.lowerBound]
                if let lineEnd = buffer[range.upperBound...].firstIndex(of: 0x0A) {
                    let tail = String(decoding: buffer[range.upperBound..<lineEnd], as: UTF8.self)
                    let status = withStatus ? Int32(tail.trimmingCharacters(in: .whitespaces)) ?? -1 : 0
                    let rest = Data(buffer[(lineEnd + 1)...])
                    if stream == 0 { pendingOut = rest } else { pendingErr = rest }
                    return (Data(body), status)
                }
            }
            searchFrom = buffer.count
            try checkStop(&stop, channel: channel)
            if try drain(channel) { continue }
            if libssh2_channel_eof(channel) == 1 { throw ShellGone(detail: "end of output before the command finished") }
            // Short waits when the command may be cancelled, so a timeout or Ctrl-C is noticed at once.
            try core.waitForSocket("waiting for the command", maxWaitMs: stop.cancellation == nil ? 5000 : 200)
        }
    }

    /// Drops the shell (after it died or the session closes); the next command starts a new one.
    func discard() {
        guard let channel else { return }
        self.channel = nil
        _ = libssh2_channel_send_eof(channel)
        _ = libssh2_channel_close(channel)
        libssh2_channel_free(channel)
    }

    static func signalName(_ number: Int32) -> String? {
        let names: [Int32: String] = [1: "HUP", 2: "INT", 3: "QUIT", 6: "ABRT", 9: "KILL", 13: "PIPE", 14: "ALRM", 15: "TERM"]
        return names[number]
    }
}
