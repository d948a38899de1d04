import KeelBase
import OrderedCollections

/// Turns haproxy_config's structured arguments into an HAProxyConfiguration, checking every nested key
/// so mistakes are reported with their place (`backends[1].servers[0]`) before anything touches a host.
enum HAProxyConfigParser {
    static let frontendKeys = ["name", "mode", "binds", "bind", "options", "acls", "rate_limit", "redirect_to_https", "http_request",
                               "security_headers", "http_response", "acme_challenge", "use_backends", "default_backend", "lines"]
    static let bindKeys = ["address", "ssl_certificates", "crt", "alpn", "params"]
    static let backendKeys = ["name", "mode", "balance", "options", "health_check", "default_server", "http_request", "http_response",
                              "servers", "lines"]
    static let healthCheckKeys = ["path", "method", "host", "expect"]
    static let serverKeys = ["name", "address", "check", "inter", "rise", "fall", "weight", "maxconn", "backup", "disabled", "params"]

    /// What `defaults` becomes when it is not given: HTTP mode, timeouts (HAProxy warns without them),
    /// and a retry on another server when a connection fails, which a zero-downtime switch relies on.
    static let standardDefaults: Value = .dict([
        "mode": "http",
        "log": "global",
        "option": .list(["httplog", "dontlognull", "redispatch"]),
        "retries": 3,
        "timeout": .dict(["connect": "5s", "client": "30s", "server": "30s", "http-request": "10s"]),
    ])

    static func parse(global: Value?, defaults: Value?, frontends: [Value], backends: [Value]) throws -> HAProxyConfiguration {
        var statsSocket: String?
        let globalLines = try directives(global ?? .dict([:]), at: "global", statsSocket: &statsSocket)
        var ignored: String?
        var defaultLines = try directives(defaults ?? standardDefaults, at: "defaults", statsSocket: &ignored)
        if globalLines.contains(where: { $0.hasPrefix("server-state-file ") }) && !defaultLines.contains(where: { $0.hasPrefix("load-server-state-from-file") }) {
            defaultLines.append("load-server-state-from-file global")
        }
        let parsedFrontends = try frontends.enumerated().map { try frontend($1, at: "frontends[\($0)]") }
        var parsedBackends = try backends.enumerated().map { try backend($1, at: "backends[\($0)]") }
        for acme in parsedFrontends.compactMap(\.acme) {
            if let generated = acme.generated, !parsedBackends.contains(where: { $0.name == generated.name }) {
                parsedBackends.append(generated)
            }
        }
        try checkNames(parsedFrontends.map(\.name), kind: "frontend")
        try checkNames(parsedBackends.map(\.name), kind: "backend")
        let known = Set(parsedBackends.map(\.name))
        for f in parsedFrontends {
            for target in [f.defaultBackend, f.acme?.backend].compactMap({ $0 }) where !known.contains(target) {
                throw KeelError("haproxy_config: frontend '\(f.name)' sends traffic to backend '\(target)', which is not defined",
                                expected: "one of the backends: \(known.sorted().joined(separator: ", "))", found: target,
                                suggestion: Suggestion.closest(to: target, among: known))
            }
        }
        return HAProxyConfiguration(global: globalLines, defaults: defaultLines, frontends: parsedFrontends, backends: parsedBackends,
                                    statsSocket: statsSocket)
    }

    /// `global` and `defaults`: a mapping of directive -> value. A scalar gives `key value`, `true` gives
    /// the bare keyword, a list repeats the keyword per item, a mapping prefixes each entry (`timeout:
    /// {connect: 5s}` -> `timeout connect 5s`). `stats_socket` is a shorthand for an admin socket,
    /// `server_state_file` keeps servers' runtime states across reloads; `lines` are copied verbatim.
    static func directives(_ value: Value, at path: String, statsSocket: inout String?) throws -> [String] {
        guard let dict = value.dictValue else {
            throw KeelError("haproxy_config: \(path) must be a mapping of directives", expected: "e.g. {maxconn: 4096, log: /dev/log local0}",
                            found: "\(value.typeName) \(value.shortText)")
        }
        var lines: [String] = []
        for (key, item) in dict {
            switch key {
            case "lines":
                lines += try HAProxyFields(.dict(["lines": item]), at: path, allowed: ["lines"]).strings("lines")
            case "stats_socket":
                let socket = try statsSocketLine(item, at: "\(path).stats_socket")
                statsSocket = socket.path
                lines.append(socket.line)
            case "server_state_file":
                // Runtime states (drain, maint, weights) survive reloads: haproxy_config saves them here
                // before reloading, and defaults gets `load-server-state-from-file global`.
                guard let file = item.stringValue, file.hasPrefix("/") else {
                    throw KeelError("haproxy_config: \(path).server_state_file must be an absolute path", expected: "e.g. /var/lib/haproxy/server-state",
                                    found: "\(item.typeName) \(item.shortText)")
                }
                lines.append("server-state-file \(file)")
            default:
                lines += try directiveLines(key, item, at: "\(path).\(key)")
            }
        }
        return lines
    }

    private static func directiveLines(_ key: String, _ item: Value, at path: String) throws -> [String] {
        switch item {
        case .null: return []
        case .bool(let on): return on ? [key] : []
        case .string(let s): return ["\(key) \(s)"]
        case .int(let i): return ["\(key) \(i)"]
        case .double(let d): return ["\(key) \(d)"]
        case .list(let items): return try items.enumerated().flatMap { try directiveLines(key, $1, at: "\(path)[\($0)]") }
        case .dict(let entries): return try entries.flatMap { try directiveLines("\(key) \($0.key)", $0.value, at: "\(path).\($0.key)") }
        }
    }

    /// `stats socket PATH mode 660 level admin expose-fd listeners`: admin level for haproxy_server,
    /// expose-fd so a reload can take over the listening sockets without a gap.
    static func statsSocketLine(_ value: Value, at path: String) throws -> (path: String, line: String) {
        if let socketPath = value.stringValue {
            return (socketPath, "stats socket \(socketPath) mode 660 level admin expose-fd listeners")
        }
        let f = try HAProxyFields(value, at: path, allowed: ["path", "mode", "level", "params"])
        let socketPath = try f.requiredString("path")
        var line = "stats socket \(socketPath) mode \(try f.string("mode") ?? "660") level \(try f.string("level") ?? "admin")"
        line += " " + (try f.string("params") ?? "expose-fd listeners")
        return (socketPath, line.trimmingCharacters(in: .whitespaces))
    }

    static func frontend(_ value: Value, at path: String) throws -> HAProxyFrontend {
        let f = try HAProxyFields(value, at: path, allowed: frontendKeys)
        let name = try sectionName(f)
        var binds = try f.list("binds").enumerated().map { try bind($1, at: "\(path).binds[\($0)]") }
        if let single = f.values["bind"], !single.isNull { binds.insert(try bind(single, at: "\(path).bind"), at: 0) }
        if binds.isEmpty {
            throw KeelError("haproxy_config: frontend '\(name)' has no bind", expected: "binds: a list such as [\":80\"]", found: "nothing")
        }
        var redirect: Int?
        if let raw = f.values["redirect_to_https"], !raw.isNull {
            if let on = try? f.bool("redirect_to_https") { redirect = on ? 301 : nil } else if let code = try f.int("redirect_to_https") {
                guard [301, 302, 303, 307, 308].contains(code) else {
                    throw KeelError("haproxy_config: \(path).redirect_to_https has an unknown status", expected: "true or one of 301, 302, 303, 307, 308",
                                    found: String(code))
                }
                redirect = code
            }
        }
        return HAProxyFrontend(
            name: name, mode: try f.string("mode"), binds: binds, options: try f.strings("options"),
            acls: try acls(f.values["acls"], at: "\(path).acls"),
            rateLimit: try f.values["rate_limit"].flatMap { $0.isNull ? nil : try HAProxyRateLimit($0, at: "\(path).rate_limit") },
            redirectToHTTPS: redirect, httpRequest: try f.strings("http_request"),
            securityHeaders: try f.values["security_headers"].flatMap { $0.isNull ? nil : try HAProxySecurityHeaders($0, at: "\(path).security_headers") },
            httpResponse: try f.strings("http_response"),
            acme: try f.values["acme_challenge"].flatMap { $0.isNull ? nil : try HAProxyACMEPassThrough($0, at: "\(path).acme_challenge") },
            useBackends: try useBackends(f.list("use_backends"), at: "\(path).use_backends"),
            defaultBackend: try f.string("default_backend"), lines: try f.strings("lines"))
    }

    static func bind(_ value: Value, at path: String) throws -> HAProxyBind {
        if let text = value.stringValue { return HAProxyBind(address: text, certificates: [], alpn: [], parameters: nil) }
        if let port = value.intValue { return HAProxyBind(address: ":\(port)", certificates: [], alpn: [], parameters: nil) }
        let f = try HAProxyFields(value, at: path, allowed: bindKeys)
        return HAProxyBind(address: try f.requiredString("address"),
                           certificates: try f.strings("ssl_certificates") + f.strings("crt"),
                           alpn: try f.strings("alpn").flatMap { $0.split(separator: ",").map(String.init) },
                           parameters: try f.string("params"))
    }

    /// A mapping name -> condition (a list of conditions gives one line each, which HAProxy ORs), or a
    /// list of {name, condition}.
    static func acls(_ value: Value?, at path: String) throws -> [(name: String, condition: String)] {
        guard let value, !value.isNull else { return [] }
        if let dict = value.dictValue {
            return try dict.flatMap { name, condition in
                try HAProxyFields(.dict(["c": condition]), at: "\(path).\(name)", allowed: ["c"]).strings("c").map { (name, $0) }
            }
        }
        guard let list = value.listValue else {
            throw KeelError("haproxy_config: \(path) must be a mapping or a list", expected: "{is_api: \"path_beg /api\"}",
                            found: "\(value.typeName) \(value.shortText)")
        }
        return try list.enumerated().map { index, item in
            let f = try HAProxyFields(item, at: "\(path)[\(index)]", allowed: ["name", "condition"])
            return (try f.requiredString("name"), try f.requiredString("condition"))
        }
    }

    /// Each item is `{backend: NAME, if: COND}` (or `unless:`), or the raw text after `use_backend`.
    static func useBackends(_ items: [Value], at path: String) throws -> [String] {
        try items.enumerated().map { index, item in
            if let text = item.stringValue { return text }
            let f = try HAProxyFields(item, at: "\(path)[\(index)]", allowed: ["backend", "if", "unless"])
            let backend = try f.requiredString("backend")
            if let condition = try f.string("if") { return "\(backend) if \(condition)" }
            if let condition = try f.string("unless") { return "\(backend) unless \(condition)" }
            return backend
        }
    }

    static func backend(_ value: Value, at path: String) throws -> HAProxyBackend {
        let f = try HAProxyFields(value, at: path, allowed: backendKeys)
        var check: HAProxyHealthCheck?
        if let raw = f.values["health_check"], !raw.isNull {
            let h = try HAProxyFields(raw, at: "\(path).health_check", allowed: healthCheckKeys)
            check = HAProxyHealthCheck(method: try h.string("method") ?? "GET", path: try h.string("path") ?? "/", host: try h.string("host"),
                                       expect: try h.string("expect") ?? "status 200-399")
        }
        let servers = try f.list("servers").enumerated().map { try server($1, at: "\(path).servers[\($0)]") }
        try checkNames(servers.map(\.name), kind: "server in \(path)")
        return HAProxyBackend(name: try sectionName(f), mode: try f.string("mode"), balance: try f.string("balance"),
                              options: try f.strings("options"), healthCheck: check, defaultServer: try f.string("default_server"),
                              httpRequest: try f.strings("http_request"), httpResponse: try f.strings("http_response"),
                              servers: servers, lines: try f.strings("lines"))
    }

    static func server(_ value: Value, at path: String) throws -> HAProxyServer {
        let f = try HAProxyFields(value, at: path, allowed: serverKeys)
        return HAProxyServer(name: try sectionName(f), address: try f.requiredString("address"), check: try f.bool("check") ?? true,
                             inter: try f.string("inter"), rise: try f.int("rise"), fall: try f.int("fall"), weight: try f.int("weight"),
                             maxconn: try f.int("maxconn"), backup: try f.bool("backup") ?? false, disabled: try f.bool("disabled") ?? false,
                             parameters: try f.string("params"))
    }

    private static func sectionName(_ f: HAProxyFields) throws -> String {
        let name = try f.requiredString("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
            throw KeelError("haproxy_config: \(f.path).name is not a valid HAProxy name", expected: "letters, digits, '-', '_', '.', ':'", found: name)
        }
        return name
    }

    private static func checkNames(_ names: [String], kind: String) throws {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw KeelError("haproxy_config: two of \(kind) are named '\(name)'", expected: "unique names", found: "'\(name)' twice")
        }
    }
}
