import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The few unix-domain socket calls a master and its clients need.
enum UnixSocket {
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    enum ConnectOutcome { case connected(Int32), missing, stale }

    /// `.missing` when no socket file is there, `.stale` when one is but nobody listens behind it.
    static func connect(_ path: String) -> ConnectOutcome {
        guard var address = address(path) else { return .missing }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .missing }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc == 0 { return .connected(fd) }
        let reason = errno
        close(fd)
        return reason == ENOENT ? .missing : .stale
    }

    /// A listening socket at `path`, mode 0600; nil when the path is taken (EADDRINUSE) or unusable.
    static func listen(_ path: String) throws -> Int32? {
        guard var address = address(path) else { throw ControlSocketError.io("socket path too long: \(path)") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlSocketError.io("socket: \(String(cString: strerror(errno)))") }
        // The socket is created 0600 from the start: no moment where another user could connect.
        let previous = umask(0o177)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let reason = errno
        umask(previous)
        guard rc == 0 else {
            close(fd)
            if reason == EADDRINUSE { return nil }
            throw ControlSocketError.io("bind \(path): \(String(cString: strerror(reason)))")
        }
        chmod(path, 0o600)
        guard Glibc.listen(fd, 128) == 0 else {
            close(fd)
            throw ControlSocketError.io("listen \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// The socket file's inode, so a master only removes its own socket, never a successor's.
    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return lstat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// Linux's POLLRDHUP (the peer shut down its sending side), which Swift's Glibc module does not export.
    private static let pollRDHUP: Int16 = 0x2000

    /// True when the peer closed its side (or the socket broke), without consuming anything.
    static func peerClosed(_ fd: Int32, waitMs: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN) | pollRDHUP, revents: 0)
        guard poll(&pfd, 1, waitMs) > 0 else { return false }
        return pfd.revents & (Int16(POLLIN) | pollRDHUP | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }
}

/// Runs blocking socket work on a thread of its own, so Swift's small cooperative pool never waits on it.
enum BlockingCall {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }
}
