import Foundation
import KeelBase
import OrderedCollections

/// `mysql_variables` (community.mysql): a server variable has a value (SET GLOBAL, or SET PERSIST on
/// MySQL 8), compared as the collection compares it (numbers as numbers, 0/1/on/off as OFF/ON for boolean
/// variables); without value, reads it.
public struct MySQLVariablesModule: Module {
    public static let name = "mysql_variables"
    public static let aliases = ["community.mysql.mysql_variables"]
    public static let spec = ArgumentSpec(Arguments.self)
    /// The collection does not support check mode: ansible-playbook skips the task in a check run.
    public static let supportsCheckMode = false
    public static let documentation = ModuleDocumentation(
        summary: "Read or set a MySQL/MariaDB server variable (through the mysql client)",
        description: "Compatible with community.mysql.mysql_variables. SET GLOBAL (mode global), SET PERSIST or SET PERSIST_ONLY (MySQL 8).",
        examples: """
            - community.mysql.mysql_variables:
                variable: max_connections
                value: 200
            """,
        deviations: [
            "Like the collection, no check mode: a check run skips the task.",
            "The value is written as a number when it reads as one, else as a quoted string (the collection's driver does the same).",
        ])

    public struct Arguments: ModuleArguments, MySQLConnectionArguments {
        @Option("variable", .string, required: true, help: "The variable's name.") var variable: String
        @Option("value", .string, help: "The value; without it the module only reads the variable (in msg).") var value: String?
        @Option("mode", .string, default: "global", choices: ["global", "persist", "persist_only"].map(Value.string), help: "global: SET GLOBAL; persist/persist_only: SET PERSIST[_ONLY] (MySQL 8).") var mode: String
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
        var current: String
        /// The value stored in mysqld-auto.cnf (persist modes), nil when none.
        var persisted: String?
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: MySQLTarget
        var sql: String
        public var description: String { sql }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard a.variable.range(of: "^[0-9A-Za-z_.]+$", options: .regularExpression) != nil else {
            throw KeelError("\(host.name): mysql_variables: invalid variable name \"\(a.variable)\"", expected: "letters, digits, _ and .", found: a.variable)
        }
        let client = MySQLClient(target: a.target)
        let name = try MySQLQuote.literal(a.variable)
        let rows = try await client.lines("SHOW VARIABLES WHERE Variable_name = \(name);\n", on: host, failure: "cannot read variable \(a.variable)")
        guard rows.count == 1, let tab = rows[0].firstIndex(of: "\t") else {
            throw KeelError("\(host.name): Variable not available \"\(a.variable)\"")
        }
        var state = State(current: String(rows[0][rows[0].index(after: tab)...]), persisted: nil)
        if a.value != nil, a.mode != "global" {
            let persisted = try await client.lines("SELECT CONCAT('v:', VARIABLE_VALUE) FROM performance_schema.persisted_variables WHERE VARIABLE_NAME = \(name);\n",
                                                   on: host, failure: "Server version must be 8.0 or greater.")
            state.persisted = persisted.first.map { String($0.dropFirst(2)) }
        }
        return state
    }

    /// The collection's typedvalue: an int, else a float, else the text.
    enum Typed: Equatable {
        case number(Double), text(String)
        init(_ text: String) {
            if let i = Int(text) { self = .number(Double(i)) } else if let d = Double(text), !text.lowercased().contains("n") { self = .number(d) } else { self = .text(text) }
        }
        var sql: String {
            get throws {
                switch self {
                case .number(let d): return d == d.rounded() && abs(d) < 1e18 ? String(Int(d)) : String(d)
                case .text(let t): return try MySQLQuote.literal(t)
                }
            }
        }
        var shown: String {
            switch self {
            case .number(let d): return d == d.rounded() && abs(d) < 1e18 ? String(Int(d)) : String(d)
            case .text(let t): return t
            }
        }
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        guard let value = a.value else { return .unchanged(values: ["msg": .string(observed.current)]) }
        var actual = Typed(observed.current)
        if a.mode == "persist_only" { actual = observed.persisted.map(Typed.init) ?? .text("\u{0}none") }
        var wanted = Typed(value)
        if actual == .text("ON") || actual == .text("OFF"), wanted != .text("ON"), wanted != .text("OFF") {
            switch wanted {
            case .text("on"), .number(1): wanted = .text("ON")
            case .text("off"), .number(0): wanted = .text("OFF")
            default: break
            }
        }
        let inAutoConfig = observed.persisted.map(Typed.init)
        if wanted == actual && a.mode == "global" { return .unchanged(values: ["msg": "Variable is already set to requested value."]) }
        if wanted == actual && a.mode == "persist" && wanted == inAutoConfig {
            return .unchanged(values: ["msg": "Variable is already set to requested value globallyand stored into mysqld-auto.cnf file."])
        }
        if a.mode == "persist_only" && wanted == inAutoConfig {
            return .unchanged(values: ["msg": "Variable is already stored into mysqld-auto.cnf with requested value."])
        }
        let verb = a.mode == "global" ? "GLOBAL" : a.mode == "persist" ? "PERSIST" : "PERSIST_ONLY"
        let name = try a.variable.split(separator: ".").map { try MySQLQuote.identifier(String($0)) }.joined(separator: ".")
        let sql = "SET \(verb) \(name) = \(try wanted.sql)"
        let previous = a.mode == "persist_only" ? (observed.persisted ?? "False") : actual.shown
        return Plan(steps: [Step(target: a.target, sql: sql)],
                    diffs: [Diff(label: "variable \(a.variable)", before: "\(a.variable) = \(observed.current)\n", after: "\(a.variable) = \(wanted.shown)\n")],
                    values: ["msg": .string("Variable change succeeded prev_value=\(previous)"), "queries": .list([.string("SET \(verb) \(name) = \(wanted.shown)")])])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            _ = try await MySQLClient(target: step.target).run(step.sql + ";\n", on: host, failure: "mysql_variables: \(step.sql) failed")
        }
        return .changed()
    }
}
