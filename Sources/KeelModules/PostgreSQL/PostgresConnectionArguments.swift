import KeelBase

/// The connection options as a module's arguments hold them (each module declares them with the shared
/// `PostgresLogin` specs), turned into where psql connects.
protocol PostgresConnectionArguments {
    var login_user: String { get }
    var login_password: String? { get }
    var login_host: String? { get }
    var login_unix_socket: String? { get }
    var login_port: Int { get }
    var ssl_mode: String { get }
    var ca_cert: String? { get }
    var session_role: String? { get }
}

extension PostgresConnectionArguments {
    func target(database: String?) -> PostgresTarget {
        PostgresTarget(user: login_user, password: login_password, host: login_host, unixSocket: login_unix_socket, port: login_port,
                       sslMode: ssl_mode, caCert: ca_cert, database: database, sessionRole: session_role)
    }
}
