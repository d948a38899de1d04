import KeelBase

/// Per-source-IP rate limiting: a stick table counts each client's requests over `period`; past
/// `requests` in that window the client gets `status` (429) until its rate falls again.
struct HAProxyRateLimit: Equatable, Sendable {
    var requests: Int
    var period: String
    var tableSize: String
    var expire: String
    var status: Int

    static let keys = ["requests", "period", "table_size", "expire", "status"]

    init(_ value: Value, at path: String) throws {
        let f = try HAProxyFields(value, at: path, allowed: Self.keys)
        guard let requests = try f.int("requests"), requests > 0 else {
            throw KeelError("haproxy_config: \(path) needs 'requests'", expected: "a positive number of requests allowed per period",
                            found: f.values["requests"]?.shortText ?? "nothing")
        }
        self.requests = requests
        period = try f.string("period") ?? "10s"
        tableSize = try f.string("table_size") ?? "100k"
        expire = try f.string("expire") ?? period
        status = try f.int("status") ?? 429
    }

    /// The table (IPv6 keys hold IPv4 clients too), the tracking rule and the refusal.
    var tableLine: String { "stick-table type ipv6 size \(tableSize) expire \(expire) store http_req_rate(\(period))" }
    var requestRules: [String] {
        ["http-request track-sc0 src", "http-request deny deny_status \(status) if { sc_http_req_rate(0) gt \(requests) }"]
    }
}

/// The response headers browsers use to harden a site. Each can be turned off or changed.
struct HAProxySecurityHeaders: Equatable, Sendable {
    var hstsMaxAge: Int?
    var hstsIncludeSubdomains: Bool
    var hstsPreload: Bool
    var contentTypeOptions: Bool
    var frameOptions: String?
    var referrerPolicy: String?

    static let keys = ["hsts_max_age", "hsts_include_subdomains", "hsts_preload", "content_type_options", "frame_options", "referrer_policy"]

    /// `true` gives the defaults; a mapping changes some of them (`false` or `0` turns one off).
    init?(_ value: Value, at path: String) throws {
        if let enabled = value.boolValue {
            guard enabled else { return nil }
            self.init(hstsMaxAge: 63_072_000, hstsIncludeSubdomains: true, hstsPreload: false, contentTypeOptions: true,
                      frameOptions: "DENY", referrerPolicy: "strict-origin-when-cross-origin")
            return
        }
        let f = try HAProxyFields(value, at: path, allowed: Self.keys)
        let maxAge = try f.int("hsts_max_age") ?? 63_072_000
        self.init(hstsMaxAge: maxAge > 0 ? maxAge : nil,
                  hstsIncludeSubdomains: try f.bool("hsts_include_subdomains") ?? true,
                  hstsPreload: try f.bool("hsts_preload") ?? false,
                  contentTypeOptions: try f.bool("content_type_options") ?? true,
                  frameOptions: try Self.optionalText(f, "frame_options", default: "DENY"),
                  referrerPolicy: try Self.optionalText(f, "referrer_policy", default: "strict-origin-when-cross-origin"))
    }

    init(hstsMaxAge: Int?, hstsIncludeSubdomains: Bool, hstsPreload: Bool, contentTypeOptions: Bool, frameOptions: String?, referrerPolicy: String?) {
        self.hstsMaxAge = hstsMaxAge
        self.hstsIncludeSubdomains = hstsIncludeSubdomains
        self.hstsPreload = hstsPreload
        self.contentTypeOptions = contentTypeOptions
        self.frameOptions = frameOptions
        self.referrerPolicy = referrerPolicy
    }

    private static func optionalText(_ f: HAProxyFields, _ key: String, default fallback: String) throws -> String? {
        if let b = f.values[key]?.boolValue { return b ? fallback : nil }
        return try f.string(key) ?? fallback
    }

    var responseRules: [String] {
        var rules: [String] = []
        if let maxAge = hstsMaxAge {
            var value = "max-age=\(maxAge)"
            if hstsIncludeSubdomains { value += "; includeSubDomains" }
            if hstsPreload { value += "; preload" }
            rules.append("http-response set-header Strict-Transport-Security \"\(value)\"")
        }
        if contentTypeOptions { rules.append("http-response set-header X-Content-Type-Options nosniff") }
        if let frameOptions { rules.append("http-response set-header X-Frame-Options \(frameOptions)") }
        if let referrerPolicy { rules.append("http-response set-header Referrer-Policy \(referrerPolicy)") }
        return rules
    }
}

/// HTTP-01 challenges (`/.well-known/acme-challenge/`) go to the ACME client's backend, never to the
/// HTTPS redirect: either an existing backend, or one Keel adds for `server` (`acme_challenge`).
struct HAProxyACMEPassThrough: Equatable, Sendable {
    var backend: String
    var server: String?

    static let acl = "acme_challenge"
    static let generatedBackend = "acme_challenge"

    init(_ value: Value, at path: String) throws {
        let f = try HAProxyFields(value, at: path, allowed: ["backend", "server"])
        server = try f.string("server")
        if let backend = try f.string("backend") {
            self.backend = backend
        } else if server != nil {
            backend = Self.generatedBackend
        } else {
            throw KeelError("haproxy_config: \(path) needs 'backend' or 'server'",
                            expected: "backend: NAME (an existing backend) or server: ADDRESS:PORT (the ACME client's listener)", found: "neither")
        }
    }

    var aclLine: String { "acl \(Self.acl) path_beg /.well-known/acme-challenge/" }
    var useBackendRule: String { "\(backend) if \(Self.acl)" }

    /// The backend for `server`, when Keel makes it.
    var generated: HAProxyBackend? {
        guard let server else { return nil }
        return HAProxyBackend(name: backend, mode: "http", balance: nil, options: [], healthCheck: nil, defaultServer: nil,
                              httpRequest: [], httpResponse: [],
                              servers: [HAProxyServer(name: "acme", address: server, check: false, inter: nil, rise: nil, fall: nil,
                                                      weight: nil, maxconn: nil, backup: false, disabled: false, parameters: nil)],
                              lines: [])
    }
}
