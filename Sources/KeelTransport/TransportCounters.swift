import Foundation
import Synchronization

/// What talking to one host cost: the number that decides a run's time over a real network is
/// `roundTrips` (each one waits a full network round trip), not bytes.
public struct TransportUsage: Sendable, Equatable {
    /// Exchanges with the host: a request sent, its answer awaited.
    public var roundTrips = 0
    /// Scripts run on the host; a batch of observations answered in one round trip counts each of them.
    public var commands = 0
    /// Request bytes (scripts and their input) sent to the host.
    public var bytesSent = 0
    /// Output bytes (stdout and stderr) received from the host.
    public var bytesReceived = 0
    /// The waits for the server while logging in (TCP connect, banner, key exchange, authentication,
    /// jump hosts included), apart from `roundTrips` (which count commands): 0 for a run that reused a
    /// connection master's session (see ConnectionMaster).
    public var loginRoundTrips = 0

    public init(roundTrips: Int = 0, commands: Int = 0, bytesSent: Int = 0, bytesReceived: Int = 0, loginRoundTrips: Int = 0) {
        self.roundTrips = roundTrips
        self.commands = commands
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.loginRoundTrips = loginRoundTrips
    }

    public static func + (a: TransportUsage, b: TransportUsage) -> TransportUsage {
        TransportUsage(roundTrips: a.roundTrips + b.roundTrips, commands: a.commands + b.commands,
                       bytesSent: a.bytesSent + b.bytesSent, bytesReceived: a.bytesReceived + b.bytesReceived,
                       loginRoundTrips: a.loginRoundTrips + b.loginRoundTrips)
    }
}

extension TransportUsage: Codable {}

/// A connection's running totals. Counted where requests leave for the host (SSHConnection.execute,
/// LocalConnection's spawn), so become's own probes count too.
public final class TransportCounters: Sendable {
    private let usage = Mutex(TransportUsage())

    public init() {}

    public var current: TransportUsage { usage.withLock { $0 } }

    /// One exchange with the host carrying `commands` scripts.
    public func recordExchange(sent: Int, received: Int, commands: Int = 1) {
        usage.withLock {
            $0.roundTrips += 1
            $0.commands += commands
            $0.bytesSent += sent
            $0.bytesReceived += received
        }
    }

    /// Scripts that travelled inside an exchange already counted (a batch counts as one command there).
    public func recordBatchedCommands(_ extra: Int) {
        usage.withLock { $0.commands += extra }
    }

    /// The round trips a login waited for.
    public func recordLogin(roundTrips: Int) {
        usage.withLock { $0.loginRoundTrips += roundTrips }
    }

    /// What another process counted for us (a connection master's answer to one request).
    public func record(_ other: TransportUsage) {
        usage.withLock { $0 = $0 + other }
    }

    /// Set by a connection master around one client's request, so that the exchanges the request cost on
    /// the master's shared session (become's probes included) are told back to that client.
    @TaskLocal public static var request: TransportCounters?
}
