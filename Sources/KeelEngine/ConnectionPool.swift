import Foundation
import KeelTransport

/// The run's open connections, keyed by where and how they reach a host (user, address, port, kind,
/// credentials: `HostConnectionSettings.cacheKey`), not by the host's name: a later play with another
/// remote_user or port gets a connection of its own. Concurrent first uses of one target (hosts that
/// delegate to the same one) share a single connect. Every connection is a PrefetchingConnection, so the
/// engine's lookahead can answer the next tasks' observations in one batch.
actor ConnectionPool {
    private struct Entry {
        let host: String
        let opening: Task<any Connection, any Error>
    }
    private var entries: [String: Entry] = [:]
    /// The counters of connections already closed, per host, so the run's totals keep them.
    private var retired: [String: TransportUsage] = [:]
    private let batching: Bool
    /// The run's --control-persist (nil: the hosts' ssh_args decide) and the binary masters run.
    private let controlPersist: ConnectionPersistence.IdleTime?
    private let masterExecutable: String?

    init(batching: Bool = true, controlPersist: ConnectionPersistence.IdleTime? = nil, masterExecutable: String? = nil) {
        self.batching = batching
        self.controlPersist = controlPersist
        self.masterExecutable = masterExecutable
    }

    /// Where a connection master is used for these settings (docs/connection-persistence.md), nil: connect directly.
    private func persistence(for settings: HostConnectionSettings) -> ConnectionPersistence? {
        guard let masterExecutable else { return nil }
        switch controlPersist ?? settings.controlPersist ?? .off {
        case .off: return nil
        case .unlimited: return ConnectionPersistence(idleSeconds: nil, executable: masterExecutable)
        case .seconds(let seconds): return ConnectionPersistence(idleSeconds: seconds, executable: masterExecutable)
        }
    }

    func connection(host: String, settings: HostConnectionSettings) async throws -> any Connection {
        let reachedBy = settings.cacheKey
        let key = host + "\u{0}" + reachedBy
        if let entry = entries[key] { return try await entry.opening.value }
        let batching = self.batching
        let persistence = persistence(for: settings)
        let opening = Task<any Connection, any Error> {
            PrefetchingConnection(try await settings.connect(persistence: persistence), enabled: batching, cacheKey: reachedBy)
        }
        entries[key] = Entry(host: host, opening: opening)
        do {
            return try await opening.value
        } catch {
            // A failed connect is not kept: the next task may try again (the host may be back).
            if entries[key]?.opening == opening { entries[key] = nil }
            throw error
        }
    }

    /// Closes and forgets the host's connections (meta: reset_connection, or after it became unreachable).
    /// `endKeptSessions` (reset_connection): a connection master's session ends too, so the next task logs in anew.
    func drop(host: String, endKeptSessions: Bool = false) async {
        let dropped = entries.filter { $0.value.host == host }
        for key in dropped.keys { entries[key] = nil }
        for entry in dropped.values {
            guard let connection = try? await entry.opening.value else { continue }
            let kept = (connection as? PrefetchingConnection)?.inner ?? connection
            if endKeptSessions, let kept = kept as? any SessionKeepingConnection { await kept.endKeptSession() }
            await retire(connection, host: entry.host)
        }
    }

    func closeAll() async {
        let all = entries.values
        entries = [:]
        for entry in all { if let connection = try? await entry.opening.value { await retire(connection, host: entry.host) } }
    }

    /// What each host's connections cost over the run (open and closed ones).
    func usage() async -> [String: TransportUsage] {
        var totals = retired
        for entry in entries.values {
            guard let usage = (try? await entry.opening.value)?.counters?.current else { continue }
            totals[entry.host] = (totals[entry.host] ?? TransportUsage()) + usage
        }
        return totals
    }

    private func retire(_ connection: any Connection, host: String) async {
        if let usage = connection.counters?.current { retired[host] = (retired[host] ?? TransportUsage()) + usage }
        await connection.close()
    }
}
