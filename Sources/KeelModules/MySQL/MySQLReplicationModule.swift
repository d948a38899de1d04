import Foundation
import KeelBase
import OrderedCollections

/// `mysql_replication` (community.mysql): reads a server's primary or replica status, points a replica at
/// its primary (changeprimary), and starts or stops replication. The reset modes are refused.
public struct MySQLReplicationModule: Module {
    public static let name = "mysql_replication"
    public static let aliases = ["community.mysql.mysql_replication"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["connection_name", "channel"]])
    /// The collection does not support check mode: ansible-playbook skips the task in a check run.
    public static let supportsCheckMode = false
    public static let documentation = ModuleDocumentation(
        summary: "Read MySQL/MariaDB replication status, start or stop replication (through the mysql client)",
        description: """
            Compatible with community.mysql.mysql_replication for modes getprimary, getreplica, changeprimary, startreplica and \
            stopreplica. \
            getprimary returns SHOW MASTER STATUS's columns (File, Position, ...) and Is_Primary; getreplica returns SHOW \
            REPLICA/SLAVE STATUS's columns and Is_Replica.
            """,
        examples: """
            - community.mysql.mysql_replication:
                mode: getprimary
              register: primary
            """,
        deviations: [
            "Modes resetprimary, resetreplica, resetreplicaall and changereplication are refused.",
            "changeprimary writes CHANGE MASTER TO with the MASTER_* names (MariaDB, MySQL before 8.4); values are quoted (the collection pastes them between quotes as they are); queries shows the password as ********.",
            "Status values that are digits are returned as integers, NULL as null; every other value is a string (the driver types columns by their SQL type).",
            "Like the collection, no check mode: a check run skips the task.",
        ])

    public struct Arguments: ModuleArguments, MySQLConnectionArguments {
        @Option("mode", .string, default: "getreplica", choices: ["getprimary", "getreplica", "changeprimary", "stopreplica", "startreplica", "resetprimary", "resetreplica", "resetreplicaall", "changereplication"].map(Value.string), help: "What to do.") var mode: String
        @Option("connection_name", .string, help: "MariaDB multi-source connection name.") var connection_name: String?
        @Option("channel", .string, help: "MySQL replication channel.") var channel: String?
        @Option("fail_on_error", .bool, default: false, help: "Fail when START/STOP fails (else: not changed).") var fail_on_error: Bool
        @Option("primary_host", .string, aliases: ["master_host"], help: "changeprimary: MASTER_HOST.") var primary_host: String?
        @Option("primary_user", .string, aliases: ["master_user"], help: "changeprimary: MASTER_USER.") var primary_user: String?
        @Option("primary_password", .string, aliases: ["master_password"], noLog: true, help: "changeprimary: MASTER_PASSWORD.") var primary_password: String?
        @Option("primary_port", .int, aliases: ["master_port"], help: "changeprimary: MASTER_PORT.") var primary_port: Int?
        @Option("primary_log_file", .string, aliases: ["master_log_file"], help: "changeprimary: MASTER_LOG_FILE.") var primary_log_file: String?
        @Option("primary_log_pos", .int, aliases: ["master_log_pos"], help: "changeprimary: MASTER_LOG_POS.") var primary_log_pos: Int?
        @Option("primary_auto_position", .bool, default: false, aliases: ["master_auto_position"], help: "changeprimary: MASTER_AUTO_POSITION.") var primary_auto_position: Bool
        @Option("primary_use_gtid", .string, choices: ["current_pos", "replica_pos", "disabled"].map(Value.string), aliases: ["master_use_gtid"], help: "changeprimary: MASTER_USE_GTID (MariaDB).") var primary_use_gtid: String?
        @Option("primary_connect_retry", .int, aliases: ["master_connect_retry"], help: "changeprimary: MASTER_CONNECT_RETRY.") var primary_connect_retry: Int?
        @Option("primary_delay", .int, aliases: ["master_delay"], help: "changeprimary: MASTER_DELAY.") var primary_delay: Int?
        @Option("primary_ssl", .bool, aliases: ["master_ssl"], help: "changeprimary: MASTER_SSL.") var primary_ssl: Bool?
        @Option("primary_ssl_ca", .string, aliases: ["master_ssl_ca"], help: "changeprimary: MASTER_SSL_CA.") var primary_ssl_ca: String?
        @Option("primary_ssl_capath", .string, aliases: ["master_ssl_capath"], help: "changeprimary: MASTER_SSL_CAPATH.") var primary_ssl_capath: String?
        @Option("primary_ssl_cert", .string, aliases: ["master_ssl_cert"], help: "changeprimary: MASTER_SSL_CERT.") var primary_ssl_cert: String?
        @Option("primary_ssl_key", .string, aliases: ["master_ssl_key"], help: "changeprimary: MASTER_SSL_KEY.") var primary_ssl_key: String?
        @Option("primary_ssl_cipher", .string, aliases: ["master_ssl_cipher"], help: "changeprimary: MASTER_SSL_CIPHER.") var primary_ssl_cipher: String?
        @Option("primary_ssl_verify_server_cert", .bool, help: "changeprimary: MASTER_SSL_VERIFY_SERVER_CERT.") var primary_ssl_verify_server_cert: Bool?
        @Option("relay_log_file", .string, help: "changeprimary: RELAY_LOG_FILE.") var relay_log_file: String?
        @Option("relay_log_pos", .int, help: "changeprimary: RELAY_LOG_POS.") var relay_log_pos: Int?
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

    public struct State: Equatable, Sendable {
        /// REPLICA (MySQL 8.0.22+, MariaDB 10.5.1+) or SLAVE.
        var term: String
        var status: OrderedDictionary<String, Value>
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: MySQLTarget
        var sql: String
        var failOnError: Bool
        /// The statement as results and plans show it (no password).
        var shown: String? = nil
        var secrets: [String] = []
        public var description: String { shown ?? sql }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard ["getprimary", "getreplica", "changeprimary", "startreplica", "stopreplica"].contains(a.mode) else {
            throw KeelError("\(host.name): mysql_replication: mode \(a.mode) is not supported by Keel", expected: "getprimary, getreplica, changeprimary, startreplica or stopreplica", found: a.mode)
        }
        let client = MySQLClient(target: a.target)
        let version = try await client.lines("SELECT VERSION();\n", on: host, failure: "cannot read the server version").first ?? ""
        let term = Self.usesReplicaTerm(version) ? "REPLICA" : "SLAVE"
        var query: String
        switch a.mode {
        case "getprimary": query = "SHOW MASTER STATUS"
        case "getreplica": query = "SHOW \(term)\(try connection(a)) STATUS\(try channel(a))"
        default: return State(term: term, status: [:])
        }
        let text = try await client.run(query + ";\n", on: host, columnNames: true, failure: "mysql_replication: \(query) failed")
        let lines = text.split(separator: "\n").map(String.init)
        var status: OrderedDictionary<String, Value> = [:]
        if lines.count >= 2 {
            let names = lines[0].split(separator: "\t", omittingEmptySubsequences: false)
            let values = lines[1].split(separator: "\t", omittingEmptySubsequences: false)
            for (name, value) in zip(names, values) {
                let text = String(value)
                status[String(name)] = text == "NULL" ? .null : (!text.isEmpty && text.allSatisfy(\.isNumber) ? Int(text).map(Value.int) ?? .string(text) : .string(text))
            }
        }
        return State(term: term, status: status)
    }

    /// MySQL 8.0.22 and MariaDB 10.5.1 renamed SLAVE to REPLICA.
    static func usesReplicaTerm(_ version: String) -> Bool {
        let numbers = version.split(separator: "-").first?.split(separator: ".").compactMap { Int($0) } ?? []
        guard numbers.count >= 3 else { return false }
        let v = (numbers[0], numbers[1], numbers[2])
        if version.lowercased().contains("mariadb") { return v >= (10, 5, 1) }
        return v >= (8, 0, 22)
    }

    func connection(_ a: Arguments) throws -> String { try a.connection_name.map { " " + (try MySQLQuote.literal($0)) } ?? "" }
    func channel(_ a: Arguments) throws -> String { try a.channel.map { " FOR CHANNEL " + (try MySQLQuote.literal($0)) } ?? "" }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        switch a.mode {
        case "getprimary":
            var values = observed.status
            if values["File"] != nil && values["Position"] != nil { values["Is_Primary"] = .bool(true) }
            else { values = ["Is_Primary": .bool(false), "msg": "Server is not configured as mysql primary. Meaning: Binary logs are disabled"] }
            values["queries"] = .list([.string("SHOW MASTER STATUS")])
            return .unchanged(values: values)
        case "getreplica":
            var values = observed.status
            if values["Slave_IO_Running"] != nil || values["Replica_IO_Running"] != nil { values["Is_Replica"] = .bool(true) }
            else { values = ["Is_Replica": .bool(false), "msg": "Server is not configured as mysql replica"] }
            values["queries"] = .list([])
            return .unchanged(values: values)
        case "changeprimary":
            let (settings, shown) = try changes(a, term: observed.term)
            let head = "CHANGE MASTER\(try connection(a)) TO "
            let sql = head + settings.joined(separator: ",") + (try channel(a))
            let display = head + shown.joined(separator: ",") + (try channel(a))
            return Plan(steps: [Step(target: a.target, sql: sql, failOnError: true, shown: display, secrets: [a.primary_password].compactMap { $0 }.filter { !$0.isEmpty })],
                        values: ["queries": .list([.string(display)])])
        default:
            let verb = a.mode == "startreplica" ? "START" : "STOP"
            let sql = "\(verb) \(observed.term)\(try connection(a))\(try channel(a))"
            return Plan(steps: [Step(target: a.target, sql: sql, failOnError: a.fail_on_error)], values: ["queries": .list([.string(sql)])])
        }
    }

    /// The collection's list of `MASTER_X=value` settings, in its order; the second list hides the password.
    func changes(_ a: Arguments, term: String) throws -> ([String], [String]) {
        var settings: [String] = [], shown: [String] = []
        func add(_ name: String, _ value: String?, quoted: Bool = true, secret: Bool = false) throws {
            guard let value else { return }
            let written = quoted ? try MySQLQuote.literal(value) : value
            settings.append("\(name)=\(written)")
            shown.append("\(name)=\(secret ? "'********'" : written)")
        }
        try add("MASTER_HOST", a.primary_host)
        try add("MASTER_USER", a.primary_user)
        try add("MASTER_PASSWORD", a.primary_password, secret: true)
        try add("MASTER_PORT", a.primary_port.map(String.init), quoted: false)
        try add("MASTER_CONNECT_RETRY", a.primary_connect_retry.map(String.init), quoted: false)
        try add("MASTER_LOG_FILE", a.primary_log_file)
        try add("MASTER_LOG_POS", a.primary_log_pos.map(String.init), quoted: false)
        try add("MASTER_DELAY", a.primary_delay.map(String.init), quoted: false)
        try add("RELAY_LOG_FILE", a.relay_log_file)
        try add("RELAY_LOG_POS", a.relay_log_pos.map(String.init), quoted: false)
        try add("MASTER_SSL", a.primary_ssl.map { $0 ? "1" : "0" }, quoted: false)
        try add("MASTER_SSL_CA", a.primary_ssl_ca)
        try add("MASTER_SSL_CAPATH", a.primary_ssl_capath)
        try add("MASTER_SSL_CERT", a.primary_ssl_cert)
        try add("MASTER_SSL_KEY", a.primary_ssl_key)
        try add("MASTER_SSL_CIPHER", a.primary_ssl_cipher)
        try add("MASTER_SSL_VERIFY_SERVER_CERT", a.primary_ssl_verify_server_cert.map { $0 ? "1" : "0" }, quoted: false)
        if a.primary_auto_position { try add("MASTER_AUTO_POSITION", "1", quoted: false) }
        // MariaDB before 10.5.1 calls replica_pos slave_pos.
        try add("MASTER_USE_GTID", a.primary_use_gtid.map { $0 == "replica_pos" && term == "SLAVE" ? "slave_pos" : $0 }, quoted: false)
        return (settings, shown)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps where step.sql.hasPrefix("CHANGE MASTER") {
            _ = try await MySQLClient(target: step.target).run(step.sql + ";\n", on: host, failure: "mysql_replication: \(step.description) failed", secrets: step.secrets)
            return .changed()
        }
        for step in plan.steps {
            let started = step.sql.hasPrefix("START")
            do {
                // A warning (already running, or not configured) means nothing changed, as in the collection.
                let output = try await MySQLClient(target: step.target).run(step.sql + ";\nSHOW COUNT(*) WARNINGS;\n", on: host, failure: "\(started ? "START" : "STOP") REPLICA failed")
                if output.trimmingCharacters(in: .whitespacesAndNewlines) != "0" {
                    return .unchanged(["msg": .string(started ? "Replica already started (Or cannot be started)" : "Replica already stopped")])
                }
            } catch where !step.failOnError {
                return .unchanged(["msg": .string(started ? "Replica already started (Or cannot be started)" : "Replica already stopped")])
            }
            return .changed(["msg": .string(started ? "Replica started " : "Replica stopped")])
        }
        return .changed()
    }
}
