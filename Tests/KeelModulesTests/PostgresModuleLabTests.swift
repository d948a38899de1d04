import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// The community.postgresql modules against a real PostgreSQL 15 on a lab host, inspected with psql.
@Suite("postgresql_* on a real server", .serialized) struct PostgresModuleLabTests {
    @Test func aDatabaseIsCreatedWithItsSettingsThenChangedThenDropped() async throws {
        let pg = try await PostgresLabHost.make()
        let db = pg.unique + "_app", owner = pg.unique + "_owner"
        _ = try pg.psql("CREATE ROLE \(owner)")
        let inspect = "SELECT coalesce(string_agg(d.datname || ' ' || r.rolname || ' ' || pg_encoding_to_char(d.encoding) || ' ' || d.datcollate || ' ' || d.datconnlimit, ''), 'none') FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = '\(db)'"
        let created = try await pg.converges(PostgresDBModule.self, ["name": .string(db), "owner": .string(owner), "encoding": "UTF-8", "lc_collate": "C",
                                                                    "lc_ctype": "C", "template": "template0", "conn_limit": "7"], fingerprint: inspect)
        #expect(try pg.psql(inspect) == "\(db) \(owner) UTF8 C 7")
        #expect(created.values["db"] == .string(db))
        #expect(created.values["executed_commands"] == .list([.string("CREATE DATABASE \"\(db)\" OWNER \"\(owner)\" TEMPLATE \"template0\" ENCODING E'UTF-8' LC_COLLATE E'C' LC_CTYPE E'C' CONNECTION LIMIT 7")]))

        // Owner and limit change in place; a different encoding is refused rather than ignored.
        try await pg.converges(PostgresDBModule.self, ["name": .string(db), "owner": "postgres", "conn_limit": "-1", "comment": "the app"], fingerprint: inspect + " || coalesce((SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '\(db)'), '')")
        #expect(try pg.psql(inspect) == "\(db) postgres UTF8 C -1")
        let refused = await pg.failure(PostgresDBModule.self, ["name": .string(db), "encoding": "LATIN1"])
        #expect(refused?.contains("changing the encoding of an existing database is not supported") == true)

        try await pg.converges(PostgresDBModule.self, ["name": .string(db), "state": "absent"], fingerprint: inspect)
        #expect(try pg.psql(inspect) == "none")
    }

    @Test func aDatabaseIsDumpedAndRestoredByTheTargetsExtension() async throws {
        let pg = try await PostgresLabHost.make()
        let source = pg.unique + "_src"
        _ = try pg.psql("CREATE DATABASE \(source)")
        _ = try pg.psql("CREATE TABLE kept(v text); INSERT INTO kept VALUES ('it''s here')", db: source)
        for file in ["/tmp/\(pg.unique).sql.gz", "/tmp/\(pg.unique).pgc"] {
            let dumped = try await pg.run(PostgresDBModule.self, ["name": .string(source), "state": "dump", "target": .string(file)])
            #expect(dumped.changed && dumped.values["rc"] == 0, "\(dumped)")
            #expect(try pg.host.sh("test -s \(file) && echo yes") == "yes\n")
            let copy = pg.unique + "_copy"
            try await pg.converges(PostgresDBModule.self, ["name": .string(copy)], fingerprint: "SELECT count(*) FROM pg_database WHERE datname = '\(copy)'")
            let restored = try await pg.run(PostgresDBModule.self, ["name": .string(copy), "state": "restore", "target": .string(file)])
            #expect(restored.changed && restored.values["rc"] == 0, "\(restored)")
            #expect(try pg.psql("SELECT v FROM kept", db: copy) == "it's here")
            _ = try pg.psql("DROP DATABASE \(copy)")
        }
        let missing = await pg.failure(PostgresDBModule.self, ["name": .string(source), "state": "restore", "target": "/tmp/none.pgc"])
        #expect(missing?.contains("none.pgc") == true, "\(missing ?? "")")
        _ = try pg.psql("DROP DATABASE \(source)")
    }

    @Test func aDatabaseNameWithQuotesAndSpacesIsOneIdentifier() async throws {
        let pg = try await PostgresLabHost.make()
        let db = pg.unique + " it's \"odd\"; DROP DATABASE postgres"
        let inspect = "SELECT count(*) FROM pg_database WHERE datname = \(try SQLQuote.literal(db))"
        try await pg.converges(PostgresDBModule.self, ["name": .string(db)], fingerprint: inspect)
        #expect(try pg.psql(inspect) == "1")
        try await pg.converges(PostgresDBModule.self, ["name": .string(db), "state": "absent"], fingerprint: inspect)
    }

    @Test func aUserGetsItsPasswordAttributesAndLimitsAndThePasswordIsNeverShown() async throws {
        let pg = try await PostgresLabHost.make()
        let user = pg.unique + "_app", password = "s3cret'\\pw-\(pg.unique)"
        let inspect = "SELECT coalesce((SELECT rolname || ' ' || rolcreatedb || ' ' || rolsuper || ' ' || rolconnlimit || ' ' || coalesce(rolvaliduntil::text, '-') || ' ' || left(coalesce(rolpassword, '-'), 14) FROM pg_authid WHERE rolname = '\(user)'), 'none')"
        let args: OrderedDictionary<String, Value> = ["name": .string(user), "password": .string(password), "role_attr_flags": "CREATEDB,NOSUPERUSER",
                                                       "conn_limit": 5, "expires": "2099-01-01 00:00:00+00"]
        let created = try await pg.converges(PostgresUserModule.self, args, fingerprint: inspect)
        #expect(try pg.psql(inspect) == "\(user) true false 5 2099-01-01 00:00:00+00 SCRAM-SHA-256$")
        #expect(!"\(created)".contains(password), "the password appears in the result")
        #expect(created.values["queries"] == .list([.string("CREATE USER \"\(user)\" WITH ENCRYPTED PASSWORD %(password)s VALID UNTIL %(expires)s CONNECTION LIMIT 5 CREATEDB NOSUPERUSER")]))
        // The password really is the one given: log in with it over TCP (scram-sha-256 in pg_hba.conf).
        #expect(try pg.host.sh("PGPASSWORD=\(ShellQuote.quote(password)) psql -X -q -t -A -h 127.0.0.1 -U \(user) -d postgres -c 'SELECT current_user'") == "\(user)\n")

        // A new password is a change (compared with the stored SCRAM verifier, never sent to check), shown masked.
        var changed = args
        changed["password"] = .string("another-\(pg.unique)")
        let verifier = try pg.psql("SELECT rolpassword FROM pg_authid WHERE rolname = '\(user)'")
        let second = try await pg.converges(PostgresUserModule.self, changed, fingerprint: "SELECT rolpassword FROM pg_authid WHERE rolname = '\(user)'")
        #expect(try pg.psql("SELECT rolpassword FROM pg_authid WHERE rolname = '\(user)'") != verifier)
        #expect(!"\(second)".contains("another-\(pg.unique)"))
        #expect(second.diffs.first?.after.contains("password: ******** (changed)") == true)

        // Session defaults: set, kept, and the unnamed ones reset on request.
        let settings = "SELECT coalesce(array_to_string(rolconfig, ';'), '') FROM pg_roles WHERE rolname = '\(user)'"
        var configured = changed
        configured["configuration"] = ["work_mem": "8MB", "search_path": "app, public"]
        try await pg.converges(PostgresUserModule.self, configured, fingerprint: settings)
        #expect(try pg.psql(settings) == "work_mem=8MB;search_path=\"app, public\"")
        configured["configuration"] = ["work_mem": "8MB"]
        configured["reset_unspecified_configuration"] = true
        try await pg.converges(PostgresUserModule.self, configured, fingerprint: settings)
        #expect(try pg.psql(settings) == "work_mem=8MB")

        // no_password_changes keeps the password but still applies the attributes.
        var keep = changed
        keep["password"] = "ignored"
        keep["no_password_changes"] = true
        keep["role_attr_flags"] = "NOCREATEDB"
        try await pg.converges(PostgresUserModule.self, keep, fingerprint: inspect)
        #expect(try pg.psql(inspect).hasPrefix("\(user) false false 5"))

        try await pg.converges(PostgresUserModule.self, ["name": .string(user), "state": "absent"], fingerprint: inspect)
        #expect(try pg.psql(inspect) == "none")
    }

    @Test func aLoginWithPasswordOverTCPWorksAndAFailureNeverShowsThePassword() async throws {
        var pg = try await PostgresLabHost.make()
        let user = pg.unique + "_owner", password = "tcp-\(pg.unique)"
        try await pg.converges(PostgresUserModule.self, ["name": .string(user), "password": .string(password), "role_attr_flags": "CREATEDB,LOGIN"],
                               fingerprint: "SELECT count(*) FROM pg_roles WHERE rolname = '\(user)'")
        // PostgreSQL 10 and later refuse UNENCRYPTED PASSWORD: the error names the problem, not the password.
        let refused = await pg.failure(PostgresUserModule.self, ["name": .string(user), "password": .string("plain-\(pg.unique)"), "encrypted": false])
        #expect(refused?.contains("UNENCRYPTED") == true, "\(refused ?? "")")
        #expect(refused?.contains("plain-\(pg.unique)") == false)

        // As that role, with its password (on psql's stdin), over TCP, without become.
        pg = PostgresLabHost(host: { var h = pg.host; h.context.become = nil; return h }(), unique: pg.unique)
        let db = pg.unique + "_tcp"
        let login: OrderedDictionary<String, Value> = ["login_host": "127.0.0.1", "login_user": .string(user), "login_password": .string(password)]
        var args: OrderedDictionary<String, Value> = ["name": .string(db)]
        for (k, v) in login { args[k] = v }
        try await pg.converges(PostgresDBModule.self, args, fingerprint: "SELECT coalesce((SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '\(db)'), 'none')")
        #expect(try pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '\(db)'") == user)
        var wrong = args
        wrong["login_password"] = .string("wrong-\(pg.unique)")
        let denied = await pg.failure(PostgresDBModule.self, wrong)
        #expect(denied?.contains("password authentication failed") == true, "\(denied ?? "")")
        #expect(denied?.contains("wrong-\(pg.unique)") == false)

        // autocommit runs what a transaction cannot hold, once, and reports it changed.
        var drop = login
        drop["query"] = .string("DROP DATABASE \"\(db)\"")
        drop["autocommit"] = true
        drop["db"] = "postgres"
        #expect(try await pg.run(PostgresQueryModule.self, drop).changed)
        #expect(try pg.psql("SELECT count(*) FROM pg_database WHERE datname = '\(db)'") == "0")
        _ = try pg.psql("DROP ROLE \"\(user)\"")
    }

    /// login_host `localhost` with a login_unix_socket goes through the socket (peer authentication for
    /// become_user postgres), as community.postgresql connects: geerlingguy.postgresql passes both.
    @Test func localhostWithAUnixSocketUsesTheSocket() async throws {
        let pg = try await PostgresLabHost.make()
        let user = pg.unique + "_sock"
        try await pg.converges(PostgresUserModule.self, ["name": .string(user), "login_host": "localhost", "login_user": "postgres",
                                                         "login_unix_socket": "/var/run/postgresql"],
                               fingerprint: "SELECT count(*) FROM pg_roles WHERE rolname = '\(user)'")
        _ = try pg.psql("DROP ROLE \"\(user)\"")
    }

    @Test func anMD5PasswordIsComparedAsTheCollectionDoes() async throws {
        let pg = try await PostgresLabHost.make()
        let user = pg.unique + "_legacy"
        let hash = PasswordVerifier.md5(password: "legacy", user: user)
        let inspect = "SELECT coalesce((SELECT rolpassword FROM pg_authid WHERE rolname = '\(user)'), 'none')"
        try await pg.converges(PostgresUserModule.self, ["name": .string(user), "password": .string(hash)], fingerprint: inspect)
        #expect(try pg.psql(inspect) == hash)
        // An empty password removes it.
        try await pg.converges(PostgresUserModule.self, ["name": .string(user), "password": ""], fingerprint: inspect + " || coalesce((SELECT rolpassword FROM pg_authid WHERE rolname = '\(user)'), 'null')")
        _ = try pg.psql("DROP ROLE \"\(user)\"")
    }

    @Test func privilegesOnTablesSchemasDatabasesAndDefaultsAreGrantedAndRevoked() async throws {
        let pg = try await PostgresLabHost.make()
        let db = pg.unique + "_db", reader = pg.unique + "_reader"
        _ = try pg.psql("CREATE ROLE \(reader)")
        _ = try pg.psql("CREATE DATABASE \(db)")
        _ = try pg.psql("CREATE SCHEMA app; CREATE TABLE app.a(x int); CREATE TABLE app.b(y int); CREATE SEQUENCE app.s", db: db)
        let tables = "SELECT has_table_privilege('\(reader)', 'app.a', 'SELECT') || ' ' || has_table_privilege('\(reader)', 'app.b', 'SELECT') || ' ' || has_table_privilege('\(reader)', 'app.a', 'SELECT WITH GRANT OPTION')"
        let base: OrderedDictionary<String, Value> = ["database": .string(db), "roles": .string(reader), "type": "table", "objs": "ALL_IN_SCHEMA", "schema": "app", "privs": "SELECT"]
        let granted = try await pg.converges(PostgresPrivsModule.self, base, fingerprint: tables, db: db)
        #expect(try pg.psql(tables, db: db) == "true true false")
        #expect(granted.values["queries"] == .list([.string("GRANT SELECT ON ALL TABLES IN SCHEMA \"app\" TO \"\(reader)\";")]))

        var withOption = base
        withOption["objs"] = "a"
        withOption["grant_option"] = true
        try await pg.converges(PostgresPrivsModule.self, withOption, fingerprint: tables, db: db)
        #expect(try pg.psql(tables, db: db) == "true true true")

        var revoke = base
        revoke["state"] = "absent"
        try await pg.converges(PostgresPrivsModule.self, revoke, fingerprint: tables, db: db)
        #expect(try pg.psql(tables, db: db) == "false false false")

        let schema = "SELECT has_schema_privilege('\(reader)', 'app', 'USAGE')"
        try await pg.converges(PostgresPrivsModule.self, ["db": .string(db), "roles": .string(reader), "type": "schema", "objs": "app", "privs": "USAGE"], fingerprint: schema, db: db)
        #expect(try pg.psql(schema, db: db) == "t")

        let connect = "SELECT datacl::text FROM pg_database WHERE datname = '\(db)'"
        try await pg.converges(PostgresPrivsModule.self, ["db": .string(db), "roles": "PUBLIC", "type": "database", "privs": "CONNECT", "state": "absent"], fingerprint: connect)
        #expect(try pg.psql("SELECT has_database_privilege('\(reader)', '\(db)', 'CONNECT')") == "f")

        let defaults = "SELECT coalesce(string_agg(defaclacl::text, ','), '') FROM pg_default_acl"
        try await pg.converges(PostgresPrivsModule.self, ["db": .string(db), "roles": .string(reader), "type": "default_privs", "objs": "TABLES,SEQUENCES", "schema": "app", "privs": "SELECT"], fingerprint: defaults, db: db)
        _ = try pg.psql("CREATE TABLE app.c(z int)", db: db)
        #expect(try pg.psql("SELECT has_table_privilege('\(reader)', 'app.c', 'SELECT')", db: db) == "t")

        _ = try pg.psql("CREATE FUNCTION app.add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b'", db: db)
        let execute = "SELECT has_function_privilege('\(reader)', 'app.add(int, int)', 'EXECUTE WITH GRANT OPTION')"
        try await pg.converges(PostgresPrivsModule.self, ["db": .string(db), "roles": .string(reader), "type": "function", "objs": "add(int:int)", "schema": "app",
                                                          "privs": "EXECUTE", "grant_option": true], fingerprint: execute, db: db)
        #expect(try pg.psql(execute, db: db) == "t")

        let group = pg.unique + "_group"
        _ = try pg.psql("CREATE ROLE \(group)")
        let member = "SELECT coalesce((SELECT admin_option::text FROM pg_auth_members WHERE roleid = '\(group)'::regrole AND member = '\(reader)'::regrole), 'none')"
        try await pg.converges(PostgresPrivsModule.self, ["db": .string(db), "roles": .string(reader), "type": "group", "objs": .string(group), "admin_option": true],
                               fingerprint: member)
        #expect(try pg.psql(member) == "true")
        try await pg.converges(PostgresPrivsModule.self, ["db": .string(db), "roles": .string(reader), "type": "group", "objs": .string(group), "state": "absent"],
                               fingerprint: member)
        #expect(try pg.psql(member) == "none")
        _ = try pg.psql("DROP ROLE \(group)")

        let missing = await pg.failure(PostgresPrivsModule.self, ["db": .string(db), "roles": .string("nobody_\(pg.unique)"), "objs": "a", "schema": "app", "privs": "SELECT"])
        #expect(missing?.contains("role 'nobody_\(pg.unique)' does not exist") == true)
        _ = try pg.psql("DROP DATABASE \(db)")
        _ = try pg.psql("DROP ROLE \(reader)")
    }

    @Test func queriesReturnTypedRowsAndReportChangesByTheirStatus() async throws {
        let pg = try await PostgresLabHost.make()
        let db = pg.unique + "_q"
        _ = try pg.psql("CREATE DATABASE \(db)")
        let tables = "SELECT count(*) FROM pg_tables WHERE tablename = 'items'"
        let createArgs: OrderedDictionary<String, Value> = ["db": .string(db), "query": "CREATE TABLE items(id int, name text, price numeric, ok bool, doc jsonb)"]
        #expect(try await pg.run(PostgresQueryModule.self, createArgs, .check).changed)
        #expect(try pg.psql(tables, db: db) == "0", "check mode rolled the CREATE TABLE back")
        let create = try await pg.run(PostgresQueryModule.self, createArgs)
        #expect(create.changed && create.values["statusmessage"] == "CREATE TABLE")
        #expect(try pg.psql(tables, db: db) == "1")
        let insert: OrderedDictionary<String, Value> = ["db": .string(db), "query": "INSERT INTO items VALUES (%s, %s, %s, %s, %s), (2, NULL, 2.5, false, '[1]')",
                                                         "positional_args": [1, "it's a \\ test", 9.5, true, "{\"a\": 1}"]]
        let predicted = try await pg.run(PostgresQueryModule.self, insert, .check)
        #expect(predicted.changed && predicted.values["rowcount"] == 2)
        #expect(try pg.psql("SELECT count(*) FROM items", db: db) == "0", "check mode rolled the insert back")
        let inserted = try await pg.run(PostgresQueryModule.self, insert)
        #expect(inserted.changed && inserted.values["statusmessage"] == "INSERT 0 2" && inserted.values["rowcount"] == 2)
        #expect(try pg.psql("SELECT count(*) FROM items", db: db) == "2")

        let select = try await pg.run(PostgresQueryModule.self, ["db": .string(db), "query": "SELECT * FROM items WHERE name IS DISTINCT FROM %(skip)s ORDER BY id", "named_args": ["skip": "nothing"]])
        #expect(!select.changed)
        #expect(select.values["statusmessage"] == "SELECT 2" && select.values["rowcount"] == 2)
        #expect(select.values["query_result"] == .list([
            .dict(["id": 1, "name": "it's a \\ test", "price": 9.5, "ok": true, "doc": .dict(["a": 1])]),
            .dict(["id": 2, "name": .null, "price": 2.5, "ok": false, "doc": .list([1])]),
        ]))
        let none = try await pg.run(PostgresQueryModule.self, ["db": .string(db), "query": ["UPDATE items SET ok = true WHERE id = 99", "SELECT 1 AS one WHERE false"]])
        #expect(!none.changed && none.values["query_result"] == .dict([:]))
        #expect(none.values["query_all_results"] == .list([.dict([:]), .dict([:])]))

        let failed = await pg.failure(PostgresQueryModule.self, ["db": .string(db), "query": "SELECT * FROM missing_table"])
        #expect(failed?.contains("relation \"missing_table\" does not exist") == true)
        _ = try pg.psql("DROP DATABASE \(db)")
    }
}
