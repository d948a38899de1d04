import Foundation
import KeelBase
import KeelTransport

/// The connection options every community.postgresql module shares, and the one way Keel talks to the
/// server: `psql` on the host. Settings travel as libpq environment variables (PGHOST, PGPORT, ...), and
/// the login password as the first line of psql's stdin, so no secret is ever in a command line.
enum PostgresLogin {
    static let user = OptionSpec("login_user", .string, default: "postgres", aliases: ["login"], help: "The role psql logs in as (peer authentication through the local socket works with `become_user: postgres`).")
    static let password = OptionSpec("login_password", .string, noLog: true, help: "Its password (given to psql on stdin, never on a command line).")
    static let host = OptionSpec("login_host", .string, aliases: ["host"], help: "Host name or address of the server; empty: the local Unix socket.")
    static let unixSocket = OptionSpec("login_unix_socket", .string, aliases: ["unix_socket"], help: "The directory of the server's Unix socket (e.g. /var/run/postgresql).")
    static let port = OptionSpec("login_port", .int, default: 5432, aliases: ["port"], help: "The server's port.")
    static let sslMode = OptionSpec("ssl_mode", .string, default: "prefer", choices: ["allow", "disable", "prefer", "require", "verify-ca", "verify-full"].map(Value.string), help: "libpq's sslmode.")
    static let caCert = OptionSpec("ca_cert", .path, aliases: ["ssl_rootcert"], help: "CA certificate file (libpq's sslrootcert).")
    static let sessionRole = OptionSpec("session_role", .string, help: "Switch to this role after logging in (SET ROLE).")
    static let trustInput = OptionSpec("trust_input", .bool, default: true, help: "Accepted for compatibility: Keel always quotes names and values, so input needs no trust.")
}

/// Where and as whom psql connects; built from a module's arguments.
struct PostgresTarget: Sendable, Equatable, Codable {
    var user: String
    var password: String?
    var host: String?
    var unixSocket: String?
    var port: Int
    var sslMode: String
    var caCert: String?
    var database: String?
    var sessionRole: String?

    /// community.postgresql's rule: no login_host, or `localhost`, with a login_unix_socket connects through
    /// the socket (geerlingguy.postgresql passes both); any other host over TCP.
    static func libpqHost(host: String?, unixSocket: String?) -> String? {
        let socket = unixSocket?.isEmpty == false ? unixSocket : nil
        let named = host?.isEmpty == false ? host : nil
        if named == nil || named == "localhost", let socket { return socket }
        return named
    }

    /// The shell lines that set libpq's environment, then read the password from stdin when there is one.
    func environmentScript() -> String {
        var lines = ["export PGUSER=\(ShellQuote.quote(user)) PGPORT=\(port) PGSSLMODE=\(ShellQuote.quote(sslMode)) PGAPPNAME=keel PGCONNECT_TIMEOUT=10"]
        let hostValue = Self.libpqHost(host: host, unixSocket: unixSocket)
        if let hostValue { lines.append("export PGHOST=\(ShellQuote.quote(hostValue))") } else { lines.append("unset PGHOST") }
        if let database, !database.isEmpty { lines.append("export PGDATABASE=\(ShellQuote.quote(database))") } else { lines.append("unset PGDATABASE") }
        if let caCert { lines.append("export PGSSLROOTCERT=\(ShellQuote.quote(caCert))") }
        if password?.isEmpty == false { lines.append("IFS= read -r PGPASSWORD; export PGPASSWORD") }
        return lines.joined(separator: "\n")
    }
}
