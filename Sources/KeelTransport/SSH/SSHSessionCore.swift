import CLibSSH2
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One libssh2 session, confined to its SessionThread. Non-blocking libssh2 driven by poll(2): a blocking
/// session would deadlock when the remote fills its stdout window while we are still writing its stdin.
/// `@unchecked Sendable`: the object is handed to closures, but only ever used on its SessionThread.
final class SSHSessionCore: @unchecked Sendable {
    let target: SSHTarget
    private(set) var session: OpaquePointer?
    private(set) var socket: Int32 = -1
    /// Set once the connection is known to be broken; every later call fails fast with the same reason.
    private(set) var lostReason: String?
    /// How long a single wait for the server may last before we give up (handshake/auth phase).
    private var phaseDeadline: Date?
    /// How often the login waited for the server (the TCP connect counts one): its round trips.
    private(set) var loginWaits = 0
    private var loggingIn = false

    init(target: SSHTarget) {
        self.target = target
    }

    // No deinit teardown: libssh2 may only be called on the session thread, and deinit can run anywhere.
    // SSHConnection's close() and deinit end the session there.

    var host: String { target.hostName }

    // MARK: connecting

    /// Opens the TCP connection (or uses `tunnelSocket`), handshakes, verifies the host key, authenticates.
    func connect(tunnelSocket: Int32? = nil) throws {
        precondition(LibSSH2.initialized, "libssh2_init failed")
        socket = try tunnelSocket ?? openSocket()
        loginWaits = 1
        loggingIn = true
        defer { loggingIn = false }
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            throw TransportError.handshakeFailed(host: host, reason: "libssh2 could not allocate a session")
        }
        self.session = session
        libssh2_session_set_blocking(session, 0)
        let known = KnownHosts(files: target.knownHostsFiles)
        let preference = LibSSH2.hostKeyPreference(recorded: known.recordedKeyTypes(host: target.address, port: target.port))
        _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, preference)

        phaseDeadline = Date().addingTimeInterval(target.handshakeTimeout)
        defer { phaseDeadline = nil }
        let rc = try retry("SSH handshake") { libssh2_session_handshake(session, socket) }
        if rc != 0 {
            throw TransportError.handshakeFailed(host: host, reason: LibSSH2.lastError(session).message)
        }
        try verifyHostKey(known)
        try SSHAuthenticator(core: self).authenticate()
        if target.keepaliveInterval > 0 {
            libssh2_keepalive_config(session, 0, UInt32(max(1, target.keepaliveInterval)))
        }
    }

    private func openSocket() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let gai = getaddrinfo(target.address, String(target.port), &hints, &list)
        guard gai == 0, let first = list else {
            throw TransportError.connectFailed(host: host, address: target.address, port: target.port,
                                               reason: String(cString: gai_strerror(gai)))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd < 0 { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var rc = Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            if rc != 0 && errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&pfd, 1, Int32(target.connectTimeout * 1000))
                if ready == 0 {
                    Glibc.close(fd)
                    throw TransportError.timedOut(host: host, operation: "connecting to \(target.address):\(target.port)",
                                                  seconds: target.connectTimeout)
                }
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                rc = soError == 0 ? 0 : -1
                if soError != 0 { errno = soError }
            }
            if rc == 0 {
                SSHSessionCore.tuneSocket(fd)
                return fd
            }
            lastError = String(cString: strerror(errno))
            Glibc.close(fd)
        }
        throw TransportError.connectFailed(host: host, address: target.address, port: target.port, reason: lastError)
    }

    /// No Nagle delay (many small round trips), and the kernel gives up on a peer that stopped answering.
    static func tuneSocket(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        var idle: Int32 = 30, interval: Int32 = 10, count: Int32 = 3, userTimeout: Int32 = 60_000
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &userTimeout, socklen_t(MemoryLayout<Int32>.size))
    }

    /// sshd leaves Nagle on for sessions without a pty, so its small trailing packets (exit status, EOF,
    /// close) wait for our ACK; Linux delays ACKs by 40 ms or more. Quick-ACK mode is not sticky, so it is
    /// re-armed around every wait: this alone takes a command's round trip from ~100 ms to ~1 ms.
    static func acknowledgeQuickly(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private func verifyHostKey(_ known: KnownHosts) throws {
        var length = 0
        var type: Int32 = 0
        guard let raw = libssh2_session_hostkey(session, &length, &type) else {
            throw TransportError.handshakeFailed(host: host, reason: "the server sent no host key")
        }
        let blob = Data(bytes: raw, count: length)
        let key = HostKey(type: LibSSH2.keyType(ofBlob: blob), blob: blob)
        if target.hostKeyPolicy == .off { return }
        switch known.verify(key, host: target.address, port: target.port) {
        case .match:
            return
        case .changed(let recordedAt):
            throw TransportError.hostKeyChanged(host: host, keyType: key.type, fingerprint: key.fingerprint, knownHosts: recordedAt)
        case .revoked(let at):
            throw TransportError.hostKeyChanged(host: host, keyType: key.type, fingerprint: key.fingerprint,
                                                knownHosts: "\(at) (marked @revoked)")
        case .unknown:
            guard target.hostKeyPolicy == .acceptNew, let file = target.knownHostsFiles.first else {
                throw TransportError.hostKeyUnknown(host: host, keyType: key.type, fingerprint: key.fingerprint,
                                                    knownHosts: target.knownHostsFiles)
            }
            try KnownHosts.append(key, host: target.address, port: target.port, to: file)
        }
    }

    // MARK: non-blocking plumbing

    /// Repeats a libssh2 call while it says EAGAIN, sleeping in poll(2) until the socket can move.
    @discardableResult
    func retry(_ operation: String, _ call: () -> Int32) throws -> Int32 {
        while true {
            let rc = call()
            if rc != LibSSH2.eagain { return rc }
            try waitForSocket(operation)
        }
    }

    /// Like `retry`, for libssh2 calls that return a pointer and signal EAGAIN through the last error.
    func retryPointer(_ operation: String, _ call: () -> OpaquePointer?) throws -> OpaquePointer? {
        while true {
            if let pointer = call() { return pointer }
            guard libssh2_session_last_errno(session) == LibSSH2.eagain else { return nil }
            try waitForSocket(operation)
        }
    }

    func waitForSocket(_ operation: String, maxWaitMs: Int32 = 1000) throws {
        if let lostReason { throw TransportError.connectionLost(host: host, detail: lostReason) }
        let directions = libssh2_session_block_directions(session)
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        if events == 0 { events = Int16(POLLIN) }
        if loggingIn && events & Int16(POLLIN) != 0 { loginWaits += 1 }
        var pfd = pollfd(fd: socket, events: events, revents: 0)
        SSHSessionCore.acknowledgeQuickly(socket)
        _ = poll(&pfd, 1, maxWaitMs)
        SSHSessionCore.acknowledgeQuickly(socket)
        if let phaseDeadline, Date() > phaseDeadline {
            throw TransportError.timedOut(host: host, operation: operation, seconds: target.handshakeTimeout)
        }
    }

    /// Records that the connection broke, and returns the error to throw.
    func lost(_ what: String) -> TransportError {
        let detail = "\(what): \(LibSSH2.lastError(session).message)"
        if lostReason == nil { lostReason = detail }
        return .connectionLost(host: host, detail: lostReason ?? detail)
    }

    /// Sends an SSH keepalive if one is due; a failure marks the connection lost.
    func sendKeepalive() {
        guard let session, lostReason == nil else { return }
        var next: Int32 = 0
        let rc = libssh2_keepalive_send(session, &next)
        if rc != 0 && rc != LibSSH2.eagain { _ = lost("keepalive") }
    }

    func teardown() {
        if let session {
            if lostReason == nil {
                // Best effort, bounded: a dead peer must not hang the close.
                phaseDeadline = Date().addingTimeInterval(2)
                _ = try? retry("disconnect") { libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "bye", "") }
            }
            libssh2_session_free(session)
            self.session = nil
        }
        if socket >= 0 {
            Glibc.close(socket)
            socket = -1
        }
    }
}
