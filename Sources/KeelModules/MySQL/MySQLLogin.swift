import Foundation
import KeelBase
import KeelTransport

/// The connection options every community.mysql module shares, and the one way Keel talks to the server:
/// the `mysql` (or `mariadb`) client on the host. The login password travels as the first line of the
/// client's stdin into MYSQL_PWD, never on a command line.
enum MySQLLogin {
    static let user = OptionSpec("login_user", .string, help: "The account the client logs in as; default: the config file's user, else the client's default (the remote user: root through the socket).")
    static let password = OptionSpec("login_password", .string, noLog: true, help: "Its password (given to the client on stdin, never on a command line).")
    static let host = OptionSpec("login_host", .string, default: "localhost", help: "Host name or address of the server; localhost: the local Unix socket.")
    static let port = OptionSpec("login_port", .int, default: 3306, help: "The server's TCP port.")
    static let unixSocket = OptionSpec("login_unix_socket", .string, help: "The server's Unix socket file (e.g. /run/mysqld/mysqld.sock).")
    static let configFile = OptionSpec("config_file", .path, default: "~/.my.cnf", help: "A client option file read when it exists (user, password, socket under [client]).")
    static let connectTimeout = OptionSpec("connect_timeout", .int, default: 30, help: "Seconds to wait for the connection.")
    static let clientCert = OptionSpec("client_cert", .path, aliases: ["ssl_cert"], help: "Client TLS certificate.")
    static let clientKey = OptionSpec("client_key", .path, aliases: ["ssl_key"], help: "Client TLS key.")
    static let caCert = OptionSpec("ca_cert", .path, aliases: ["ssl_ca"], help: "CA certificate for the server's TLS certificate.")
    static let checkHostname = OptionSpec("check_hostname", .bool, help: "Verify the server certificate's host name (--ssl-verify-server-cert).")
    static let checkImplicitAdmin = OptionSpec("check_implicit_admin", .bool, default: false, help: "First try root without a password (socket authentication), then the given login.")
}

/// The connection options as a module's arguments hold them.
protocol MySQLConnectionArguments {
    var login_user: String? { get }
    var login_password: String? { get }
    var login_host: String { get }
    var login_port: Int { get }
    var login_unix_socket: String? { get }
    var config_file: String { get }
    var connect_timeout: Int { get }
    var client_cert: String? { get }
    var client_key: String? { get }
    var ca_cert: String? { get }
    var check_hostname: Bool? { get }
    var check_implicit_admin: Bool { get }
}

extension MySQLConnectionArguments {
    var target: MySQLTarget {
        MySQLTarget(user: login_user, password: login_password, host: login_host, port: login_port, unixSocket: login_unix_socket,
                    configFile: config_file, connectTimeout: connect_timeout, clientCert: client_cert, clientKey: client_key,
                    caCert: ca_cert, checkHostname: check_hostname, implicitAdmin: check_implicit_admin)
    }
}

/// Where and as whom the client connects.
struct MySQLTarget: Sendable, Equatable, Codable {
    var user: String?
    var password: String?
    var host: String
    var port: Int
    var unixSocket: String?
    var configFile: String
    var connectTimeout: Int
    var clientCert: String?
    var clientKey: String?
    var caCert: String?
    var checkHostname: Bool?
    var implicitAdmin: Bool

    /// The client's arguments, as shell words, after the option file (which must come first).
    func clientArguments() -> [String] {
        var words = ["--connect-timeout=\(connectTimeout)"]
        if let socket = unixSocket, !socket.isEmpty {
            words.append("--socket=" + ShellQuote.quote(socket))
        } else if host != "localhost" && !host.isEmpty {
            // localhost stays the client's default (the Unix socket), as in community.mysql with the option file's socket.
            words += ["--host=" + ShellQuote.quote(host), "--port=\(port)", "--protocol=TCP"]
        }
        if let user, !user.isEmpty { words.append("--user=" + ShellQuote.quote(user)) }
        if let clientCert { words.append("--ssl-cert=" + ShellQuote.quote(clientCert)) }
        if let clientKey { words.append("--ssl-key=" + ShellQuote.quote(clientKey)) }
        if let caCert { words.append("--ssl-ca=" + ShellQuote.quote(caCert)) }
        if checkHostname == true { words.append("--ssl-verify-server-cert") }
        return words
    }

    /// The option file as the shell sees it: `~/` is the remote user's home.
    var configFileWord: String {
        configFile.hasPrefix("~/") ? "\"$HOME\"/" + ShellQuote.quote(String(configFile.dropFirst(2))) : ShellQuote.quote(configFile)
    }
}
