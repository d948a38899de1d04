import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// The data form's rendering and its input checks (no host needed: the text is the specification).
@Suite("haproxy_config rendering") struct HAProxyConfigRenderingTests {
    func render(_ arguments: OrderedDictionary<String, Value>) throws -> String {
        try HAProxyConfigParser.parse(global: arguments["global"], defaults: arguments["defaults"],
                                      frontends: arguments["frontends"]?.listValue ?? [], backends: arguments["backends"]?.listValue ?? [])
            .render()
    }

    @Test func aFullFrontDoorRendersInOneCanonicalLayout() throws {
        let text = try render([
            "global": ["log": "/dev/log local0", "maxconn": 4096, "stats_socket": "/run/haproxy/admin.sock", "daemon": false],
            "defaults": ["mode": "http", "timeout": ["connect": "5s", "client": "30s"], "option": ["httplog", "redispatch"]],
            "frontends": [[
                "name": "www",
                "binds": [":80", ["address": ":443", "ssl_certificates": "/etc/haproxy/certs/", "alpn": ["h2", "http/1.1"]]],
                "redirect_to_https": true,
                "acme_challenge": ["server": "127.0.0.1:8402"],
                "rate_limit": ["requests": 100],
                "security_headers": true,
                "acls": ["is_api": "path_beg /api"],
                "http_request": ["set-header X-Forwarded-Proto https if { ssl_fc }"],
                "use_backends": [["backend": "api", "if": "is_api"]],
                "default_backend": "web",
            ]],
            "backends": [
                ["name": "web", "balance": "roundrobin", "health_check": ["path": "/healthz", "expect": "status 200"],
                 "servers": [["name": "blue", "address": "127.0.0.1:8081", "inter": "2s", "rise": 2, "fall": 3, "weight": 100],
                             ["name": "green", "address": "127.0.0.1:8082", "disabled": true, "backup": true]]],
                ["name": "api", "servers": [["name": "api1", "address": "127.0.0.1:9000", "check": false]]],
            ],
        ])
        #expect(text == """
            # Managed by Keel (haproxy_config): changes made here are replaced on the next run.

            global
                log /dev/log local0
                maxconn 4096
                stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners

            defaults
                mode http
                timeout connect 5s
                timeout client 30s
                option httplog
                option redispatch

            frontend www
                bind :80
                bind :443 ssl crt /etc/haproxy/certs/ alpn h2,http/1.1
                acl acme_challenge path_beg /.well-known/acme-challenge/
                acl is_api path_beg /api
                stick-table type ipv6 size 100k expire 10s store http_req_rate(10s)
                http-request track-sc0 src
                http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
                http-request redirect scheme https code 301 if !{ ssl_fc } !acme_challenge
                http-request set-header X-Forwarded-Proto https if { ssl_fc }
                http-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains"
                http-response set-header X-Content-Type-Options nosniff
                http-response set-header X-Frame-Options DENY
                http-response set-header Referrer-Policy strict-origin-when-cross-origin
                use_backend acme_challenge if acme_challenge
                use_backend api if is_api
                default_backend web

            backend web
                balance roundrobin
                option httpchk
                http-check send meth GET uri /healthz
                http-check expect status 200
                server blue 127.0.0.1:8081 check inter 2s rise 2 fall 3 weight 100
                server green 127.0.0.1:8082 check backup disabled

            backend api
                server api1 127.0.0.1:9000

            backend acme_challenge
                mode http
                server acme 127.0.0.1:8402

            """)
    }

    @Test func omittedDefaultsGetTheStandardBlock() throws {
        let text = try render(["backends": [["name": "web", "servers": [["name": "a", "address": "127.0.0.1:80"]]]]])
        #expect(text.contains("defaults\n    mode http\n    log global\n    option httplog\n    option dontlognull\n    option redispatch\n    retries 3\n"))
        #expect(text.contains("    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n    timeout http-request 10s\n"))
    }

    @Test func aServerStateFileIsDeclaredAndLoadedByTheDefaults() throws {
        let text = try render(["global": ["server_state_file": "/var/lib/haproxy/server-state"],
                               "backends": [["name": "web", "servers": [["name": "a", "address": "127.0.0.1:80"]]]]])
        #expect(text.contains("global\n    server-state-file /var/lib/haproxy/server-state\n"))
        #expect(text.contains("    timeout http-request 10s\n    load-server-state-from-file global\n"))
        #expect(HAProxyConfigModule.serverStateFile(in: text) == "/var/lib/haproxy/server-state")
    }

    @Test func aMisspeltKeyIsAnErrorNamingItsPlace() throws {
        #expect { try render(["frontends": [["name": "www", "binds": [["address": ":443", "alpnn": "h2"]], "default_backend": "web"]],
                               "backends": [["name": "web"]]]) } throws: { error in
            let e = error as? KeelError
            return e?.message == "haproxy_config: frontends[0].binds[0] has an unknown key 'alpnn'" && e?.suggestion == "alpn"
        }
    }

    @Test func aFrontendSendingTrafficToAnUndefinedBackendIsAnError() throws {
        #expect { try render(["frontends": [["name": "www", "binds": [":80"], "default_backend": "wbe"]], "backends": [["name": "web"]]]) } throws: { error in
            let e = error as? KeelError
            return e?.message.contains("backend 'wbe', which is not defined") == true && e?.suggestion == "web"
        }
    }

    @Test func aRateLimitNeedsAPositiveRequestCount() throws {
        #expect { try render(["frontends": [["name": "www", "binds": [":80"], "rate_limit": ["period": "10s"]]]]) } throws: { error in
            (error as? KeelError)?.message == "haproxy_config: frontends[0].rate_limit needs 'requests'"
        }
    }

    @Test func contentAndStructuredFormsExcludeEachOther() throws {
        let runner = ModuleRunner(HAProxyConfigModule.self)
        #expect(throws: KeelError.self) { try runner.validate(["content": "global\n", "backends": []], at: nil) }
        #expect(throws: KeelError.self) { try runner.validate(["path": "/etc/haproxy/haproxy.cfg"], at: nil) }
    }

    @Test func theAdminSocketIsFoundInRawContent() {
        #expect(HAProxyConfigModule.statsSocket(in: "global\n    stats socket /run/a.sock mode 600 level admin\n") == "/run/a.sock")
        #expect(HAProxyConfigModule.statsSocket(in: "global\n    stats timeout 30s\n") == nil)
    }
}
