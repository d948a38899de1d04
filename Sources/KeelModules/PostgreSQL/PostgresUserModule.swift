import Foundation
import KeelBase
import OrderedCollections

/// `postgresql_user` (community.postgresql): a role exists with the given password, attributes, expiry,
/// connection limit and comment, or does not exist. The password is compared with the stored verifier
/// on the controller (SCRAM or MD5, as the collection does), so an unchanged password is never re-sent,
/// and it never appears in results, diffs, plans or error messages.
public struct PostgresUserModule: Module {
    public static let name = "postgresql_user"
    public static let aliases = ["community.postgresql.postgresql_user", "community.general.postgresql_user"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Create, change or drop a PostgreSQL role (through psql)",
        description: """
            Compatible with community.postgresql.postgresql_user. A clear-text password is checked against the stored \
            SCRAM-SHA-256 verifier (or md5 hash) without sending it; a password given as a verifier or md5 hash is compared \
            as it is. role_attr_flags is a comma-separated list such as `CREATEDB,NOSUPERUSER`.
            """,
        examples: """
            - community.postgresql.postgresql_user:
                name: app
                password: "{{ vault_app_db_password }}"
                role_attr_flags: CREATEDB,NOSUPERUSER
                expires: infinity
              become: true
              become_user: postgres
            - postgresql_user: name=old state=absent
            """,
        deviations: [
            "A list setting given as one string (search_path: 'app, public') is stored double-quoted by PostgreSQL; Keel compares it unquoted, so it stays unchanged on the next run (the collection changes it every time).",
            "With quote_configuration_values false, a value may hold only names, numbers, spaces, commas, dots, $, - and quotes (the collection pastes it into SQL as it is).",
            "The password is compared without SASLprep normalisation (identical for ASCII passwords).",
            "queries shows the statements with %(password)s and %(expires)s placeholders, as the collection does; the flags are in the order given.",
        ])

    public struct Arguments: ModuleArguments, PostgresConnectionArguments {
        @Option("name", .string, required: true, aliases: ["user"], help: "The role.") var name: String
        @Option("password", .string, noLog: true, help: "Its password: clear text, a SCRAM-SHA-256 verifier or an md5 hash; an empty string removes it.") var password: String?
        @Option("encrypted", .bool, default: true, help: "Store the password hashed (PostgreSQL 10 and later refuse false).") var encrypted: Bool
        @Option("state", choices: RoleState.self, default: .present, help: "present or absent.") var state: RoleState
        @Option("role_attr_flags", .string, default: "", help: "Attributes, comma-separated: [NO]SUPERUSER, [NO]CREATEROLE, [NO]CREATEDB, [NO]INHERIT, [NO]LOGIN, [NO]REPLICATION, [NO]BYPASSRLS.") var role_attr_flags: String
        @Option("expires", .string, help: "When the password expires (a timestamp, or infinity).") var expires: String?
        @Option("conn_limit", .int, help: "Connection limit (-1: none).") var conn_limit: Int?
        @Option("no_password_changes", .bool, default: false, help: "Keep an existing role's password, expiry and limit; only attributes change.") var no_password_changes: Bool
        @Option("fail_on_user", .bool, default: true, aliases: ["fail_on_role"], help: "With state=absent, fail when the role cannot be dropped (it owns objects).") var fail_on_user: Bool
        @Option("comment", .string, help: "The role's comment.") var comment: String?
        @Option("configuration", .dict, help: "Session defaults for the role (ALTER ROLE ... SET): parameter -> value.") var configuration: Value?
        @Option("reset_unspecified_configuration", .bool, default: false, help: "Reset the role's defaults that configuration does not name.") var reset_unspecified_configuration: Bool
        @Option("quote_configuration_values", .bool, default: true, help: "Write each value as a string literal (false: as written, for lists such as search_path).") var quote_configuration_values: Bool
        @Option("login_db", .string, aliases: ["db"], help: "The database psql connects to.") var login_db: String?
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

    public enum RoleState: String, OptionChoice { case present, absent }

    /// Each flag and its pg_authid column (LOGIN is rolcanlogin, SUPERUSER rolsuper).
    static let flagColumns: [(key: String, value: String)] = [
        ("SUPERUSER", "rolsuper"), ("CREATEROLE", "rolcreaterole"), ("CREATEDB", "rolcreatedb"), ("INHERIT", "rolinherit"),
        ("LOGIN", "rolcanlogin"), ("REPLICATION", "rolreplication"), ("BYPASSRLS", "rolbypassrls"),
    ]

    public struct State: Equatable, Sendable {
        /// The role's pg_authid row (rolpassword included: it stays in memory), nil when it does not exist.
        var role: OrderedDictionary<String, Value>?
        /// SHOW password_encryption.
        var passwordEncryption: String
        /// Whether `expires` as a timestamptz equals rolvaliduntil.
        var expiresMatches: Bool
    }

    /// The statements to run in one transaction; `shown` is what results and plans print (no secret).
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: PostgresTarget
        var statements: [String]
        var shown: [String]
        var mayFail: Bool
        var secrets: [String]
        public var description: String { shown.joined(separator: "; ") }
    }

    public init() {}

    /// The flags as the collection parses them: upper-cased, checked against the known names.
    static func parseFlags(_ text: String) throws -> [(name: String, on: Bool)] {
        var seen: [String] = []
        var flags: [(name: String, on: Bool)] = []
        for raw in text.split(separator: ",") {
            let flag = raw.trimmingCharacters(in: .whitespaces).uppercased()
            guard !flag.isEmpty, !seen.contains(flag) else { continue }
            seen.append(flag)
            let on = !(flag.hasPrefix("NO") && flagColumns.contains { $0.key == String(flag.dropFirst(2)) })
            let name = on ? flag : String(flag.dropFirst(2))
            guard flagColumns.contains(where: { $0.key == name }) else {
                throw KeelError("postgresql_user: invalid role_attr_flags specified: \(flag)",
                                expected: "[NO]SUPERUSER, [NO]CREATEROLE, [NO]CREATEDB, [NO]INHERIT, [NO]LOGIN, [NO]REPLICATION, [NO]BYPASSRLS", found: flag)
            }
            flags.append((name, on))
        }
        return flags
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let name = try SQLQuote.literal(a.name)
        let expiresMatches = try a.expires.map {
            "(SELECT " + (try SQLQuote.literal($0)) + "::timestamptz IS NOT DISTINCT FROM (SELECT rolvaliduntil FROM pg_authid WHERE rolname = \(name)))"
        } ?? "true"
        let sql = """
            SELECT json_build_object('password_encryption', current_setting('password_encryption'), 'expires_matches', \(expiresMatches));
            SELECT row_to_json(r) FROM (SELECT a.*, pg_catalog.shobj_description(a.oid, 'pg_authid') AS comment,
              (SELECT rolconfig FROM pg_catalog.pg_roles WHERE oid = a.oid) AS rolconfig
              FROM pg_authid a WHERE rolname = \(name)) r;
            """
        let rows = try await PSQL(target: a.target(database: a.login_db)).json(sql, on: host, failure: "cannot read role \(a.name)")
        return State(role: rows.count > 1 ? rows[1].dictValue : nil,
                     passwordEncryption: rows.first?["password_encryption"]?.stringValue ?? "scram-sha-256",
                     expiresMatches: rows.first?["expires_matches"]?.boolValue ?? false)
    }

    /// Whether the stored password must be replaced (the collection's user_should_we_change_password).
    static func passwordChanges(_ a: Arguments, current: Value?, encryption: String) -> Bool {
        guard let password = a.password else { return false }
        let stored = current?.stringValue
        if password.isEmpty { return stored != nil }
        if PasswordVerifier.isSCRAM(password) { return password != stored }
        if let stored, let matches = PasswordVerifier.scramMatches(password: password, stored: stored) { return !matches }
        if PasswordVerifier.isMD5(password) || !a.encrypted { return password != stored }
        if encryption == "md5" { return PasswordVerifier.md5(password: password, user: a.name) != stored }
        return true
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let flags = try Self.parseFlags(a.role_attr_flags)
        let flagText = flags.map { ($0.on ? "" : "NO") + $0.name }.joined(separator: " ")
        let user = try SQLQuote.identifier(a.name)
        let passwordLiteral = try a.password.map { try SQLQuote.literal($0) }
        let crypt = a.encrypted ? "ENCRYPTED" : "UNENCRYPTED"
        var statements: [String] = [], shown: [String] = []
        var values: OrderedDictionary<String, Value> = ["user": .string(a.name)]
        var mayFail = false
        var before = "", after = ""

        func add(_ sql: String, _ display: String) { statements.append(sql); shown.append(display) }

        switch (a.state, observed.role) {
        case (.absent, .some):
            add("DROP USER \(user)", "DROP USER \(user)")
            values["user_removed"] = .bool(true)
            mayFail = !a.fail_on_user
            before = "role \(a.name)\n"
        case (.absent, .none):
            break
        case (.present, .none):
            var sql = "CREATE USER \(user)", display = sql
            if let passwordLiteral, a.password?.isEmpty == false {
                sql += " WITH \(crypt) PASSWORD \(passwordLiteral)"; display += " WITH \(crypt) PASSWORD %(password)s"
            }
            if let expires = a.expires { sql += " VALID UNTIL \(try SQLQuote.literal(expires))"; display += " VALID UNTIL %(expires)s" }
            if let limit = a.conn_limit { sql += " CONNECTION LIMIT \(limit)"; display += " CONNECTION LIMIT \(limit)" }
            if !flagText.isEmpty { sql += " " + flagText; display += " " + flagText }
            add(sql, display)
            after = "role \(a.name)\n" + (flagText.isEmpty ? "" : "attributes: \(flagText)\n")
        case (.present, .some(let role)):
            let flagsChange = flags.contains { role[Self.column($0.name)]?.boolValue != $0.on }
            let currentFlags = flags.map { (role[Self.column($0.name)]?.boolValue == true ? "" : "NO") + $0.name }.joined(separator: " ")
            if !a.no_password_changes {
                let passwordChanges = Self.passwordChanges(a, current: role["rolpassword"], encryption: observed.passwordEncryption)
                let expiresChanges = a.expires != nil && !observed.expiresMatches
                let limitChanges = a.conn_limit.map { $0 != role["rolconnlimit"]?.intValue } ?? false
                if passwordChanges || flagsChange || expiresChanges || limitChanges {
                    var sql = "ALTER USER \(user)", display = sql
                    if passwordChanges {
                        if let passwordLiteral, a.password?.isEmpty == false {
                            sql += " WITH \(crypt) PASSWORD \(passwordLiteral)"; display += " WITH \(crypt) PASSWORD %(password)s"
                        } else { sql += " WITH PASSWORD NULL"; display += " WITH PASSWORD NULL" }
                        if !flagText.isEmpty { sql += " " + flagText; display += " " + flagText }
                    } else if !flagText.isEmpty { sql += " WITH " + flagText; display += " WITH " + flagText }
                    if let expires = a.expires { sql += " VALID UNTIL \(try SQLQuote.literal(expires))"; display += " VALID UNTIL %(expires)s" }
                    if let limit = a.conn_limit { sql += " CONNECTION LIMIT \(limit)"; display += " CONNECTION LIMIT \(limit)" }
                    add(sql, display)
                    if passwordChanges { before += "password: ********\n"; after += "password: ******** (changed)\n" }
                    if flagsChange { before += "attributes: \(currentFlags)\n"; after += "attributes: \(flagText)\n" }
                    if expiresChanges { before += "valid until: \(role["rolvaliduntil"]?.stringValue ?? "")\n"; after += "valid until: \(a.expires ?? "")\n" }
                    if limitChanges { before += "connection limit: \(role["rolconnlimit"]?.intValue ?? -1)\n"; after += "connection limit: \(a.conn_limit ?? -1)\n" }
                }
            } else if flagsChange {
                add("ALTER USER \(user) WITH \(flagText)", "ALTER USER \(user) WITH \(flagText)")
                before += "attributes: \(currentFlags)\n"; after += "attributes: \(flagText)\n"
            }
        }
        if a.state == .present {
            for change in try Self.configurationChanges(a, current: observed.role?["rolconfig"]) {
                add(change.sql, change.sql)
                before += change.before; after += change.after
            }
        }
        if a.state == .present, let comment = a.comment, comment != (observed.role?["comment"]?.stringValue ?? "") {
            let sql = "COMMENT ON ROLE \(user) IS \(try SQLQuote.literal(comment))"
            add(sql, sql)
            before += "comment: \(observed.role?["comment"]?.stringValue ?? "")\n"; after += "comment: \(comment)\n"
        }
        values["queries"] = .list(shown.map(Value.string))
        guard !statements.isEmpty else { return .unchanged(values: values) }
        let step = Step(target: a.target(database: a.login_db), statements: statements, shown: shown, mayFail: mayFail,
                        secrets: [a.password ?? ""].filter { !$0.isEmpty })
        return Plan(steps: [step], diffs: [Diff(label: "role \(a.name)", before: before, after: after)], values: values)
    }

    /// ALTER ROLE ... SET/RESET for the configuration option, compared with the role's rolconfig
    /// ("key=value" strings) as the collection compares them.
    static func configurationChanges(_ a: Arguments, current: Value?) throws -> [(sql: String, before: String, after: String)] {
        guard let desired = a.configuration?.dictValue, !desired.isEmpty || a.reset_unspecified_configuration else { return [] }
        var existing: [(String, String)] = []
        for entry in current?.listValue?.compactMap(\.stringValue) ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            existing.append((String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
        }
        let user = try SQLQuote.identifier(a.name)
        var changes: [(sql: String, before: String, after: String)] = []
        if a.reset_unspecified_configuration {
            for (key, value) in existing where desired[key] == nil {
                changes.append(("ALTER ROLE \(user) RESET \(try SQLQuote.identifier(key))", "\(key) = \(value)\n", ""))
            }
        }
        for (key, raw) in desired {
            let value = raw.stringValue ?? raw.jsonString()
            let old = existing.first { $0.0 == key }?.1
            // PostgreSQL stores a list setting given as one string (search_path 'a, b') double-quoted.
            let stored = old.map { $0.count >= 2 && $0.hasPrefix("\"") && $0.hasSuffix("\"") && a.quote_configuration_values
                ? String($0.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"") : $0 }
            guard stored != value else { continue }
            let written: String
            if a.quote_configuration_values {
                written = try SQLQuote.literal(value)
            } else {
                guard value.allSatisfy({ $0.isLetter || $0.isNumber || " _,.$-'\"".contains($0) }),
                      value.filter({ $0 == "'" }).count % 2 == 0, value.filter({ $0 == "\"" }).count % 2 == 0 else {
                    throw KeelError("postgresql_user: configuration value for \(key) is not a plain list of names or numbers", expected: "names, numbers, commas and quotes (or quote_configuration_values: true)", found: value)
                }
                written = value
            }
            changes.append(("ALTER ROLE \(user) SET \(try SQLQuote.identifier(key)) TO \(written)", old.map { "\(key) = \($0)\n" } ?? "", "\(key) = \(value)\n"))
        }
        return changes
    }

    static func column(_ flag: String) -> String { flagColumns.first { $0.key == flag }?.value ?? flag }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            let sql = "BEGIN;\n" + step.statements.map { $0 + ";\n" }.joined() + "COMMIT;\n"
            do {
                _ = try await PSQL(target: step.target).run(sql, on: host, failure: "postgresql_user: \(step.description) failed", secrets: step.secrets)
            } catch where step.mayFail {
                return .unchanged(["user_removed": .bool(false)])
            }
        }
        return .changed()
    }
}
