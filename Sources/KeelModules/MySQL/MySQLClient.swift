import Foundation
import KeelBase
import KeelTransport

/// Runs SQL through the `mysql` client on the host (`mariadb` where that is the client's name): the script
/// arrives on stdin (after the login password, when there is one), in batch mode, so the client stops at
/// the first error and prints rows as tab-separated lines without column names.
///
/// Like community.mysql, which reads only `config_file`, the client reads only that option file when it
/// exists (--defaults-file) and no option file at all otherwise (--no-defaults).
struct MySQLClient: Sendable {
    var target: MySQLTarget

    static let missingClient = "the mysql client is not installed on this host (Debian: default-mysql-client or mariadb-client)"

    /// The client's stdout lines. `secrets` are masked in any error message.
    func lines(_ sql: String, on host: HostContext, columnNames: Bool = false, failure: String, secrets: [String] = []) async throws -> [String] {
        let text = try await run(sql, on: host, columnNames: columnNames, failure: failure, secrets: secrets)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// One JSON value per output line (observation queries select JSON_OBJECT(...)).
    func json(_ sql: String, on host: HostContext, failure: String) async throws -> [Value] {
        try await lines(sql, on: host, failure: failure).map { try Value.parseJSON($0) }
    }

    func run(_ sql: String, on host: HostContext, columnNames: Bool = false, failure: String, secrets: [String] = []) async throws -> String {
        let arguments = target.clientArguments().joined(separator: " ")
        let batch = "--batch --raw" + (columnNames ? "" : " --skip-column-names")
        var script = """
            if command -v mariadb >/dev/null 2>&1; then c=mariadb; elif command -v mysql >/dev/null 2>&1; then c=mysql; else echo \(ShellQuote.quote(Self.missingClient)) >&2; exit 127; fi
            cd / 2>/dev/null
            f=\(target.configFileWord)
            if [ -f "$f" ]; then set -- "--defaults-file=$f"; else set -- --no-defaults; fi

            """
        if let password = target.password, !password.isEmpty {
            guard !password.contains("\n") else { throw KeelError("\(host.name): login_password cannot hold a line break") }
            script += "IFS= read -r MYSQL_PWD; export MYSQL_PWD\n"
        }
        if target.implicitAdmin {
            // community.mysql's check_implicit_admin: root with an empty password first (socket authentication).
            var admin = target
            admin.user = "root"
            script += """
                if "$c" "$@" \(admin.clientArguments().joined(separator: " ")) --password= -e 'SELECT 1' </dev/null >/dev/null 2>&1; then
                  unset MYSQL_PWD; exec "$c" "$@" \(admin.clientArguments().joined(separator: " ")) --password= \(batch)
                fi

                """
        }
        script += "exec \"$c\" \"$@\" \(arguments) \(batch)"
        var input = ""
        if let password = target.password, !password.isEmpty { input += password + "\n" }
        input += sql
        let result = try await host.run(script, stdin: Data(input.utf8))
        guard result.status == 0 else {
            throw KeelError("\(host.name): \(failure): \(Self.mask(Self.errorText(result), secrets + [target.password ?? ""]))")
        }
        return result.stdoutText
    }

    static func errorText(_ result: CommandResult) -> String {
        let text = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "the mysql client exited \(result.status)" : text
    }

    static func mask(_ text: String, _ secrets: [String]) -> String {
        secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingOccurrences(of: $1, with: "********") }
    }
}

/// Quoting for SQL text Keel writes itself: names as backquoted identifiers, values as single-quoted
/// literals that read the same whatever sql_mode says (quotes doubled; backslashes, which
/// NO_BACKSLASH_ESCAPES would read differently, and NUL are refused).
enum MySQLQuote {
    static func identifier(_ name: String) throws -> String {
        guard !name.contains("\u{0}") else { throw KeelError("a MySQL name cannot hold a NUL character", expected: "a name without NUL", found: "a NUL character") }
        return "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    static func literal(_ text: String) throws -> String {
        guard !text.contains("\u{0}"), !text.contains("\\") else {
            throw KeelError("a MySQL value Keel writes cannot hold a backslash or NUL", expected: "text without \\ or NUL", found: text)
        }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `'user'@'host'`.
    static func account(_ user: String, _ host: String) throws -> String {
        "\(try literal(user))@\(try literal(host))"
    }
}
