import Foundation
import KeelBase
import OrderedCollections

/// `postgresql_privs` (community.postgresql): roles have (or lack) privileges on objects. Like the
/// collection, Keel lets PostgreSQL decide what changes: observation runs the GRANT/REVOKE statements in a
/// transaction between two snapshots of the type's ACLs and rolls back; a difference is a change, applied
/// by running the same statements and committing.
public struct PostgresPrivsModule: Module {
    public static let name = "postgresql_privs"
    public static let aliases = ["community.postgresql.postgresql_privs", "community.general.postgresql_privs"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Grant or revoke privileges on PostgreSQL objects (through psql)",
        description: """
            Compatible with community.postgresql.postgresql_privs. privs, objs and roles are comma-separated; objs \
            ALL_IN_SCHEMA means every table, sequence, function or procedure of the schema; with type default_privs, objs \
            are TABLES, SEQUENCES, FUNCTIONS, TYPES, SCHEMAS or ALL_DEFAULT. Functions are written with their argument types \
            and `:` between them (`add(int:int)`). Check mode and the change decision come from running the statements in a \
            transaction that is rolled back.
            """,
        examples: """
            - community.postgresql.postgresql_privs:
                database: app
                roles: reader
                type: table
                objs: ALL_IN_SCHEMA
                schema: public
                privs: SELECT
              become: true
              become_user: postgres
            - postgresql_privs: db=app type=database privs=CONNECT roles=reader
            """,
        deviations: [
            "Observation takes the same locks as the GRANT itself for the moment of its rolled-back transaction.",
            "A change is detected on the whole ACL catalog of the type (in the schema for schema-bound types), not only on the named objects.",
        ])

    public struct Arguments: ModuleArguments, PostgresConnectionArguments {
        @Option("login_db", .string, required: true, aliases: ["db", "database"], help: "The database holding the objects (and the one psql connects to).") var login_db: String
        @Option("state", choices: GrantState.self, default: .present, help: "present grants, absent revokes.") var state: GrantState
        @Option("privs", .string, aliases: ["priv"], help: "Privileges, comma-separated (SELECT,INSERT / ALL / CONNECT / USAGE ...). Required except for type group.") var privs: String?
        @Option("type", choices: PrivsStatement.ObjectType.self, default: .table, help: "The kind of objects.") var type: PrivsStatement.ObjectType
        @Option("objs", .string, aliases: ["obj"], help: "Objects, comma-separated; ALL_IN_SCHEMA for every object of the type in schema; for type database the default is login_db.") var objs: String?
        @Option("schema", .string, help: "The schema of tables, sequences, functions, procedures, types and default privileges (default public).") var schema: String?
        @Option("roles", .string, required: true, aliases: ["role"], help: "Roles to grant to or revoke from, comma-separated; PUBLIC for everyone.") var roles: String
        @Option("target_roles", .string, help: "With type default_privs: the roles whose future objects get the privileges (FOR ROLE).") var target_roles: String?
        @Option("grant_option", .bool, aliases: ["admin_option"], help: "true: also WITH GRANT (ADMIN) OPTION; false: revoke that option; unset: leave it.") var grant_option: Bool?
        @Option("fail_on_role", .bool, default: true, help: "Fail when a role does not exist (false: skip it with a warning).") var fail_on_role: Bool
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

    public enum GrantState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var missingRoles: [String]
        var statements: [String]
        /// ACL snapshots around the rolled-back statements (equal: nothing to do).
        var before: String
        var after: String
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: PostgresTarget
        var statements: [String]
        public var description: String { statements.joined(separator: "; ") }
    }

    public init() {}

    /// The task's statement once the roles that do not exist are left out; nil when nothing is to be done.
    static func statement(_ a: Arguments, missingRoles: [String]) throws -> PrivsStatement? {
        var schema = a.schema
        switch a.type {
        case .table, .sequence, .function, .procedure, .type, .default_privs:
            if a.objs == "schemas" || schema == "not-specified" { schema = nil } else { schema = (schema?.isEmpty == false ? schema : "public") }
        default:
            if schema != nil { throw KeelError("postgresql_privs: argument schema is not allowed for type \(a.type.rawValue)") }
        }
        let allInSchema = a.objs == "ALL_IN_SCHEMA"
        if allInSchema, ![.table, .sequence, .function, .procedure].contains(a.type) {
            throw KeelError("postgresql_privs: objs ALL_IN_SCHEMA can be used only for type table, sequence, function or procedure", found: a.type.rawValue)
        }
        var objsText = a.objs ?? ""
        if a.type == .database, objsText.isEmpty { objsText = a.login_db }
        guard !objsText.isEmpty else { throw KeelError("postgresql_privs: argument objs is required for type \(a.type.rawValue)") }
        var privs: [String] = []
        if a.type == .group {
            if a.privs != nil { throw KeelError("postgresql_privs: argument privs is not allowed for type group") }
        } else {
            guard let text = a.privs, !text.isEmpty else { throw KeelError("postgresql_privs: argument privs is required for type \(a.type.rawValue)") }
            for priv in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).uppercased() }) where !privs.contains(priv) {
                guard PrivsStatement.validPrivs.contains(priv) else {
                    throw KeelError("postgresql_privs: invalid privileges specified: \(priv)", expected: PrivsStatement.validPrivs.sorted().joined(separator: ", "), found: priv)
                }
                privs.append(priv)
            }
        }
        var objs: [String]
        if a.type == .default_privs {
            objs = objsText == "ALL_DEFAULT" ? ["FUNCTIONS", "SEQUENCES", "TABLES", "TYPES"]
                : objsText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            for obj in objs {
                guard let valid = PrivsStatement.validDefaultObjects[obj] else {
                    throw KeelError("postgresql_privs: invalid object set specified: \(obj)", expected: "TABLES, SEQUENCES, FUNCTIONS, TYPES, SCHEMAS or ALL_DEFAULT", found: obj)
                }
                guard Set(privs).isSubset(of: valid) else {
                    throw KeelError("postgresql_privs: invalid privilege for \(obj)", expected: valid.sorted().joined(separator: ", "), found: privs.joined(separator: ","))
                }
            }
        } else {
            objs = allInSchema ? [] : objsText.split(separator: ",").map(String.init)
            if [.function, .procedure].contains(a.type) { objs = objs.map { $0.replacingOccurrences(of: ":", with: ",") } }
        }
        let roles = Self.roleNames(a.roles).filter { !missingRoles.contains($0) }
        guard !roles.isEmpty else { return nil }
        return PrivsStatement(type: a.type, present: a.state == .present, privs: privs, objs: objs, allInSchema: allInSchema, schema: schema,
                              roles: roles, targetRoles: a.target_roles.map { $0.split(separator: ",").map(String.init) } ?? [], grantOption: a.grant_option)
    }

    static func roleNames(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let psql = PSQL(target: a.target(database: a.login_db))
        let named = Self.roleNames(a.roles).filter { !PrivsStatement.implicitRoles.contains($0.uppercased()) }
        var missing: [String] = []
        if !named.isEmpty {
            let list = try named.map { try SQLQuote.literal($0) }.joined(separator: ",")
            let rows = try await psql.json("SELECT coalesce(json_agg(r), '[]') FROM unnest(ARRAY[\(list)]::text[]) r WHERE r NOT IN (SELECT rolname FROM pg_catalog.pg_roles);",
                                           on: host, failure: "cannot read roles")
            missing = rows.first?.listValue?.compactMap(\.stringValue) ?? []
            if let first = missing.first, a.fail_on_role {
                throw KeelError("\(host.name): postgresql_privs: role '\(first)' does not exist")
            }
        }
        guard let statement = try Self.statement(a, missingRoles: missing) else {
            return State(missingRoles: missing, statements: [], before: "", after: "")
        }
        let statements = try statement.statements()
        let snapshot = try statement.snapshotQuery()
        let sql = "BEGIN;\n\(snapshot);\n" + statements.map { $0 + ";\n" }.joined() + "\(snapshot);\nROLLBACK;\n"
        let lines = try await psql.run(sql, on: host, failure: "postgresql_privs: \(statements.joined(separator: "; ")) failed")
            .split(separator: "\n").map(String.init)
        return State(missingRoles: missing, statements: statements, before: lines.first ?? "", after: lines.last ?? "")
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        // The collection lists the task's statements as one text, one statement a line.
        let queries = observed.statements.map { $0 + ";" }.joined(separator: "\n")
        var values: OrderedDictionary<String, Value> = ["queries": .list(queries.isEmpty ? [] : [.string(queries)])]
        if !observed.missingRoles.isEmpty {
            values["warnings"] = .list(observed.missingRoles.map { .string("Role '\($0)' does not exist, pass it") })
        }
        guard observed.before != observed.after else { return .unchanged(values: values) }
        let text = observed.statements.map { $0 + ";\n" }.joined()
        return Plan(steps: [Step(target: a.target(database: a.login_db), statements: observed.statements)],
                    diffs: [Diff(label: "privileges in \(a.login_db)", before: "", after: text)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            let sql = "BEGIN;\n" + step.statements.map { $0 + ";\n" }.joined() + "COMMIT;\n"
            _ = try await PSQL(target: step.target).run(sql, on: host, failure: "postgresql_privs: \(step.description) failed")
        }
        return .changed()
    }
}
