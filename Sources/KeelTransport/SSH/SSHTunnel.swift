import CLibSSH2
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A ProxyJump hop: a direct-tcpip channel on the jump host's session, spliced to one end of a local
/// socketpair. The next session uses the other end as if it were its TCP socket. Runs as a ticker on the
/// jump session's thread, so the jump session stays single-threaded.
final class SSHTunnel {
    private let core: SSHSessionCore
    private let channel: OpaquePointer
    private let localEnd: Int32
    private var toChannel = Data()     // read from the local end, not yet written to the channel
    private var toLocal = Data()       // read from the channel, not yet written to the local end
    private(set) var finished = false

    /// Opens the channel; returns the tunnel and the socket the next session should use.
    static func open(on core: SSHSessionCore, toHost host: String, port: Int) throws -> (SSHTunnel, Int32) {
        let session = core.session
        guard let channel = try core.retryPointer("opening a tunnel to \(host):\(port)", {
            libssh2_channel_direct_tcpip_ex(session, host, Int32(port), "127.0.0.1", 22)
        }) else {
            throw TransportError.connectFailed(host: core.host, address: host, port: port,
                                               reason: "the jump host \(core.host) refused to forward: \(LibSSH2.lastError(session).message)")
        }
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            libssh2_channel_free(channel)
            throw TransportError.connectFailed(host: core.host, address: host, port: port, reason: "socketpair failed")
        }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        return (SSHTunnel(core: core, channel: channel, localEnd: fds[0]), fds[1])
    }

    private init(core: SSHSessionCore, channel: OpaquePointer, localEnd: Int32) {
        self.core = core
        self.channel = channel
        self.localEnd = localEnd
    }

    /// Moves whatever can move without blocking; returns the descriptors to wait on.
    func step() -> [pollfd] {
        guard !finished else { return [] }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var moved = true
        while moved && !finished {
            moved = false
            if toChannel.isEmpty {
                let n = read(localEnd, &buffer, buffer.count)
                if n > 0 { toChannel.append(contentsOf: buffer[0..<n]); moved = true }
                else if n == 0 { finish(); break }           // the inner session closed its socket
            }
            if !toChannel.isEmpty {
                let rc = toChannel.withUnsafeBytes { raw in
                    libssh2_channel_write_ex(channel, 0, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if rc > 0 { toChannel.removeFirst(rc); moved = true }
                else if rc < 0 && rc != Int(LibSSH2.eagain) { finish(); break }
            }
            if toLocal.isEmpty {
                let rc = buffer.withUnsafeMutableBytes { raw in
                    libssh2_channel_read_ex(channel, 0, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if rc > 0 { toLocal.append(contentsOf: buffer[0..<rc]); moved = true }
                else if (rc < 0 && rc != Int(LibSSH2.eagain)) || (rc == 0 && libssh2_channel_eof(channel) == 1) {
                    finish(); break
                }
            }
            if !toLocal.isEmpty {
                let n = toLocal.withUnsafeBytes { raw in write(localEnd, raw.baseAddress!, raw.count) }
                if n > 0 { toLocal.removeFirst(n); moved = true }
            }
        }
        if finished { return [] }
        var localEvents = Int16(0)
        if toChannel.isEmpty { localEvents |= Int16(POLLIN) }
        if !toLocal.isEmpty { localEvents |= Int16(POLLOUT) }
        return [pollfd(fd: localEnd, events: localEvents, revents: 0),
                pollfd(fd: core.socket, events: Int16(POLLIN), revents: 0)]
    }

    /// Ends the tunnel. Only on the session thread (never from deinit, which may run anywhere).
    func finish() {
        guard !finished else { return }
        finished = true
        _ = libssh2_channel_send_eof(channel)
        _ = libssh2_channel_close(channel)
        libssh2_channel_free(channel)
        close(localEnd)
    }
}
