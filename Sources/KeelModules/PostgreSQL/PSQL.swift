import Foundation
import KeelBase
import KeelTransport

/// Runs SQL through `psql` on the host: the script arrives on stdin (after the login password, when there
/// is one), psql stops at the first error (ON_ERROR_STOP) and reports it in one line (VERBOSITY=terse,
/// so a failing statement is not echoed back with its literals).
struct PSQL: Sendable {
    var target: PostgresTarget

    /// psql's stdout. `flags` choose the output format; `secrets` are masked in any error message.
    func run(_ sql: String, on host: HostContext, flags: [String] = ["-q", "-t", "-A"], failure: String,
             secrets: [String] = []) async throws -> String {
        let script = target.environmentScript() + "\n"
            + "command -v psql >/dev/null 2>&1 || { echo 'psql is not installed on this host (Debian: postgresql-client)' >&2; exit 127; }\n"
            // The become user (postgres) usually cannot read the login user's working directory.
            + "cd / 2>/dev/null\n"
            + "exec psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=terse \(flags.joined(separator: " ")) -f -"
        var input = ""
        if let password = target.password, !password.isEmpty {
            guard !password.contains("\n") else { throw KeelError("\(host.name): login_password cannot hold a line break") }
            input += password + "\n"
        }
        if let role = target.sessionRole, !role.isEmpty { input += "SET ROLE \(try SQLQuote.identifier(role));\n" }
        input += sql
        let result = try await host.run(script, stdin: Data(input.utf8))
        guard result.status == 0 else {
            throw KeelError("\(host.name): \(failure): \(Self.mask(Self.errorText(result), secrets + [target.password ?? ""]))")
        }
        return result.stdoutText
    }

    /// One JSON value per output line (observation queries select `json_build_object(...)` or `row_to_json`).
    func json(_ sql: String, on host: HostContext, failure: String) async throws -> [Value] {
        let text = try await run(sql, on: host, failure: failure)
        return try text.split(separator: "\n").filter { !$0.isEmpty }.map { try Value.parseJSON(String($0)) }
    }

    /// psql's complaint without its `psql:<stdin>:12:` prefix.
    static func errorText(_ result: CommandResult) -> String {
        let lines = result.stderrText.split(separator: "\n").map { line -> String in
            if line.hasPrefix("psql:"), let range = line.range(of: #"^psql:[^:]*:\d+: "#, options: .regularExpression) {
                return String(line[range.upperBound...])
            }
            return String(line)
        }
        let text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "psql exited \(result.status)" : text
    }

    static func mask(_ text: String, _ secrets: [String]) -> String {
        secrets.filter { $0.count >= 1 }.reduce(text) { $0.replacingOccurrences(of: $1, with: "********") }
    }
}
