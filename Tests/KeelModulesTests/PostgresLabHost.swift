import Foundation
import KeelBase
import KeelTestSupport
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// A light lab host running Debian's PostgreSQL 15 (the cluster installed on this machine by
/// scripts/install-deps.sh, seen through the host's overlay, started with pg_ctlcluster). Modules reach it
/// as a playbook with `become_user: postgres` does: psql over the local socket with peer authentication.
/// Each test works with its own database and role names, so tests can share the server.
struct PostgresLabHost {
    let host: LabModuleHost
    /// A prefix unique to the test (database and role names start with it).
    let unique: String

    static func make() async throws -> PostgresLabHost {
        var host = try await LabModuleHost.make(prefix: "pg")
        // Also listening on the lab address with password logins from the lab (the collection's differential
        // connects from this machine); a server left running with another setting is restarted.
        try host.sh("""
            mkdir -p /etc/postgresql/15/main/conf.d
            echo "listen_addresses = '*'" > /etc/postgresql/15/main/conf.d/keel-lab.conf
            grep -q 198.18.0.0/15 /etc/postgresql/15/main/pg_hba.conf || echo 'host all all 198.18.0.0/15 scram-sha-256' >> /etc/postgresql/15/main/pg_hba.conf
            if pg_ctlcluster 15 main status >/dev/null 2>&1; then
              [ "$(runuser -u postgres -- psql -X -t -A -c 'SHOW listen_addresses')" = '*' ] || pg_ctlcluster 15 main restart
            else pg_ctlcluster 15 main start; fi
            for i in $(seq 1 100); do pg_isready -q && exit 0; sleep 0.1; done; exit 1
            """)
        host.context.become = Become(user: "postgres")
        return PostgresLabHost(host: host, unique: "k" + UUID().uuidString.prefix(6).lowercased())
    }

    func run<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await host.run(module, arguments, mode)
    }

    /// The error a run fails with (nil when it does not fail).
    func failure<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>) async -> String? {
        do {
            let result = try await run(module, arguments)
            return result.failed ? (result.message ?? "failed") : nil
        } catch { return "\(error)" }
    }

    /// psql as postgres directly on the host (not through Keel): unaligned, tuples only.
    func psql(_ sql: String, db: String = "postgres") throws -> String {
        try host.sh("runuser -u postgres -- psql -X -q -t -A -v ON_ERROR_STOP=1 -d \(ShellQuote.quote(db)) -c \(ShellQuote.quote(sql))")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The converging contract on the server: check mode predicts a change and leaves `fingerprint` (a query)
    /// as it was, the real run changes it with the predicted diff, a second run and a second check are ok.
    @discardableResult
    func converges<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, fingerprint: String, db: String = "postgres",
                              sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> ModuleResult {
        let before = try psql(fingerprint, db: db)
        let predicted = try await run(module, arguments, .check)
        #expect(predicted.changed, "check mode predicted no change", sourceLocation: sourceLocation)
        #expect(try psql(fingerprint, db: db) == before, "check mode changed the server", sourceLocation: sourceLocation)
        let real = try await run(module, arguments)
        #expect(real.changed && !real.failed, "\(real.message ?? "")", sourceLocation: sourceLocation)
        #expect(real.diffs == predicted.diffs, "the real run's diff differs from the prediction", sourceLocation: sourceLocation)
        #expect(try psql(fingerprint, db: db) != before, "the real run changed nothing", sourceLocation: sourceLocation)
        let again = try await run(module, arguments)
        #expect(!again.changed && !again.failed, "a second run changed again: \(again.message ?? "")", sourceLocation: sourceLocation)
        #expect(try await run(module, arguments, .check).changed == false, "check mode on a converged server predicts a change",
                sourceLocation: sourceLocation)
        return real
    }
}
