import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The masters behind the sockets of a directory, for `keel connections` (ssh -O check / -O exit).
public enum ConnectionMasters {
    public struct Status: Sendable {
        public var socket: String
        /// `inventory-name user@address:port`.
        public var target: String
        public var pid: Int32
        /// Seconds since its last client left (0 while a run uses it).
        public var idleSeconds: Double
        /// Its idle limit; nil: none.
        public var persistSeconds: Double?
    }

    /// The live masters; sockets without one behind them (a master killed with -9) are removed.
    public static func list(directory: String = ConnectionPersistence.defaultDirectory) -> [Status] {
        sockets(in: directory).compactMap { path in
            guard let answer = ask(path, .status) else { return nil }
            return Status(socket: path, target: answer.target ?? "?", pid: answer.pid ?? 0,
                          idleSeconds: answer.idleSeconds ?? 0, persistSeconds: answer.persistSeconds)
        }
    }

    /// Ends every master in the directory (their sessions close); returns the ones stopped.
    @discardableResult
    public static func stopAll(directory: String = ConnectionPersistence.defaultDirectory) -> [Status] {
        let running = list(directory: directory)
        for master in running { _ = ask(master.socket, .stop) }
        return running
    }

    /// Ends the master behind one socket; false when none answered.
    static func stop(socket: String) -> Bool {
        ask(socket, .stop) != nil
    }

    private static func sockets(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".sock") }.sorted()
            .map { directory + "/" + $0 }
    }

    private static func ask(_ path: String, _ kind: ControlRequest.Kind) -> ControlAnswer? {
        switch UnixSocket.connect(path) {
        case .missing:
            return nil
        case .stale:
            unlink(path)
            return nil
        case .connected(let fd):
            defer { close(fd) }
            // A master never blocks a status or stop request behind its login, but do not hang on a wedged one.
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard (try? ControlFrames.write(fd, json: ControlRequest(kind: kind))) != nil else { return nil }
            return (try? ControlFrames.read(fd, json: ControlAnswer.self)) ?? nil
        }
    }
}
