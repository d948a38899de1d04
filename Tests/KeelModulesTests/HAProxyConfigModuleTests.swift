import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// haproxy_config against Debian's HAProxy on a systemd lab host, reached over SSH; traffic goes from
/// this machine to the host's lab address, as a browser's would.
@Suite("haproxy_config on a real host", .serialized) struct HAProxyConfigModuleTests {
    static let socket = "/run/haproxy-admin.sock"
    static let port = 8080

    /// A frontend on :8080 in front of two small HTTP servers, plus whatever the test adds.
    static func arguments(frontend extra: OrderedDictionary<String, Value> = [:], servers: [Value]? = nil) -> OrderedDictionary<String, Value> {
        var frontend: OrderedDictionary<String, Value> = ["name": "www", "binds": [.string(":\(port)")], "default_backend": "web"]
        for (k, v) in extra { frontend[k] = v }
        return [
            "global": ["stats_socket": .string(socket), "maxconn": 1000],
            "frontends": [.dict(frontend)],
            "backends": [[
                "name": "web", "balance": "roundrobin", "health_check": ["path": "/"],
                "servers": .list(servers ?? [["name": "one", "address": "127.0.0.1:9101", "inter": "500ms"],
                                             ["name": "two", "address": "127.0.0.1:9102", "inter": "500ms"]]),
            ]],
        ]
    }

    /// A host with the two backends up and HAProxy running on the arguments' configuration.
    func serving(_ arguments: OrderedDictionary<String, Value>) async throws -> HAProxyLabHost {
        let lab = try await HAProxyLabHost.make(prefix: "hap-cfg")
        try lab.startBackend(port: 9101, name: "one")
        try lab.startBackend(port: 9102, name: "two")
        _ = try await lab.run(HAProxyConfigModule.self, arguments)
        try lab.startHAProxy()
        return lab
    }

    @Test func convergingTwiceChangesNothingTheSecondTimeAndCheckModeOnlyPredicts() async throws {
        let lab = try await serving(Self.arguments())
        let changed = Self.arguments(frontend: ["security_headers": true])
        let fileBefore = try lab.exec("sha256sum /etc/haproxy/haproxy.cfg")
        let mainPID = try lab.exec("systemctl show -p MainPID --value haproxy")
        let workersBefore = try lab.exec("pgrep -P \(mainPID.trimmingCharacters(in: .whitespacesAndNewlines)) | sort")

        let predicted = try await lab.run(HAProxyConfigModule.self, changed, .check)
        #expect(predicted.changed)
        #expect(predicted.diffs.count == 1)
        #expect(predicted.diffs.first?.after.contains("http-response set-header X-Frame-Options DENY") == true)
        #expect(try lab.exec("sha256sum /etc/haproxy/haproxy.cfg") == fileBefore, "check mode wrote the file")
        #expect(try lab.exec("pgrep -P \(mainPID.trimmingCharacters(in: .whitespacesAndNewlines)) | sort") == workersBefore, "check mode reloaded HAProxy")

        let applied = try await lab.run(HAProxyConfigModule.self, changed)
        #expect(applied.changed)
        #expect(applied.diffs == predicted.diffs, "the real run changes exactly what check mode predicted")
        #expect(applied.values["reload_method"] == "systemd")
        let worker = try #require(applied.values["worker_pid"]?.intValue)
        #expect(!workersBefore.split(separator: "\n").contains(Substring(String(worker))), "a new worker serves after the reload")
        #expect(try lab.curl(port: Self.port).status == 200)

        let again = try await lab.run(HAProxyConfigModule.self, changed)
        #expect(again.changed == false)
        #expect(try await lab.run(HAProxyConfigModule.self, changed, .check).changed == false)
    }

    @Test func anInvalidConfigurationIsRefusedWithHAProxysMessageAndTheOldOneKeepsServing() async throws {
        let lab = try await serving(Self.arguments())
        let before = try lab.exec("cat /etc/haproxy/haproxy.cfg")
        let broken = Self.arguments(frontend: ["lines": ["no-such-keyword here"]])
        for mode in [RunMode.check, .apply] {
            await #expect { try await lab.run(HAProxyConfigModule.self, broken, mode) } throws: { error in
                "\(error)".contains("no-such-keyword") && "\(error)".contains("unknown keyword")
            }
        }
        #expect(try lab.exec("cat /etc/haproxy/haproxy.cfg") == before)
        #expect(try lab.exec("ls -a /etc/haproxy").contains(".keel-") == false, "no temporary file is left behind")
        let answer = try lab.curl(port: Self.port)
        #expect(answer.status == 200)
        #expect(["one", "two"].contains(answer.body.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func rateLimitingAnswers429PastTheLimit() async throws {
        let limited = Self.arguments(frontend: ["rate_limit": ["requests": 5, "period": "30s"]])
        let lab = try await serving(limited)
        _ = try await lab.run(HAProxyConfigModule.self, limited)
        // A fresh table: the reload above or the start gave an empty one only if the file changed, so clear it.
        try lab.exec("echo 'clear table www' | socat stdio unix-connect:\(Self.socket)")
        let statuses = try (1...8).map { _ in try lab.curl(port: Self.port).status }
        print("rate limit 5 per 30s, 8 requests answered:", statuses)
        #expect(Array(statuses.prefix(5)) == [200, 200, 200, 200, 200])
        #expect(Array(statuses.suffix(3)) == [429, 429, 429])
    }

    @Test func securityHeadersArePresent() async throws {
        let headers = Self.arguments(frontend: ["security_headers": ["frame_options": "SAMEORIGIN", "hsts_max_age": 31536000]])
        let lab = try await serving(headers)
        _ = try await lab.run(HAProxyConfigModule.self, headers)
        let answer = try lab.curl(port: Self.port).headers.lowercased()
        #expect(answer.contains("strict-transport-security: max-age=31536000; includesubdomains"))
        #expect(answer.contains("x-content-type-options: nosniff"))
        #expect(answer.contains("x-frame-options: sameorigin"))
        #expect(answer.contains("referrer-policy: strict-origin-when-cross-origin"))
    }

    @Test func tlsFromACertificateDirectoryWithALPNRedirectsHTTPButPassesACMEChallengesThrough() async throws {
        let lab = try await serving(Self.arguments())
        try lab.exec("""
            mkdir -p /etc/haproxy/certs /srv/acme/.well-known/acme-challenge  # the directory form of `crt`
            [ -s /etc/haproxy/certs/site.pem ] || { openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=lab.example -days 2 \\
              -keyout /tmp/site.key -out /tmp/site.crt 2>/dev/null && cat /tmp/site.crt /tmp/site.key > /etc/haproxy/certs/site.pem; }
            echo token-content > /srv/acme/.well-known/acme-challenge/token1
            """)
        try lab.startBackend(port: 9181, name: "acme")
        var tls = Self.arguments(frontend: [
            "binds": [.string(":\(Self.port)"), ["address": ":8443", "ssl_certificates": "/etc/haproxy/certs/", "alpn": ["h2", "http/1.1"]]],
            "redirect_to_https": true,
            "acme_challenge": ["server": "127.0.0.1:9181"],
            "security_headers": true,
        ])
        tls["global"] = ["stats_socket": .string(Self.socket), "maxconn": 1000]
        let result = try await lab.run(HAProxyConfigModule.self, tls)
        #expect(result.changed)

        let secure = try lab.curl(port: 8443, scheme: "https", options: ["-k", "--http2"])
        #expect(secure.status == 200)
        #expect(secure.headers.hasPrefix("HTTP/2 200"), "ALPN offered h2: \(secure.headers.prefix(40))")
        #expect(secure.headers.lowercased().contains("strict-transport-security: max-age=63072000; includesubdomains"))
        let plain = try lab.curl(port: Self.port, path: "/page")
        #expect(plain.status == 301)
        #expect(plain.headers.lowercased().contains("location: https://\(lab.host.address):\(Self.port)/page"))
        let challenge = try lab.curl(port: Self.port, path: "/.well-known/acme-challenge/token1")
        #expect(challenge.status == 200, "ACME challenges are not redirected")
        #expect(challenge.body.contains("token-content"))
    }

    @Test func aDeadBackendServerIsMarkedDownByItsHealthCheck() async throws {
        // The live server tolerates missed checks (fall 20): on a loaded machine one slow answer must not take
        // it down while the dead one, fall 1, goes down at its first failed check.
        let servers: [Value] = [["name": "alive", "address": "127.0.0.1:9101", "inter": "200ms", "fall": 20, "rise": 1],
                                ["name": "dead", "address": "127.0.0.1:9109", "inter": "200ms", "fall": 1, "rise": 1]]
        let lab = try await serving(Self.arguments(servers: servers))
        _ = try await lab.run(HAProxyConfigModule.self, Self.arguments(servers: servers))
        let marked = try await lab.eventually {
            let status = try lab.serverStatus(socket: Self.socket)
            return status["web/dead"]?.hasPrefix("DOWN") == true && status["web/alive"]?.hasPrefix("UP") == true
        }
        let seen = try lab.serverStatus(socket: Self.socket)
        #expect(marked, "web/dead should be DOWN and web/alive UP: \(seen)")
        for _ in 1...4 { #expect(try lab.curl(port: Self.port).body.contains("one"), "only the live server gets requests") }
    }

    @Test func withoutSystemdAMasterWorkerIsReloadedThroughItsPidfile() async throws {
        let lab = try await serving(Self.arguments())
        try lab.exec("systemctl stop haproxy; haproxy -W -D -f /etc/haproxy/haproxy.cfg -p /run/keel-test-haproxy.pid")
        defer { _ = try? lab.exec("kill $(head -n1 /run/keel-test-haproxy.pid) 2>/dev/null; true") }
        var arguments = Self.arguments(frontend: ["http_response": ["set-header X-Reloaded master-worker"]])
        arguments["pidfile"] = "/run/keel-test-haproxy.pid"
        let result = try await lab.run(HAProxyConfigModule.self, arguments)
        #expect(result.values["reload_method"] == "master-worker")
        #expect(try lab.curl(port: Self.port).headers.lowercased().contains("x-reloaded: master-worker"))
    }

    @Test func withoutSystemdAPlainDaemonIsReplacedWithSoftStop() async throws {
        let lab = try await serving(Self.arguments())
        try lab.exec("systemctl stop haproxy; haproxy -D -f /etc/haproxy/haproxy.cfg -p /run/keel-test-haproxy.pid")
        defer { _ = try? lab.exec("kill $(cat /run/keel-test-haproxy.pid) 2>/dev/null; true") }
        let old = try lab.exec("cat /run/keel-test-haproxy.pid")
        var arguments = Self.arguments(frontend: ["http_response": ["set-header X-Reloaded sf"]])
        arguments["pidfile"] = "/run/keel-test-haproxy.pid"
        let result = try await lab.run(HAProxyConfigModule.self, arguments)
        #expect(result.values["reload_method"] == "sf")
        #expect(try lab.exec("cat /run/keel-test-haproxy.pid") != old)
        #expect(try lab.curl(port: Self.port).headers.lowercased().contains("x-reloaded: sf"))
    }

    @Test func aStoppedHAProxyGetsItsFileButIsNotStarted() async throws {
        let lab = try await serving(Self.arguments())
        try lab.exec("systemctl stop haproxy")
        let result = try await lab.run(HAProxyConfigModule.self, Self.arguments(frontend: ["options": ["forwardfor"]]))
        #expect(result.changed)
        #expect(result.values["reloaded"] == false)
        #expect(result.values["reload_method"] == "none")
        #expect(try lab.exec("systemctl is-active haproxy || true").trimmingCharacters(in: .whitespacesAndNewlines) == "inactive")
    }
}
