import Foundation
import KeelBase
import KeelEngine
import KeelLab
import KeelModules
import KeelReport
import KeelTestSupport
import KeelTransport
import OrderedCollections
import Synchronization

/// The systemd lab host of the ACME suites, with pebble pointing every name at it: HAProxy (from the lab
/// tree, started by the tests) on :80 answers HTTP-01 from its map and passes everything else to a small web
/// server on 127.0.0.1:8080 serving /var/www/html (the webroot responder's directory).
struct ACMELabHost: Sendable {
    let host: LabHost
    let context: HostContext
    static let lab = LabFixture.shared.lab

    static func make(prefix: String = "acme") async throws -> ACMELabHost {
        let host = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: prefix)[0]
        var target = SSHTarget(hostName: host.name, address: host.address, port: 22, user: "root", knownHostsFiles: [lab.knownHostsPath])
        target.identityFiles = [lab.clientKeyPath]
        target.identitiesOnly = true
        target.useAgent = false
        target.hostKeyPolicy = .strict
        let connection = try await SSHConnection.connect(target)
        var context = HostContext(name: host.name, connection: connection)
        context.services = ControllerServices(state: RunStateStore(stateDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("keel-acme-state-\(UUID().uuidString.prefix(8))").path))
        return ACMELabHost(host: host, context: context)
    }

    var address: String { host.address }

    @discardableResult
    func exec(_ script: String) throws -> String {
        let result = try Self.lab.exec(host.name, script)
        guard result.status == 0 else { throw PebbleCA.Failure("`\(script)` exited \(result.status): \(result.stderr)\(result.stdout)") }
        return result.stdout
    }

    func run<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await ModuleRunner(module).run(arguments, at: nil, on: context, mode: mode)
    }

    /// The error a run fails with (nil when it does not fail).
    func failure<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>) async -> String? {
        do {
            let result = try await run(module, arguments)
            return result.failed ? (result.message ?? "failed without a message") : nil
        } catch { return "\(error)" }
    }

    /// The web server behind HAProxy, and an HTTP-only HAProxy with the ACME map rule, running.
    func startHTTPOnly() throws {
        try exec("""
            mkdir -p /var/www/html /etc/haproxy/certs && echo home > /var/www/html/index.html
            systemctl is-active --quiet acme-web || systemd-run --unit=acme-web --quiet python3 -m http.server 8080 --bind 127.0.0.1 --directory /var/www/html
            touch /etc/haproxy/acme-challenge.map
            cat > /etc/haproxy/haproxy.cfg <<'CFG'
            \(Self.haproxyConfig(tls: false))
            CFG
            systemctl restart haproxy && systemctl is-active haproxy
            for i in $(seq 1 100); do curl -fs -o /dev/null http://127.0.0.1/ && exit 0; sleep 0.1; done; exit 1
            """)
    }

    /// The configuration the tests and docs/acme.md use: HTTP-01 answered from the map, HTTPS once `tls`.
    static func haproxyConfig(tls: Bool) -> String {
        """
        global
          stats socket /run/haproxy/admin.sock mode 660 level admin
        defaults
          mode http
          timeout connect 5s
          timeout client 30s
          timeout server 30s
        frontend http
          bind :80
          http-request return status 200 content-type text/plain lf-string "%[path,field(4,/),map(/etc/haproxy/acme-challenge.map)]" if { path_beg /.well-known/acme-challenge/ } { path,field(4,/),map(/etc/haproxy/acme-challenge.map) -m found }
          default_backend web
        \(tls ? "frontend https\n  bind :443 ssl crt /etc/haproxy/certs/site.pem\n  default_backend web\n" : "")backend web
          server web1 127.0.0.1:8080
        """
    }

    /// HAProxy with the HTTPS frontend too (its `crt` is /etc/haproxy/certs/site.pem), restarted, answering on :443.
    func serveHTTPS() throws {
        try exec("""
            cat > /etc/haproxy/haproxy.cfg <<'CFG'
            \(Self.haproxyConfig(tls: true))
            CFG
            haproxy -c -q -f /etc/haproxy/haproxy.cfg && systemctl restart haproxy
            for i in $(seq 1 100); do curl -fsk -o /dev/null https://127.0.0.1/ && exit 0; sleep 0.1; done; exit 1
            """)
    }

    /// How often HAProxy's master reloaded since it started (`show proc` on the master socket of Debian's unit).
    func haproxyReloads() throws -> Int {
        let text = try exec("echo 'show proc' | socat stdio unix-connect:/run/haproxy-master.sock")
        guard let line = text.split(separator: "\n").first(where: { $0.contains("master") }),
              let reloads = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst(2).first.flatMap({ Int($0) }) else {
            throw PebbleCA.Failure("HAProxy's master did not say how often it reloaded: \(text)")
        }
        return reloads
    }

    /// A clean slate: no certificate files, HAProxy stopped.
    func reset() throws {
        try exec("systemctl stop haproxy || true; rm -rf /etc/haproxy/certs /etc/ssl/keel-acme /var/www/html/.well-known; rm -f /etc/haproxy/acme-challenge.map")
    }

    /// `openssl verify` on this machine: the host's certificate against pebble's root, the chain as untrusted intermediates.
    func verify(certificate: String, chain: String, root: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-acme-verify-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try certificate.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        try chain.write(toFile: directory + "/chain.pem", atomically: true, encoding: .utf8)
        try root.write(toFile: directory + "/root.pem", atomically: true, encoding: .utf8)
        return try PebbleCA.shell("openssl verify -CAfile \(directory)/root.pem -untrusted \(directory)/chain.pem \(directory)/cert.pem 2>&1")
    }

    /// `openssl x509 -text` of a PEM certificate (the first in the text).
    static func x509Text(_ pem: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-acme-x509-\(UUID().uuidString.prefix(8)).pem").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try pem.write(toFile: file, atomically: true, encoding: .utf8)
        return try PebbleCA.shell("openssl x509 -noout -text -in \(file)")
    }

    /// The DNS names and key type openssl reads from a certificate, for comparisons that do not trust Keel's parser.
    static func namesAndKeyType(_ pem: String) throws -> (names: [String], keyType: String) {
        let text = try x509Text(pem)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let sanIndex = lines.firstIndex { $0.hasPrefix("X509v3 Subject Alternative Name") }
        let names = sanIndex.map { lines[$0 + 1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "DNS:", with: "") }.sorted() } ?? []
        let algorithm = lines.first { $0.hasPrefix("Public Key Algorithm:") } ?? "?"
        let size = lines.first { $0.hasPrefix("Public-Key:") } ?? "?"
        let curve = lines.first { $0.hasPrefix("NIST CURVE:") || $0.hasPrefix("ASN1 OID:") } ?? ""
        return (names, "\(algorithm) \(size) \(curve)")
    }

    /// curl from the controller to the host's HTTPS, trusting only `rootFile`, for `name` resolved to the host.
    func curlHTTPS(name: String, rootFile: String) -> (ok: Bool, output: String) {
        do {
            let out = try PebbleCA.shell("curl -sS --max-time 5 --cacert \(rootFile) --resolve \(name):443:\(address) https://\(name)/ 2>&1")
            return (true, out)
        } catch { return (false, "\(error)") }
    }
}

/// Collects a playbook run's task results.
final class ResultRecorder: ReportSink, Sendable {
    private let store = Mutex<[HostTaskResult]>([])
    var results: [HostTaskResult] { store.withLock { $0 } }
    func handle(_ event: RunEvent) async {
        if case .hostResult(let result) = event { store.withLock { $0.append(result) } }
    }
}
