/// haproxy.cfg as data: what haproxy_config's structured form decodes into and what the renderer
/// prints. Everything the types do not name can still be written as raw `lines` in any section.
struct HAProxyConfiguration: Equatable, Sendable {
    var global: [String]
    var defaults: [String]
    var frontends: [HAProxyFrontend]
    var backends: [HAProxyBackend]
    /// Path of the admin socket declared in `global`, when there is one (used to confirm reloads).
    var statsSocket: String?
}

struct HAProxyFrontend: Equatable, Sendable {
    var name: String
    var mode: String?
    var binds: [HAProxyBind]
    var options: [String]
    var acls: [(name: String, condition: String)]
    var rateLimit: HAProxyRateLimit?
    var redirectToHTTPS: Int?
    var httpRequest: [String]
    var securityHeaders: HAProxySecurityHeaders?
    var httpResponse: [String]
    var acme: HAProxyACMEPassThrough?
    var useBackends: [String]
    var defaultBackend: String?
    var lines: [String]

    static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.mode == b.mode && a.binds == b.binds && a.options == b.options
            && a.acls.map { "\($0.name) \($0.condition)" } == b.acls.map { "\($0.name) \($0.condition)" }
            && a.rateLimit == b.rateLimit && a.redirectToHTTPS == b.redirectToHTTPS && a.httpRequest == b.httpRequest
            && a.securityHeaders == b.securityHeaders && a.httpResponse == b.httpResponse && a.acme == b.acme
            && a.useBackends == b.useBackends && a.defaultBackend == b.defaultBackend && a.lines == b.lines
    }
}

/// `bind ADDRESS [ssl crt PATH] [alpn LIST] [PARAMS]`; `crt` may name a directory of PEM files.
struct HAProxyBind: Equatable, Sendable {
    var address: String
    var certificates: [String]
    var alpn: [String]
    var parameters: String?
}

struct HAProxyBackend: Equatable, Sendable {
    var name: String
    var mode: String?
    var balance: String?
    var options: [String]
    var healthCheck: HAProxyHealthCheck?
    var defaultServer: String?
    var httpRequest: [String]
    var httpResponse: [String]
    var servers: [HAProxyServer]
    var lines: [String]
}

/// `option httpchk` with the request (`http-check send`) and what counts as healthy (`http-check expect`).
struct HAProxyHealthCheck: Equatable, Sendable {
    var method: String
    var path: String
    var host: String?
    var expect: String
}

struct HAProxyServer: Equatable, Sendable {
    var name: String
    var address: String
    var check: Bool
    var inter: String?
    var rise: Int?
    var fall: Int?
    var weight: Int?
    var maxconn: Int?
    var backup: Bool
    var disabled: Bool
    var parameters: String?
}
