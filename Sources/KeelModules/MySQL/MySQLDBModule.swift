import Foundation
import KeelBase
import OrderedCollections

/// `mysql_db` (community.mysql): databases exist (created with a character set and collation) or do not.
/// Observed with one query through the mysql client on the host; like the collection, an existing
/// database is never altered.
public struct MySQLDBModule: Module {
    public static let name = "mysql_db"
    public static let aliases = ["community.mysql.mysql_db"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Create or drop MySQL/MariaDB databases (through the mysql client)",
        description: """
            Compatible with community.mysql.mysql_db for state present and absent. Runs the `mysql` (or `mariadb`) client on \
            the host, no Python driver needed. Connects as ~/.my.cnf (config_file) says, else as the remote user through the \
            local socket (root on Debian's MariaDB), or as login_user/login_password. As in the collection, encoding and \
            collation apply only when a database is created.
            """,
        examples: """
            - community.mysql.mysql_db:
                name: app
                encoding: utf8mb4
                collation: utf8mb4_unicode_ci
            - mysql_db: name=test state=absent
            """,
        deviations: [
            "state dump and import are refused (run mysqldump or the mysql client with command).",
            "The client reads only config_file when it exists (--defaults-file), else no option file (--no-defaults), as the collection's driver does; login_host localhost connects through the client's default socket (the collection's driver uses TCP unless the option file names a socket).",
            "executed_commands holds the statements Keel ran, names backquoted.",
        ])

    public struct Arguments: ModuleArguments, MySQLConnectionArguments {
        @Option("name", .list(.string), required: true, aliases: ["db"], help: "The database, or a list of them.") var name: [String]
        @Option("state", choices: DatabaseState.self, default: .present, help: "present: exists; absent: dropped. dump and import are not supported by Keel.") var state: DatabaseState
        @Option("encoding", .string, default: "", help: "Character set at creation (utf8mb4).") var encoding: String
        @Option("collation", .string, default: "", help: "Collation at creation (utf8mb4_unicode_ci).") var collation: String
        @Option("target", .path, help: "With dump/import (not supported by Keel).") var target: String?
        @Option("sql_log_bin", .bool, default: true, help: "false: these statements are not written to the binary log.") var sql_log_bin: Bool
        @Option("force", .bool, default: false, help: "dump/import option; accepted.") var force: Bool
        @Option("chdir", .path, help: "dump/import option; accepted.") var chdir: String?
        @Option("config_overrides_defaults", .bool, default: false, help: "Accepted: the client always takes host and port from config_file when it names them.") var config_overrides_defaults: Bool
        @Option(MySQLLogin.user) var login_user: String?
        @Option(MySQLLogin.password) var login_password: String?
        @Option(MySQLLogin.host) var login_host: String
        @Option(MySQLLogin.port) var login_port: Int
        @Option(MySQLLogin.unixSocket) var login_unix_socket: String?
        @Option(MySQLLogin.configFile) var config_file: String
        @Option(MySQLLogin.connectTimeout) var connect_timeout: Int
        @Option(MySQLLogin.clientCert) var client_cert: String?
        @Option(MySQLLogin.clientKey) var client_key: String?
        @Option(MySQLLogin.caCert) var ca_cert: String?
        @Option(MySQLLogin.checkHostname) var check_hostname: Bool?
        @Option(MySQLLogin.checkImplicitAdmin) var check_implicit_admin: Bool
        public init() {}
    }

    public enum DatabaseState: String, OptionChoice { case present, absent, dump, `import` }

    public struct State: Equatable, Sendable {
        /// The task's databases that exist.
        var existing: Set<String>
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: MySQLTarget
        var statements: [String]
        public var description: String { statements.joined(separator: "; ") }
    }

    public init() {}

    func names(_ a: Arguments) -> [String] { a.name.map { $0.trimmingCharacters(in: .whitespaces) } }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard a.state == .present || a.state == .absent else {
            throw KeelError("\(host.name): mysql_db: state=\(a.state.rawValue) is not supported by Keel", expected: "present or absent",
                            found: a.state.rawValue, suggestion: "run mysqldump or the mysql client with the command module")
        }
        if names(a).contains("all") {
            throw KeelError("\(host.name): mysql_db: name is not allowed to equal 'all' unless state equals import, or dump.", expected: "a database name", found: "all")
        }
        guard !names(a).isEmpty else { return State(existing: []) }
        let list = try names(a).map { try MySQLQuote.literal($0) }.joined(separator: ", ")
        let rows = try await MySQLClient(target: a.target).lines(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (\(list));\n", on: host, failure: "cannot read the databases")
        return State(existing: Set(rows))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let names = names(a)
        var statements: [String] = []
        switch a.state {
        case .absent:
            for name in names where observed.existing.contains(name) { statements.append("DROP DATABASE \(try MySQLQuote.identifier(name))") }
        case .present:
            for name in names where !observed.existing.contains(name) {
                var sql = "CREATE DATABASE \(try MySQLQuote.identifier(name))"
                if !a.encoding.isEmpty { sql += " CHARACTER SET \(try MySQLQuote.literal(a.encoding))" }
                if !a.collation.isEmpty { sql += " COLLATE \(try MySQLQuote.literal(a.collation))" }
                statements.append(sql)
            }
        case .dump, .import:
            break
        }
        var values: OrderedDictionary<String, Value> = ["db": .string(names.joined(separator: " ")), "db_list": .list(names.map(Value.string))]
        values["executed_commands"] = .list(statements.map(Value.string))
        guard !statements.isEmpty else { return .unchanged(values: values) }
        let before = names.filter { observed.existing.contains($0) }.map { "database: \($0)\n" }.joined()
        let after = a.state == .absent ? "" : names.map { "database: \($0)\n" }.joined()
        return Plan(steps: [Step(target: a.target, statements: (a.sql_log_bin ? [] : ["SET SQL_LOG_BIN=0"]) + statements)],
                        diffs: [Diff(label: "databases", before: before, after: after)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            _ = try await MySQLClient(target: step.target).run(step.statements.map { $0 + ";\n" }.joined(), on: host, failure: "mysql_db: \(step.description) failed")
        }
        return .changed()
    }
}
