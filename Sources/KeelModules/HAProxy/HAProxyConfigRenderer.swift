/// Prints an HAProxyConfiguration as haproxy.cfg in one canonical layout: sections in a fixed order
/// (global, defaults, frontends, backends), keywords indented four spaces, and within a frontend the
/// order HAProxy evaluates rules in (ACLs, then http-request, http-response, use_backend), so the same
/// data always gives the same bytes and HAProxy never warns about rule order.
enum HAProxyConfigRenderer {
    static let header = "# Managed by Keel (haproxy_config): changes made here are replaced on the next run.\n"

    static func render(_ config: HAProxyConfiguration) -> String {
        var sections = [section("global", config.global), section("defaults", config.defaults)]
        sections += config.frontends.map { section("frontend \($0.name)", lines(for: $0)) }
        sections += config.backends.map { section("backend \($0.name)", lines(for: $0)) }
        return header + "\n" + sections.joined(separator: "\n")
    }

    static func section(_ title: String, _ body: [String]) -> String {
        title + "\n" + body.map { "    \($0)\n" }.joined()
    }

    static func lines(for f: HAProxyFrontend) -> [String] {
        var out: [String] = []
        for bind in f.binds { out.append(bindLine(bind)) }
        if let mode = f.mode { out.append("mode \(mode)") }
        out += f.options.map { "option \($0)" }
        if let acme = f.acme { out.append(acme.aclLine) }
        out += f.acls.map { "acl \($0.name) \($0.condition)" }
        if let limit = f.rateLimit { out.append(limit.tableLine); out += limit.requestRules }
        if let code = f.redirectToHTTPS {
            let exemption = f.acme != nil ? " !\(HAProxyACMEPassThrough.acl)" : ""
            out.append("http-request redirect scheme https code \(code) if !{ ssl_fc }\(exemption)")
        }
        out += f.httpRequest.map { "http-request \($0)" }
        out += f.securityHeaders?.responseRules ?? []
        out += f.httpResponse.map { "http-response \($0)" }
        if let acme = f.acme { out.append("use_backend \(acme.useBackendRule)") }
        out += f.useBackends.map { "use_backend \($0)" }
        if let backend = f.defaultBackend { out.append("default_backend \(backend)") }
        return out + f.lines
    }

    static func bindLine(_ b: HAProxyBind) -> String {
        var words = ["bind", b.address]
        if !b.certificates.isEmpty { words.append("ssl"); words += b.certificates.flatMap { ["crt", $0] } }
        if !b.alpn.isEmpty { words += ["alpn", b.alpn.joined(separator: ",")] }
        if let parameters = b.parameters { words.append(parameters) }
        return words.joined(separator: " ")
    }

    static func lines(for b: HAProxyBackend) -> [String] {
        var out: [String] = []
        if let mode = b.mode { out.append("mode \(mode)") }
        if let balance = b.balance { out.append("balance \(balance)") }
        out += b.options.map { "option \($0)" }
        if let check = b.healthCheck {
            out.append("option httpchk")
            var send = "http-check send meth \(check.method) uri \(check.path)"
            if let host = check.host { send += " hdr Host \(host)" }
            out.append(send)
            out.append("http-check expect \(check.expect)")
        }
        if let defaultServer = b.defaultServer { out.append("default-server \(defaultServer)") }
        out += b.httpRequest.map { "http-request \($0)" }
        out += b.httpResponse.map { "http-response \($0)" }
        out += b.lines
        out += b.servers.map(serverLine)
        return out
    }

    static func serverLine(_ s: HAProxyServer) -> String {
        var words = ["server", s.name, s.address]
        if s.check { words.append("check") }
        if let inter = s.inter { words += ["inter", inter] }
        if let rise = s.rise { words += ["rise", String(rise)] }
        if let fall = s.fall { words += ["fall", String(fall)] }
        if let weight = s.weight { words += ["weight", String(weight)] }
        if let maxconn = s.maxconn { words += ["maxconn", String(maxconn)] }
        if s.backup { words.append("backup") }
        if s.disabled { words.append("disabled") }
        if let parameters = s.parameters { words.append(parameters) }
        return words.joined(separator: " ")
    }
}

extension HAProxyConfiguration {
    func render() -> String { HAProxyConfigRenderer.render(self) }
}
