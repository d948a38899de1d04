import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// community.postgresql itself (from the oracle venv, psycopg2 connecting from this machine over TCP) and
/// Keel (psql on the host) on the same server: what one converged, the other finds converged, and the same
/// query gives the same results.
@Suite("postgresql_* against community.postgresql", .serialized) struct PostgresDifferentialTests {
    struct Oracle {
        let login: OrderedDictionary<String, Value>
        func run(_ module: String, _ arguments: OrderedDictionary<String, Value>) throws -> (changed: Bool, failed: Bool, result: Value) {
            var all = arguments
            for (key, value) in login { all[key] = value }
            return try AnsibleOracle.run(module: "community.postgresql." + module, arguments: all)
        }
    }

    func setUp() async throws -> (PostgresLabHost, Oracle) {
        let pg = try await PostgresLabHost.make()
        let password = "oracle-\(pg.unique)"
        _ = try pg.psql("ALTER ROLE postgres PASSWORD '\(password)'")
        return (pg, Oracle(login: ["login_host": .string(pg.host.lab.address), "login_user": "postgres", "login_password": .string(password)]))
    }

    @Test func databasesAndUsersConvergedByOneAreConvergedForTheOther() async throws {
        let (pg, oracle) = try await setUp()
        let db = pg.unique + "_d", user = pg.unique + "_u"
        let dbArgs: OrderedDictionary<String, Value> = ["name": .string(db), "encoding": "UTF-8", "template": "template0", "conn_limit": "3"]
        let created = try oracle.run("postgresql_db", dbArgs)
        #expect(created.changed && !created.failed, "\(created.result)")
        #expect(try await pg.run(PostgresDBModule.self, dbArgs).changed == false, "Keel finds the collection's database converged")

        let userArgs: OrderedDictionary<String, Value> = ["name": .string(user), "password": "first pw", "role_attr_flags": "CREATEDB,LOGIN", "conn_limit": 4]
        let made = try oracle.run("postgresql_user", userArgs)
        #expect(made.changed && !made.failed, "\(made.result)")
        #expect(try await pg.run(PostgresUserModule.self, userArgs).changed == false, "the collection's SCRAM verifier matches the same password")

        var newPassword = userArgs
        newPassword["password"] = "second pw"
        newPassword["role_attr_flags"] = "NOCREATEDB,LOGIN"
        let keelChange = try await pg.run(PostgresUserModule.self, newPassword)
        #expect(keelChange.changed)
        let oracleAgain = try oracle.run("postgresql_user", newPassword)
        #expect(!oracleAgain.changed && !oracleAgain.failed, "the collection finds Keel's password and flags converged: \(oracleAgain.result)")
        #expect(try oracle.run("postgresql_user", userArgs).changed, "and both see a different password as a change")
        #expect(try await pg.run(PostgresUserModule.self, userArgs).changed == false)

        #expect(try await pg.run(PostgresDBModule.self, ["name": .string(db), "state": "absent"]).changed)
        #expect(try oracle.run("postgresql_db", ["name": .string(db), "state": "absent"]).changed == false)
        _ = try pg.psql("DROP ROLE \"\(user)\"")
    }

    @Test func privilegesAndQueriesAgree() async throws {
        let (pg, oracle) = try await setUp()
        let db = pg.unique + "_p", reader = pg.unique + "_r"
        _ = try pg.psql("CREATE ROLE \(reader)")
        _ = try pg.psql("CREATE DATABASE \(db)")
        _ = try pg.psql("CREATE TABLE t(id int, name text, price numeric, ok bool); INSERT INTO t VALUES (1, 'a', 1.5, true), (2, NULL, 3, false)", db: db)
        let grant: OrderedDictionary<String, Value> = ["database": .string(db), "roles": .string(reader), "objs": "ALL_IN_SCHEMA", "privs": "SELECT", "grant_option": true]
        let granted = try oracle.run("postgresql_privs", grant)
        #expect(granted.changed && !granted.failed, "\(granted.result)")
        let keel = try await pg.run(PostgresPrivsModule.self, grant)
        #expect(!keel.changed && !keel.failed, "\(keel.message ?? "")")
        #expect(keel.values["queries"] == granted.result["queries"], "the same statements")
        var revoke = grant
        revoke["state"] = "absent"
        revoke["grant_option"] = nil
        #expect(try await pg.run(PostgresPrivsModule.self, revoke).changed)
        #expect(try oracle.run("postgresql_privs", revoke).changed == false)

        for (query, named) in [("SELECT * FROM t WHERE id >= %(min)s ORDER BY id", ["min": Value.int(1)]), ("UPDATE t SET ok = ok WHERE id = %(min)s", ["min": 9])] {
            let args: OrderedDictionary<String, Value> = ["db": .string(db), "query": .string(query), "named_args": .dict(OrderedDictionary(uniqueKeysWithValues: named.map { ($0.key, $0.value) }))]
            let theirs = try oracle.run("postgresql_query", args)
            let ours = try await pg.run(PostgresQueryModule.self, args)
            #expect(ours.changed == theirs.changed)
            for key in ["query_result", "rowcount", "statusmessage", "query_all_results"] {
                // Ansible prints its result with sorted keys; compare the values, not the column order.
                let keel = (ours.values[key] ?? .null).jsonString(sortedKeys: true), ansible = (theirs.result[key] ?? .null).jsonString(sortedKeys: true)
                #expect(keel == ansible, "\(key): Keel \(keel), Ansible \(ansible)")
            }
        }
        _ = try pg.psql("DROP DATABASE \(db)")
        _ = try pg.psql("DROP ROLE \(reader)")
    }
}
