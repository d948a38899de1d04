import Foundation
import KeelBase
import OrderedCollections

/// `postgresql_db` (community.postgresql): a database exists with the given owner, connection limit,
/// tablespace and comment, or does not exist. Observed with one query through psql on the host; encoding
/// and locales are set at creation and only checked afterwards, as the collection does.
public struct PostgresDBModule: Module {
    public static let name = "postgresql_db"
    public static let aliases = ["community.postgresql.postgresql_db", "community.general.postgresql_db"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Create, change or drop a PostgreSQL database (through psql)",
        description: """
            Compatible with community.postgresql.postgresql_db for state present and absent. Runs `psql` on the host \
            (no Python driver needed): connect as the `postgres` role over the local socket with `become_user: postgres`, or \
            give login_host/login_user/login_password. Names are quoted as identifiers and values as literals.
            """,
        examples: """
            - name: the application's database
              community.postgresql.postgresql_db:
                name: app
                owner: app
                encoding: UTF-8
                lc_collate: C.UTF-8
                lc_ctype: C.UTF-8
                template: template0
              become: true
              become_user: postgres
            - postgresql_db: name=old state=absent force=true
            """,
        deviations: [
            "state rename is refused (use postgresql_query with ALTER DATABASE ... RENAME TO).",
            "dump and restore need target (the collection defaults to DB.sql in the module's working directory); target_opts and dump_extra_args are split into words, each passed as one argument (no shell syntax); check mode reports them as changes (the collection reports ok).",
            "A database whose encoding or locale differs from the task fails in check mode too (the collection predicts a change there, then fails).",
            "executed_commands lists the SQL Keel ran, with values as E'...' literals.",
        ])

    public struct Arguments: ModuleArguments, PostgresConnectionArguments {
        @Option("name", .string, required: true, aliases: ["db"], help: "The database.") var name: String
        @Option("state", choices: DatabaseState.self, default: .present, help: "present: exists as described; absent: dropped; dump: pg_dump into target; restore: load target into it (psql or pg_restore, by target's extension). rename is not supported by Keel.") var state: DatabaseState
        @Option("target", .path, help: "With dump/restore: the file on the host (.sql, .tar, .pgc, .dir, or .sql.gz/.bz2/.xz).") var target: String?
        @Option("target_opts", .string, help: "With dump/restore: more options for pg_dump, pg_restore or psql, space-separated.") var target_opts: String?
        @Option("dump_extra_args", .string, help: "With dump: more options for pg_dump, space-separated.") var dump_extra_args: String?
        @Option("owner", .string, help: "The role that owns it.") var owner: String?
        @Option("template", .string, help: "The template it is created from (template0 to choose another encoding or locale).") var template: String?
        @Option("encoding", .string, help: "Its encoding (UTF-8, SQL_ASCII, ...), at creation; a differing existing database fails.") var encoding: String?
        @Option("lc_collate", .string, help: "LC_COLLATE, at creation; a differing existing database fails.") var lc_collate: String?
        @Option("lc_ctype", .string, help: "LC_CTYPE, at creation; a differing existing database fails.") var lc_ctype: String?
        @Option("conn_limit", .string, help: "Connection limit (-1: none).") var conn_limit: String?
        @Option("tablespace", .string, help: "Its default tablespace.") var tablespace: String?
        @Option("comment", .string, help: "Its comment; an empty string removes it.") var comment: String?
        @Option("force", .bool, default: false, help: "With state=absent, end other sessions on it first (DROP DATABASE ... WITH (FORCE)).") var force: Bool
        @Option("maintenance_db", .string, default: "postgres", help: "The database psql connects to.") var maintenance_db: String
        @Option(PostgresLogin.user) var login_user: String
        @Option(PostgresLogin.password) var login_password: String?
        @Option(PostgresLogin.host) var login_host: String?
        @Option(PostgresLogin.unixSocket) var login_unix_socket: String?
        @Option(PostgresLogin.port) var login_port: Int
        @Option(PostgresLogin.sslMode) var ssl_mode: String
        @Option(PostgresLogin.caCert) var ca_cert: String?
        @Option(PostgresLogin.sessionRole) var session_role: String?
        @Option(PostgresLogin.trustInput) var trust_input: Bool
        public init() {}
    }

    public enum DatabaseState: String, OptionChoice { case present, absent, dump, restore, rename }

    public struct State: Equatable, Sendable {
        /// The database's row (owner, encoding, ...), nil when it does not exist.
        var database: OrderedDictionary<String, Value>?
        /// pg_char_to_encoding of the wanted encoding (-1: unknown name).
        var wantedEncodingID: Int?
    }

    /// SQL statements, run in order through psql (CREATE/DROP DATABASE cannot run in a transaction), or a
    /// dump or restore.
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: PostgresTarget
        var sql: String
        var archive: DatabaseArchive? = nil
        public var description: String {
            guard let archive else { return sql }
            return archive.direction == .dump ? "dump \(archive.database) into \(archive.path)" : "restore \(archive.database) from \(archive.path)"
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if a.state == .rename {
            throw KeelError("\(host.name): postgresql_db: state=rename is not supported by Keel", expected: "present, absent, dump or restore",
                            found: a.state.rawValue, suggestion: nil)
        }
        if a.state == .dump || a.state == .restore { return State(database: nil, wantedEncodingID: nil) }
        let name = try SQLQuote.literal(a.name)
        let sql = """
            SELECT json_build_object('wanted_encoding_id', pg_char_to_encoding(\(try SQLQuote.literal(a.encoding ?? ""))));
            SELECT json_build_object('owner', r.rolname, 'encoding', pg_encoding_to_char(d.encoding), 'encoding_id', d.encoding,
              'lc_collate', d.datcollate, 'lc_ctype', d.datctype, 'conn_limit', d.datconnlimit, 'tablespace', t.spcname,
              'comment', pg_catalog.shobj_description(d.oid, 'pg_database'))
            FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba JOIN pg_tablespace t ON t.oid = d.dattablespace
            WHERE d.datname = \(name);
            """
        let rows = try await PSQL(target: a.target(database: a.maintenance_db)).json(sql, on: host, failure: "cannot read database \(a.name)")
        return State(database: rows.count > 1 ? rows[1].dictValue : nil, wantedEncodingID: rows.first?["wanted_encoding_id"]?.intValue)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let target = a.target(database: a.maintenance_db)
        let ident = try SQLQuote.identifier(a.name)
        if let limit = a.conn_limit, !limit.isEmpty, Int(limit) == nil {
            throw KeelError("\(host.name): postgresql_db: conn_limit must be an integer", expected: "an integer (-1: no limit)", found: limit)
        }
        if a.state == .dump || a.state == .restore {
            guard let path = a.target, !path.isEmpty else {
                throw KeelError("\(host.name): postgresql_db: state=\(a.state.rawValue) needs target", expected: "target: a file path on the host", found: "no target")
            }
            let words = [a.dump_extra_args, a.target_opts].compactMap { $0 }.flatMap { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
            let archive = DatabaseArchive(direction: a.state == .dump ? .dump : .restore, database: a.name, path: path,
                                          options: a.state == .dump ? words : (a.target_opts ?? "").split(whereSeparator: \.isWhitespace).map(String.init),
                                          sessionRole: a.session_role)
            var target = a.target(database: a.name)
            target.sessionRole = nil
            return Plan(steps: [Step(target: target, sql: "", archive: archive)], values: ["db": .string(a.name)])
        }
        var statements: [String] = []
        switch a.state {
        case .absent:
            if observed.database != nil { statements.append("DROP DATABASE \(ident)\(a.force ? " WITH (FORCE)" : "")") }
        case .present:
            if let current = observed.database {
                statements = try alterations(a, current: current, wantedEncodingID: observed.wantedEncodingID, on: host)
            } else {
                statements = try creation(a)
            }
        case .dump, .restore, .rename:
            break
        }
        let values: OrderedDictionary<String, Value> = ["db": .string(a.name), "executed_commands": .list(statements.map(Value.string))]
        guard !statements.isEmpty else { return .unchanged(values: values) }
        let before = observed.database.map { Self.describe(a.name, $0) } ?? ""
        let diff = Diff(label: "database \(a.name)", before: before, after: a.state == .absent ? "" : statements.joined(separator: ";\n") + ";\n")
        return Plan(steps: statements.map { Step(target: target, sql: $0) }, diffs: [diff], values: values)
    }

    func creation(_ a: Arguments) throws -> [String] {
        var sql = "CREATE DATABASE \(try SQLQuote.identifier(a.name))"
        if let owner = a.owner, !owner.isEmpty { sql += " OWNER \(try SQLQuote.identifier(owner))" }
        if let template = a.template, !template.isEmpty { sql += " TEMPLATE \(try SQLQuote.identifier(template))" }
        if let encoding = a.encoding, !encoding.isEmpty { sql += " ENCODING \(try SQLQuote.literal(encoding))" }
        if let collate = a.lc_collate, !collate.isEmpty { sql += " LC_COLLATE \(try SQLQuote.literal(collate))" }
        if let ctype = a.lc_ctype, !ctype.isEmpty { sql += " LC_CTYPE \(try SQLQuote.literal(ctype))" }
        if let tablespace = a.tablespace, !tablespace.isEmpty { sql += " TABLESPACE \(try SQLQuote.identifier(tablespace))" }
        if let limit = a.conn_limit.flatMap({ Int($0) }) { sql += " CONNECTION LIMIT \(limit)" }
        var statements = [sql]
        if let comment = a.comment, !comment.isEmpty { statements.append(try Self.commentStatement(a.name, comment)) }
        return statements
    }

    func alterations(_ a: Arguments, current: OrderedDictionary<String, Value>, wantedEncodingID: Int?, on host: HostContext) throws -> [String] {
        func refuse(_ what: String, _ key: String) -> KeelError {
            KeelError("\(host.name): postgresql_db: changing \(what) of an existing database is not supported",
                      expected: current[key]?.stringValue ?? "", found: "\(what) of the task")
        }
        if let encoding = a.encoding, !encoding.isEmpty, wantedEncodingID != current["encoding_id"]?.intValue { throw refuse("the encoding", "encoding") }
        if let collate = a.lc_collate, !collate.isEmpty, collate != current["lc_collate"]?.stringValue { throw refuse("LC_COLLATE", "lc_collate") }
        if let ctype = a.lc_ctype, !ctype.isEmpty, ctype != current["lc_ctype"]?.stringValue { throw refuse("LC_CTYPE", "lc_ctype") }
        let ident = try SQLQuote.identifier(a.name)
        var statements: [String] = []
        if let owner = a.owner, !owner.isEmpty, owner != current["owner"]?.stringValue {
            statements.append("ALTER DATABASE \(ident) OWNER TO \(try SQLQuote.identifier(owner))")
        }
        if let limit = a.conn_limit.flatMap({ Int($0) }), limit != current["conn_limit"]?.intValue {
            statements.append("ALTER DATABASE \(ident) CONNECTION LIMIT \(limit)")
        }
        if let tablespace = a.tablespace, !tablespace.isEmpty, tablespace != current["tablespace"]?.stringValue {
            statements.append("ALTER DATABASE \(ident) SET TABLESPACE \(try SQLQuote.identifier(tablespace))")
        }
        if let comment = a.comment, comment != (current["comment"]?.stringValue ?? "") {
            statements.append(try Self.commentStatement(a.name, comment))
        }
        return statements
    }

    static func commentStatement(_ database: String, _ comment: String) throws -> String {
        "COMMENT ON DATABASE \(try SQLQuote.identifier(database)) IS \(try comment.isEmpty ? "NULL" : SQLQuote.literal(comment))"
    }

    static func describe(_ name: String, _ row: OrderedDictionary<String, Value>) -> String {
        row.filter { $0.key != "encoding_id" }.map { "\($0.key): \($0.value.isNull ? "" : ($0.value.stringValue ?? "\($0.value.intValue ?? 0)"))" }
            .joined(separator: "\n") + "\n"
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            if let archive = step.archive { return try await archive.run(on: host, target: step.target) }
            _ = try await PSQL(target: step.target).run(step.sql + ";\n", on: host, failure: "postgresql_db: \(step.sql) failed")
        }
        return .changed()
    }
}
