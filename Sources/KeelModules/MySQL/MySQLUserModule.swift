import Foundation
import KeelBase
import OrderedCollections

/// `mysql_user` (community.mysql): an account exists with the given password, authentication plugin and
/// privileges, or does not exist. The clear-text password is hashed on the controller
/// (mysql_native_password) and compared with the stored hash, so it never reaches the host, and neither it
/// nor the hash appears in results, diffs, plans or error messages.
public struct MySQLUserModule: Module {
    public static let name = "mysql_user"
    public static let aliases = ["community.mysql.mysql_user"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["append_privs", "subtract_privs"]])
    public static let documentation = ModuleDocumentation(
        summary: "Create, change or drop MySQL/MariaDB accounts and their privileges (through the mysql client)",
        description: """
            Compatible with community.mysql.mysql_user. priv is the collection's string `db.table:PRIV,PRIV/db2.*:ALL` (or a \
            dict of db.table -> privileges); USAGE on *.* is implied; `GRANT` means WITH GRANT OPTION. Without append_privs, \
            privileges the account has on objects priv does not name are revoked (except for root and PROXY grants), as the \
            collection does. Runs the `mysql` (or `mariadb`) client on the host, no Python driver needed.
            """,
        examples: """
            - community.mysql.mysql_user:
                name: app
                host: localhost
                password: "{{ vault_app_db_password }}"
                priv: "app.*:ALL/*.*:PROCESS"
            - mysql_user: name=old host=% state=absent
            """,
        deviations: [
            "Passwords are set as mysql_native_password hashes computed on the controller (the collection computes the same hash on the server).",
            "Column privileges (SELECT (col)), tls_requires with values, attributes, resource_limits, password_expire, locked, session_vars and salt are refused; an empty tls_requires is accepted.",
            "The old user management of MySQL < 5.7 and MariaDB < 10.2 is not supported.",
            "In a real run a planned GRANT or REVOKE always counts as a change (the collection compares SHOW GRANTS before and after).",
            "The client reads only config_file when it exists, else no option file, as the collection's driver does; login_host localhost uses the socket.",
        ])

    public struct Arguments: ModuleArguments, MySQLConnectionArguments {
        @Option("name", .string, required: true, aliases: ["user"], help: "The account's user name ('' for the anonymous user).") var name: String
        @Option("password", .string, noLog: true, help: "Its password: clear text, or with encrypted: true a mysql_native_password hash (*...).") var password: String?
        @Option("encrypted", .bool, default: false, help: "password is already a mysql_native_password hash.") var encrypted: Bool
        @Option("host", .string, default: "localhost", help: "The account's host part (%, localhost, 10.0.0.%).") var host: String
        @Option("host_all", .bool, default: false, help: "Every existing account of this user name (never creates one).") var host_all: Bool
        @Option("state", choices: AccountState.self, default: .present, help: "present or absent.") var state: AccountState
        @Option("priv", .raw, help: "Privileges: 'db.table:PRIV,PRIV/db2.*:ALL', or a dict db.table -> privileges.") var priv: Value?
        @Option("append_privs", .bool, default: false, help: "Add priv to what the account has instead of replacing it.") var append_privs: Bool
        @Option("subtract_privs", .bool, default: false, help: "Revoke priv's privileges the account has, nothing else.") var subtract_privs: Bool
        @Option("update_password", .string, default: "always", choices: ["always", "on_create", "on_new_username"].map(Value.string), help: "always: set the password when it differs; on_create: only for a new account; on_new_username: a new account reuses the user name's existing password.") var update_password: String
        @Option("plugin", .string, help: "Authentication plugin (unix_socket, mysql_native_password, ed25519, ...).") var plugin: String?
        @Option("plugin_hash_string", .string, noLog: true, help: "The plugin's stored string (IDENTIFIED WITH plugin AS ...).") var plugin_hash_string: String?
        @Option("plugin_auth_string", .string, noLog: true, help: "The plugin's clear string (IDENTIFIED WITH plugin BY/USING ...).") var plugin_auth_string: String?
        @Option("salt", .string, noLog: true, help: "Not supported by Keel.") var salt: String?
        @Option("tls_requires", .dict, help: "Only an empty value is supported by Keel.") var tls_requires: Value?
        @Option("attributes", .dict, help: "Not supported by Keel.") var attributes: Value?
        @Option("resource_limits", .dict, help: "Not supported by Keel.") var resource_limits: Value?
        @Option("session_vars", .dict, help: "Not supported by Keel.") var session_vars: Value?
        @Option("password_expire", .string, help: "Not supported by Keel.") var password_expire: String?
        @Option("password_expire_interval", .int, help: "Not supported by Keel.") var password_expire_interval: Int?
        @Option("locked", .bool, help: "Not supported by Keel.") var locked: Bool?
        @Option("column_case_sensitive", .bool, help: "Accepted (column privileges are not supported by Keel).") var column_case_sensitive: Bool?
        @Option("sql_log_bin", .bool, default: true, help: "false: these statements are not written to the binary log.") var sql_log_bin: Bool
        @Option("force_context", .bool, default: false, help: "Accepted: Keel's statements name mysql.* explicitly.") var force_context: Bool
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

    public enum AccountState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var ansiQuotes: Bool
        /// The user name's accounts that matter: the task's host, or every host with host_all.
        var accounts: [MySQLAccount]
        /// Every host this user name has an account on (for on_new_username).
        var allHosts: [String]
        /// The password hash of this user name's other accounts, when they all share one.
        var sharedHash: String?
    }

    /// The statements to run; `shown` is what results and plans print (no hash, no secret).
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: MySQLTarget
        var statements: [String]
        var shown: [String]
        var secrets: [String]
        public var description: String { shown.joined(separator: "; ") }
    }

    public init() {}

    func host(_ a: Arguments) -> String { a.host.lowercased() }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        try refuseUnsupported(a, on: host)
        let client = MySQLClient(target: a.target)
        let user = try MySQLQuote.literal(a.name)
        let first = try await client.lines("""
            SELECT CONCAT('mode:', @@SESSION.sql_mode);
            SELECT CONCAT('host:', Host) FROM mysql.user WHERE User = \(user);
            SELECT CONCAT('column:', COLUMN_NAME) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'user' AND COLUMN_NAME IN ('Password', 'authentication_string');

            """, on: host, failure: "cannot read the account \(a.name)")
        let mode = first.first { $0.hasPrefix("mode:") }.map { String($0.dropFirst(5)) } ?? ""
        let hosts = first.filter { $0.hasPrefix("host:") }.map { String($0.dropFirst(5)) }
        let columns = first.filter { $0.hasPrefix("column:") }.map { String($0.dropFirst(7)) }
        let wanted = a.host_all ? hosts : hosts.filter { $0.lowercased() == self.host(a) }.prefix(1).map { _ in self.host(a) }
        var observed = hosts.isEmpty ? [] : wanted
        if a.update_password == "on_new_username", a.state == .present, !a.host_all, wanted.isEmpty, !hosts.isEmpty {
            observed = hosts
        }
        var accounts: [MySQLAccount] = []
        if !observed.isEmpty {
            let lines = try await client.lines(try MySQLAccount.observationSQL(user: a.name, hosts: observed, passwordColumns: columns),
                                               on: host, failure: "cannot read the account \(a.name)")
            accounts = MySQLAccount.parse(lines)
        }
        let others = accounts.filter { !wanted.contains($0.host) }
        let hashes = Set(others.map(\.passwordHash))
        return State(ansiQuotes: mode.contains("ANSI"), accounts: accounts.filter { wanted.contains($0.host) }, allHosts: hosts,
                     sharedHash: hashes.count == 1 ? hashes.first : nil)
    }

    func refuseUnsupported(_ a: Arguments, on host: HostContext) throws {
        func refuse(_ option: String, _ found: String) -> KeelError {
            KeelError("\(host.name): mysql_user: \(option) is not supported by Keel", expected: "no \(option)", found: found)
        }
        if a.salt != nil { throw refuse("salt", "a salt") }
        if let t = a.tls_requires, !(t.dictValue?.isEmpty ?? t.isNull) { throw refuse("tls_requires", "\(t.dictValue?.keys.joined(separator: ", ") ?? "")") }
        if let v = a.attributes, !(v.dictValue?.isEmpty ?? true) { throw refuse("attributes", "attributes") }
        if let v = a.resource_limits, !(v.dictValue?.isEmpty ?? true) { throw refuse("resource_limits", "resource_limits") }
        if let v = a.session_vars, !(v.dictValue?.isEmpty ?? true) { throw refuse("session_vars", "session_vars") }
        if a.password_expire != nil { throw refuse("password_expire", "password_expire") }
        if a.locked != nil { throw refuse("locked", "locked") }
        if a.encrypted, let password = a.password, !password.isEmpty, !MySQLAccount.isHash(password) {
            throw KeelError("\(host.name): mysql_user: encrypted was specified however it does not appear to be a valid hash expecting: *SHA1(SHA1(your_password))")
        }
    }

    /// priv as the collection's string form, nil when not given.
    func privilegeText(_ a: Arguments, on host: HostContext) throws -> String? {
        switch a.priv {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        case .dict(let dict)?: return dict.isEmpty ? nil : MySQLPrivileges.string(from: Array(dict))
        case let other?:
            throw KeelError("\(host.name): mysql_user: priv parameter must be str or dict", expected: "a string like db.*:ALL or a dict", found: other.jsonString())
        }
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let privText = try privilegeText(a, on: host)
        var wantedPrivileges = try privText.map { try MySQLPrivileges.unpack($0, ansiQuotes: observed.ansiQuotes, ensureUsage: !a.subtract_privs) }
        var statements: [String] = [], shown: [String] = []
        func add(_ sql: String, _ display: String? = nil) { statements.append(sql); shown.append(display ?? sql) }
        var msg = "User unchanged"
        var passwordChanged: Value = .bool(false)
        var before = "", after = ""
        let newHash: String? = a.password.flatMap { $0.isEmpty ? nil : (a.encrypted ? $0 : MySQLAccount.nativeHash($0)) }

        switch a.state {
        case .absent:
            if !observed.accounts.isEmpty {
                for account in observed.accounts { add("DROP USER IF EXISTS \(try MySQLQuote.account(a.name, account.host))") }
                msg = "User deleted"
                before = observed.accounts.map { "account: '\(a.name)'@'\($0.host)'\n" }.joined()
            } else {
                msg = "User doesn't exist"
            }
        case .present where observed.accounts.isEmpty:
            if a.host_all { throw KeelError("\(host.name): mysql_user: host_all parameter cannot be used when adding a user") }
            if a.subtract_privs { wantedPrivileges = nil }
            let account = try MySQLQuote.account(a.name, self.host(a))
            var hash = newHash
            var reused = false
            if a.update_password == "on_new_username", let shared = observed.sharedHash, observed.allHosts.count > 0 {
                hash = shared.isEmpty ? nil : shared
                reused = true
            }
            if let hash {
                add("CREATE USER \(account) IDENTIFIED WITH mysql_native_password AS \(try MySQLQuote.literal(hash))",
                    "CREATE USER \(account) IDENTIFIED WITH mysql_native_password AS %s")
            } else if let plugin = a.plugin, !plugin.isEmpty {
                let (sql, display) = try pluginClause(a, plugin: plugin)
                add("CREATE USER \(account) \(sql)", "CREATE USER \(account) \(display)")
            } else {
                add("CREATE USER \(account)")
            }
            for (object, privileges) in wantedPrivileges ?? [] { add(MySQLPrivileges.grant(privileges, on: object, to: account)) }
            msg = "User added"
            passwordChanged = .bool(!reused)
            after = "account: '\(a.name)'@'\(self.host(a))'\n" + (wantedPrivileges ?? []).map { "privileges on \($0.object): \($0.privileges.joined(separator: ","))\n" }.joined()
        case .present:
            for current in observed.accounts {
                let account = try MySQLQuote.account(a.name, current.host)
                if a.update_password == "always" {
                    if let newHash, newHash != current.passwordHash {
                        add("ALTER USER \(account) IDENTIFIED WITH mysql_native_password AS \(try MySQLQuote.literal(newHash))",
                            "ALTER USER \(account) IDENTIFIED WITH mysql_native_password AS %s")
                        msg = "Password updated (new style)"
                        passwordChanged = .bool(true)
                        before += "password: ********\n"; after += "password: ******** (changed)\n"
                    }
                    if let plugin = a.plugin, !plugin.isEmpty, pluginDiffers(a, plugin: plugin, current: current) {
                        let (sql, display) = try pluginClause(a, plugin: plugin)
                        add("ALTER USER \(account) \(sql)", "ALTER USER \(account) \(display)")
                        passwordChanged = .bool(true)
                        before += "plugin: \(current.plugin)\n"; after += "plugin: \(plugin)\n"
                    }
                }
                guard let wanted = wantedPrivileges else { continue }
                let currentPrivileges = try MySQLPrivileges.parse(grants: current.grants)
                let changes = privilegeChanges(a, wanted: wanted, current: currentPrivileges, account: account)
                for statement in changes.statements { add(statement) }
                if let message = changes.message { msg = message }
                if !changes.statements.isEmpty {
                    before += currentPrivileges.map { "privileges on \($0.object): \($0.privileges.joined(separator: ","))\n" }.joined()
                    after += changes.after.map { "privileges on \($0.object): \($0.privileges.joined(separator: ","))\n" }.joined()
                }
            }
        }
        var values: OrderedDictionary<String, Value> = ["user": .string(a.name), "msg": .string(msg), "password_changed": passwordChanged, "attributes": .null]
        guard !statements.isEmpty else { return .unchanged(values: values) }
        if !a.sql_log_bin { statements.insert("SET SQL_LOG_BIN=0", at: 0); shown.insert("SET SQL_LOG_BIN=0", at: 0) }
        values["queries"] = .list(shown.map(Value.string))
        let secrets = [newHash, a.password, a.plugin_auth_string, a.plugin_hash_string].compactMap { $0 }.filter { !$0.isEmpty }
        var plan = Plan(steps: [Step(target: a.target, statements: statements, shown: shown, secrets: secrets)],
                        diffs: [Diff(label: "account '\(a.name)'@'\(self.host(a))'", before: before, after: after)], values: values)
        // As the collection: a new account's password_changed is not known in check mode, and a password
        // that would change is "Password updated" without the style the real run reports.
        if a.state == .present && observed.accounts.isEmpty { plan.checkModeValues["password_changed"] = .null }
        if msg == "Password updated (new style)" { plan.checkModeValues["msg"] = "Password updated" }
        return plan
    }

    func pluginDiffers(_ a: Arguments, plugin: String, current: MySQLAccount) -> Bool {
        if current.plugin != plugin { return true }
        if let hash = a.plugin_hash_string, hash != current.authenticationString { return true }
        if let auth = a.plugin_auth_string, auth != current.authenticationString { return true }
        return false
    }

    /// IDENTIFIED WITH ... as the collection writes it for each plugin; the second text hides the secret.
    func pluginClause(_ a: Arguments, plugin: String) throws -> (String, String) {
        let name = try MySQLQuote.identifier(plugin)
        if let hash = a.plugin_hash_string { return ("IDENTIFIED WITH \(name) AS \(try MySQLQuote.literal(hash))", "IDENTIFIED WITH \(name) AS %s") }
        if let auth = a.plugin_auth_string {
            switch plugin {
            case "pam": return ("IDENTIFIED WITH \(name) USING \(try MySQLQuote.literal(auth))", "IDENTIFIED WITH \(name) USING %s")
            case "ed25519": return ("IDENTIFIED WITH \(name) USING PASSWORD(\(try MySQLQuote.literal(auth)))", "IDENTIFIED WITH \(name) USING PASSWORD(%s)")
            default: return ("IDENTIFIED WITH \(name) BY \(try MySQLQuote.literal(auth))", "IDENTIFIED WITH \(name) BY %s")
            }
        }
        return ("IDENTIFIED WITH \(name)", "IDENTIFIED WITH \(name)")
    }

    /// The collection's user_mod privilege logic: revoke objects priv does not name, grant new objects,
    /// grant and revoke the differences on the others.
    func privilegeChanges(_ a: Arguments, wanted: MySQLPrivileges.Table, current: MySQLPrivileges.Table, account: String)
        -> (statements: [String], message: String?, after: MySQLPrivileges.Table) {
        var statements: [String] = []
        var message: String?
        var after = current
        var grantOption = false
        if !a.append_privs && !a.subtract_privs {
            for (object, privileges) in current {
                if privileges.contains("GRANT") { grantOption = true }
                if !wanted.contains(where: { $0.object == object }), a.name != "root", !privileges.contains("PROXY") {
                    message = "Privileges updated"
                    statements += MySQLPrivileges.revoke(privileges, on: object, from: account, grantOption: grantOption)
                    after.removeAll { $0.object == object }
                }
            }
        }
        if !a.subtract_privs {
            for (object, privileges) in wanted where !current.contains(where: { $0.object == object }) {
                message = "New privileges granted"
                statements.append(MySQLPrivileges.grant(privileges, on: object, to: account))
                after.append((object, privileges))
            }
        }
        for (object, wantedHere) in wanted {
            guard let currentHere = current.first(where: { $0.object == object })?.privileges else { continue }
            var grants: [String] = [], revokes: [String] = []
            if a.append_privs {
                grants = wantedHere.filter { !currentHere.contains($0) }
            } else if a.subtract_privs {
                revokes = wantedHere.filter { currentHere.contains($0) }
            } else {
                grants = wantedHere.filter { !currentHere.contains($0) }
                revokes = currentHere.filter { !wantedHere.contains($0) }
                if grants.contains("ALL") || grants.contains("ALL PRIVILEGES") { revokes = revokes.filter { $0 == "GRANT" || $0 == "PROXY" } }
                grantOption = revokes.contains("GRANT") && !grants.contains("GRANT")
            }
            if grants == ["GRANT"] { grants.append("USAGE") }
            guard !grants.isEmpty || !revokes.isEmpty else { continue }
            message = "Privileges updated: granted \(pythonList(grants)), revoked \(pythonList(revokes))"
            if !revokes.isEmpty { statements += MySQLPrivileges.revoke(revokes, on: object, from: account, grantOption: grantOption) }
            if !grants.isEmpty { statements.append(MySQLPrivileges.grant(grants, on: object, to: account)) }
            if let index = after.firstIndex(where: { $0.object == object }) {
                after[index].privileges = after[index].privileges.filter { !revokes.contains($0) } + grants
            }
        }
        return (statements, message, after)
    }

    func pythonList(_ items: [String]) -> String { "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]" }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            _ = try await MySQLClient(target: step.target).run(step.statements.map { $0 + ";\n" }.joined(), on: host,
                                                              failure: "mysql_user: \(step.description) failed", secrets: step.secrets)
        }
        return .changed()
    }
}
