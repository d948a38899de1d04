import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The connection master's wire format on its unix socket: length-prefixed frames (4 bytes, big endian,
/// then the bytes), so scripts, stdin, stdout and stderr travel byte for byte. A message is a JSON header
/// frame, followed for commands by raw frames (stdin; stdout and stderr). Blocking calls: they run on
/// threads of their own (see BlockingCall), never on Swift's cooperative pool.
enum ControlFrames {
    /// Frames larger than this are refused: a corrupt length must not allocate gigabytes.
    static let maxFrame = 1 << 30

    static func write(_ fd: Int32, _ data: Data) throws {
        var length = UInt32(data.count).bigEndian
        var frame = Data(bytes: &length, count: 4)
        frame.append(data)
        try frame.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ControlSocketError.io("write: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }

    static func write<T: Encodable>(_ fd: Int32, json value: T) throws {
        try write(fd, try JSONEncoder().encode(value))
    }

    /// The next frame; nil at a clean end of stream (the peer closed before a new frame).
    static func read(_ fd: Int32) throws -> Data? {
        guard let header = try readExactly(fd, 4, endAllowed: true) else { return nil }
        let length = header.withUnsafeBytes { Int(UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self))) }
        guard length <= maxFrame else { throw ControlSocketError.io("frame of \(length) bytes refused") }
        return try readExactly(fd, length, endAllowed: false) ?? Data()
    }

    static func read<T: Decodable>(_ fd: Int32, json type: T.Type) throws -> T? {
        guard let data = try read(fd) else { return nil }
        do { return try JSONDecoder().decode(type, from: data) }
        catch { throw ControlSocketError.io("unreadable message: \(error)") }
    }

    private static func readExactly(_ fd: Int32, _ count: Int, endAllowed: Bool) throws -> Data? {
        var data = Data(count: count)
        var offset = 0
        while offset < count {
            let n = data.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress! + offset, count - offset, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ControlSocketError.io("read: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                if offset == 0 && endAllowed { return nil }
                throw ControlSocketError.io("the other side closed the socket mid-message")
            }
            offset += n
        }
        return data
    }
}

enum ControlSocketError: Error, CustomStringConvertible {
    case io(String)
    var description: String { switch self { case .io(let detail): return detail } }
}

/// What a client asks a master.
struct ControlRequest: Codable {
    enum Kind: String, Codable {
        /// Opens a client's session: answered once the master's login is done, with its outcome; the
        /// socket then stays open for the client's whole run (the master counts it as a client).
        case hello
        /// Proves the session still answers (one round trip): asked before a run's first command that is
        /// not a read, on a session the run has not seen answer yet.
        case check
        /// Runs one command; a stdin frame follows.
        case run
        /// For `keel connections`: the target and idle time.
        case status
        /// Ends the master (`keel connections --stop`, like ssh -O exit).
        case stop
    }
    var kind: Kind
    /// hello: answer at once, without proving the session (the client checks, or repeats a read, itself).
    var lazy: Bool?
    var script: String?
    var hasStdin = false
    var becomeUser: String?
    var becomeMethod: String?
    var becomeFlags: String?
    var becomeExe: String?

    init(kind: Kind) { self.kind = kind }

    init(script: String, stdin: Data?, become: Become?) {
        kind = .run
        self.script = script
        hasStdin = stdin != nil
        becomeUser = become?.user
        becomeMethod = become?.method
        becomeFlags = become?.flags
        becomeExe = become?.exe
    }

    var become: Become? {
        guard let becomeUser, let becomeMethod else { return nil }
        return Become(user: becomeUser, method: becomeMethod, flags: becomeFlags, exe: becomeExe)
    }
}

/// A master's answer. For `run`, two frames follow: stdout, stderr.
struct ControlAnswer: Codable {
    /// The login's or the command's transport error, as a direct connection would have thrown it.
    var error: TransportError?
    /// Any other failure, as text.
    var failure: String?
    /// The command was stopped because the client cancelled it.
    var cancelled = false
    /// hello, check: the session is no longer usable: connect anew. run: the session died while the
    /// command was sent or awaited; no result (whether it ran is unknown): the master is ending.
    var dead = false
    /// hello: this client's hello got the master's login, so the session is known to answer.
    var fresh: Bool?
    var status: Int32?
    var signal: String?
    /// What the request cost on the master's session (hello: the login, for the client that started it).
    var usage: TransportUsage?
    var target: String?
    var pid: Int32?
    var idleSeconds: Double?
    var persistSeconds: Double?
}
