import Foundation
import KeelTransport

/// The run's open connections, keyed by where and how they reach a host (user, address, port, kind,
/// credentials: `HostConnectionSettings.cacheKey`), not by the host's name: a later play with another
/// remote_user or port gets a connection of its own. Concurrent first uses of one target (hosts that
/// delegate to the same one) share a single connect.
actor ConnectionPool {
    private struct Entry {
        let host: String
        let opening: Task<any Connection, any Error>
    }
    private var entries: [String: Entry] = [:]

    func connection(host: String, settings: HostConnectionSettings) async throws -> any Connection {
        let key = host + "\u{0}" + settings.cacheKey
        if let entry = entries[key] { return try await entry.opening.value }
        let opening = Task { try await settings.connect() }
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
    func drop(host: String) async {
        let dropped = entries.filter { $0.value.host == host }
        for key in dropped.keys { entries[key] = nil }
        for entry in dropped.values { if let connection = try? await entry.opening.value { await connection.close() } }
    }

    func closeAll() async {
        let all = entries.values
        entries = [:]
        for entry in all { if let connection = try? await entry.opening.value { await connection.close() } }
    }
}
