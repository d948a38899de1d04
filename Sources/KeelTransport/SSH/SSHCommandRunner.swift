import CLibSSH2
import Foundation

/// Runs one command on a fresh channel of an open session: many channels share the one TCP connection and
/// the one authentication, so a command costs a channel open and an exec, not a login.
struct SSHCommandRunner {
    let core: SSHSessionCore

    static let windowSize: UInt32 = 2 * 1024 * 1024
    static let packetSize: UInt32 = 32768

    /// Cancelled, the channel is closed (sshd then ends the command's session) and CancellationError thrown.
    func run(_ command: String, stdin: Data?, cancellation: CommandCancellation? = nil) throws -> CommandResult {
        if let reason = core.lostReason { throw TransportError.connectionLost(host: core.host, detail: reason) }
        let session = core.session
        guard let channel = try core.retryPointer("opening a channel", {
            libssh2_channel_open_ex(session, "session", 7, SSHCommandRunner.windowSize, SSHCommandRunner.packetSize, nil, 0)
        }) else {
            throw channelError("opening a channel")
        }
        defer { libssh2_channel_free(channel) }

        let started = try core.retry("starting the command") {
            libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        }
        guard started == 0 else { throw channelError("starting the command") }

        var output = Data(), errors = Data()
        try pump(channel, stdin: stdin ?? Data(), stdout: &output, stderr: &errors, cancellation: cancellation)

        try core.retry("closing the channel") { libssh2_channel_close(channel) }

        try core.retry("closing the channel") { libssh2_channel_wait_closed(channel) }
        let status = libssh2_channel_get_exit_status(channel)
        return CommandResult(status: status, stdout: output, stderr: errors, signal: exitSignal(channel))
    }

    /// Feeds stdin and drains stdout and stderr at the same time until the remote side closes its output.
    private func pump(_ channel: OpaquePointer, stdin: Data, stdout: inout Data, stderr: inout Data,
                      cancellation: CommandCancellation?) throws {
        var sent = 0
        var eofSent = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if cancellation?.isCancelled == true {
                _ = libssh2_channel_close(channel)
                throw CancellationError()
            }
            var progressed = false
            if sent < stdin.count {
                let rc = stdin.withUnsafeBytes { raw -> Int in
                    let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self).advanced(by: sent)
                    return libssh2_channel_write_ex(channel, 0, base, min(stdin.count - sent, 65536))
                }
                if rc > 0 { sent += rc; progressed = true }
                else if rc != Int(LibSSH2.eagain) {
                    // A command that exits without reading all its input is not a broken connection.
                    guard libssh2_channel_eof(channel) == 1 else { throw core.lost("sending input") }
                    sent = stdin.count
                    eofSent = true
                }
            } else if !eofSent {
                let rc = libssh2_channel_send_eof(channel)
                if rc == 0 { eofSent = true; progressed = true }
                else if rc != LibSSH2.eagain { throw core.lost("closing input") }
            }
            for stream: Int32 in [0, 1] {
                while true {
                    let rc = buffer.withUnsafeMutableBytes { raw in
                        libssh2_channel_read_ex(channel, stream, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                    }
                    if rc > 0 {
                        if stream == 0 { stdout.append(contentsOf: buffer[0..<rc]) } else { stderr.append(contentsOf: buffer[0..<rc]) }
                        progressed = true
                        continue
                    }
                    if rc < 0 && rc != Int(LibSSH2.eagain) { throw core.lost("reading output") }
                    break
                }
            }
            if libssh2_channel_eof(channel) == 1 { return }
            if !progressed { try core.waitForSocket("waiting for the command", maxWaitMs: cancellation == nil ? 5000 : 200) }
        }
    }

    private func exitSignal(_ channel: OpaquePointer) -> String? {
        var name: UnsafeMutablePointer<CChar>?
        var nameLength = 0
        guard libssh2_channel_get_exit_signal(channel, &name, &nameLength, nil, nil, nil, nil) == 0, let name else { return nil }
        defer { free(name) }
        return nameLength > 0 ? String(cString: name) : nil
    }

    private func channelError(_ what: String) -> TransportError {
        let (code, message) = LibSSH2.lastError(core.session)
        switch code {
        case Int32(LIBSSH2_ERROR_SOCKET_SEND), Int32(LIBSSH2_ERROR_SOCKET_RECV), Int32(LIBSSH2_ERROR_SOCKET_DISCONNECT),
             Int32(LIBSSH2_ERROR_SOCKET_TIMEOUT), Int32(LIBSSH2_ERROR_TIMEOUT):
            return core.lost(what)
        default:
            return .channelFailed(host: core.host, detail: "\(what): \(message)")
        }
    }
}
