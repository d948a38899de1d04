import Foundation
import KeelACME
import KeelBase
import KeelEngine
import KeelReport
import OrderedCollections
import Synchronization
import Testing

/// HTTPS bootstrapped on a fresh host in one playbook run, HAProxy answering HTTP-01 from its map; then
/// idempotence, and one renewal (remaining_days above the certificate's lifetime) that reloads HAProxy once
/// while a bounded request loop sees no failure. Check mode predicts each run.
extension ACMELabTests {
@Suite("acme: HAProxy HTTP-01 and the one-run HTTPS bootstrap") struct ACMEHAProxyPlaybookTests {
    static let name = "shop.acme.test"

    /// The playbook docs/acme.md shows, with this test's CA settings.
    static func playbook(_ ca: PebbleCA, accountKey: String, remainingDays: Int) -> String {
        let config = ACMELabHost.haproxyConfig(tls: false).replacingOccurrences(of: "\nbackend web\n", with: "\n{% if site_pem.stat.exists %}frontend https\n  bind :443 ssl crt /etc/haproxy/certs/site.pem\n  default_backend web\n{% endif %}backend web\n")
        let indented = config.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
        return """
            - hosts: web
              gather_facts: false
              vars:
                haproxy_cfg: |
            \(indented)
              handlers:
                - name: reload haproxy
                  service: name=haproxy state=reloaded
              tasks:
                - name: The map HAProxy answers HTTP-01 from (empty until a challenge)
                  copy: {dest: /etc/haproxy/acme-challenge.map, content: "", force: false}
                - name: Is there a certificate yet
                  stat: path=/etc/haproxy/certs/site.pem
                  register: site_pem
                - name: HAProxy configuration (HTTPS once the certificate exists)
                  copy: {dest: /etc/haproxy/haproxy.cfg, content: "{{ haproxy_cfg }}", validate: "haproxy -c -f %s"}
                  notify: reload haproxy
                - name: HAProxy runs
                  service: name=haproxy state=started
                - name: Certificate
                  acme:
                    domains: [\(name)]
                    acme_directory: \(ca.directory)
                    ca_path: \(ca.listenerCAPath)
                    account_key_src: \(accountKey)
                    terms_agreed: true
                    challenge_responder: haproxy
                    privatekey_path: /etc/haproxy/certs/site.key
                    fullchain_dest: /etc/haproxy/certs/site.fullchain.pem
                    combined_dest: /etc/haproxy/certs/site.pem
                    remaining_days: \(remainingDays)
                  notify: reload haproxy
                - name: Is there a certificate now
                  stat: path=/etc/haproxy/certs/site.pem
                  register: site_pem
                - name: HAProxy configuration (HTTPS once the certificate exists)
                  copy: {dest: /etc/haproxy/haproxy.cfg, content: "{{ haproxy_cfg }}", validate: "haproxy -c -f %s"}
                  notify: reload haproxy
            """
    }

    func play(_ host: ACMELabHost, _ ca: PebbleCA, accountKey: String, remainingDays: Int = 10, check: Bool = false) async throws -> (PlaybookRunner.ExitStatus, [HostTaskResult]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-acme-play-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lab = ACMELabHost.lab
        let inventory = """
            [web]
            \(host.host.name) ansible_host=\(host.address) ansible_user=root ansible_ssh_private_key_file=\(lab.clientKeyPath)
            [web:vars]
            ansible_ssh_common_args='-o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes'
            """
        try inventory.write(toFile: directory + "/inventory.ini", atomically: true, encoding: .utf8)
        try Self.playbook(ca, accountKey: accountKey, remainingDays: remainingDays).write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.inventorySources = [directory + "/inventory.ini"]
        options.checkMode = check
        options.diffMode = true
        let recorder = ResultRecorder()
        let status = await PlaybookRunner(options: options, sinks: [recorder]).run([directory + "/site.yml"])
        return (status, recorder.results)
    }

    func changed(_ results: [HostTaskResult]) -> [String] { results.filter { $0.status == .changed }.map(\.task.name) }
    func failures(_ results: [HostTaskResult]) -> [String] { results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" } }

    @Test func bootstrapsHTTPSInOneRunThenRenewsWithOneReload() async throws {
        let (host, ca, rootFile) = try await ACMELab.shared.get()
        try host.reset()
        try host.exec("""
            mkdir -p /var/www/html && echo home > /var/www/html/index.html
            systemctl is-active --quiet acme-web || systemd-run --unit=acme-web --quiet python3 -m http.server 8080 --bind 127.0.0.1 --directory /var/www/html
            rm -f /etc/haproxy/haproxy.cfg
            """)
        let accountKey = ca.workDirectory + "/playbook-account.pem"
        try ACMEAccountKey.generate().pem.write(toFile: accountKey, atomically: true, encoding: .utf8)
        let bootstrapTasks = ["The map HAProxy answers HTTP-01 from (empty until a challenge)", "HAProxy configuration (HTTPS once the certificate exists)",
                              "HAProxy runs", "Certificate", "HAProxy configuration (HTTPS once the certificate exists)", "reload haproxy"]

        // Check mode on the fresh host: everything predicted, nothing done, nothing sent to the CA but GETs.
        let postsBefore = ca.posts()
        let (checkStatus, predicted) = try await play(host, ca, accountKey: accountKey, check: true)
        #expect(ca.posts() == postsBefore, "check mode sent the CA a POST")
        #expect(checkStatus == .ok, "\(failures(predicted))")
        #expect(changed(predicted) == bootstrapTasks)
        #expect(predicted.first { $0.task.name == "Certificate" }?.values["msg"] == "would issue")
        #expect(try host.exec("ls /etc/haproxy/certs 2>/dev/null | wc -l; systemctl is-active haproxy || true") == "0\ninactive\n")

        let started = Date()
        let (status, results) = try await play(host, ca, accountKey: accountKey)
        #expect(ca.posts() > postsBefore, "pebble's log shows no POST of the real run: the check above proves nothing")
        let bootstrapSeconds = Date().timeIntervalSince(started)
        #expect(status == .ok, "\(failures(results))")
        #expect(changed(results) == bootstrapTasks)
        let issuance = results.first { $0.task.name == "Certificate" }?.elapsedSeconds ?? 0
        print("acme bootstrap: one playbook run with issuance took \(String(format: "%.1f", bootstrapSeconds)) s, the acme task (haproxy responder, 1 name) \(String(format: "%.2f", issuance)) s")

        // HTTPS served by HAProxy with pebble's certificate, trusted through pebble's root only. `systemctl reload`
        // returns once HAProxy was signalled; the new worker binds :443 a moment later, so the first answer is awaited.
        var served = host.curlHTTPS(name: Self.name, rootFile: rootFile)
        for _ in 0..<100 where !served.ok {
            try await Task.sleep(for: .milliseconds(100))
            served = host.curlHTTPS(name: Self.name, rootFile: rootFile)
        }
        #expect(served.ok && served.output == "home\n", "\(served.output)")
        let fullchain = try host.exec("cat /etc/haproxy/certs/site.fullchain.pem")
        let root = try String(contentsOfFile: rootFile, encoding: .utf8)
        let leaf = try CertificateChain(pem: fullchain)
        #expect(try host.verify(certificate: leaf.leafPEM, chain: leaf.chainPEM, root: root).contains("cert.pem: OK"))
        #expect(try host.exec("stat -c %a /etc/haproxy/certs/site.key /etc/haproxy/certs/site.pem") == "600\n600\n")
        #expect(try host.exec("echo 'show map /etc/haproxy/acme-challenge.map' | socat stdio unix-connect:/run/haproxy/admin.sock | grep -c . || true") == "0\n",
                "a challenge answer stayed in HAProxy's map")

        // Converged: nothing to do, and check mode agrees.
        let (againStatus, again) = try await play(host, ca, accountKey: accountKey)
        #expect(againStatus == .ok && changed(again) == [], "\(changed(again)) \(failures(again))")
        let (_, againPredicted) = try await play(host, ca, accountKey: accountKey, check: true)
        #expect(changed(againPredicted) == [])

        // remaining_days above the lifetime: exactly one renewal, one reload, predicted, and no failed request meanwhile.
        let lifetime = leaf.daysLeft() + 1
        let postsBeforeRenewalCheck = ca.posts()
        let (_, renewalPredicted) = try await play(host, ca, accountKey: accountKey, remainingDays: lifetime + 10, check: true)
        #expect(ca.posts() == postsBeforeRenewalCheck, "check mode sent the CA a POST")
        #expect(changed(renewalPredicted) == ["Certificate", "reload haproxy"])
        let prediction = renewalPredicted.first { $0.task.name == "Certificate" }?.values["msg"]?.stringValue ?? ""
        #expect(prediction == "would renew (expires in \(leaf.daysLeft()) days)", "\(prediction)")
        #expect(try host.exec("cat /etc/haproxy/certs/site.fullchain.pem") == fullchain, "check mode renewed")

        // The request loop runs from before the run until HAProxy's new worker serves the new certificate, and five
        // requests beyond: `systemctl reload` returns once HAProxy was signalled, the old worker finishes after it.
        let reloadsBefore = try host.haproxyReloads()
        let loop = RequestLoop(host: host, name: Self.name, rootFile: rootFile)
        let requests = Task.detached { loop.run(limit: 2000) }
        for _ in 0..<100 where loop.sent == 0 { try await Task.sleep(for: .milliseconds(50)) }
        let (renewStatus, renewed) = try await play(host, ca, accountKey: accountKey, remainingDays: lifetime + 10)
        #expect(renewStatus == .ok, "\(failures(renewed))")
        #expect(changed(renewed) == ["Certificate", "reload haproxy"])
        let renewedChain = try host.exec("cat /etc/haproxy/certs/site.fullchain.pem")
        #expect(renewedChain != fullchain)
        let fileSerial = try PebbleCA.shell("openssl x509 -noout -serial <<'PEM'\n\(try CertificateChain(pem: renewedChain).leafPEM)PEM")
        var servedSerial = ""
        for _ in 0..<100 {
            servedSerial = (try? PebbleCA.shell("echo | openssl s_client -connect \(host.address):443 -servername \(Self.name) 2>/dev/null | openssl x509 -noout -serial")) ?? ""
            if servedSerial == fileSerial { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(servedSerial == fileSerial)
        let sentAtSwitch = loop.sent
        for _ in 0..<300 where loop.sent < sentAtSwitch + 5 { try await Task.sleep(for: .milliseconds(100)) }
        loop.stop()
        let (sent, failed) = await requests.value
        #expect(sentAtSwitch > 0 && sent > sentAtSwitch, "the request loop did not span the reload: \(sentAtSwitch) requests before the switch, \(sent) in all")
        #expect(failed.isEmpty, "\(failed.count) of \(sent) requests failed during the renewal: \(failed.prefix(3))")
        // Exactly one reload, as HAProxy's master counts them (the handler ran once, and nothing else reloaded).
        #expect(try host.haproxyReloads() == reloadsBefore + 1)
        print("acme renewal: \(sent) HTTPS requests during the run and the reload, \(failed.count) failed")
    }
}
}

/// curl against the host's HTTPS in a loop, bounded in count, until stopped: (requests sent, failures).
final class RequestLoop: Sendable {
    let host: ACMELabHost
    let name: String
    let rootFile: String
    private let stopped = Mutex(false)
    private let count = Mutex(0)
    /// Requests answered so far (ok or not).
    var sent: Int { count.withLock { $0 } }

    init(host: ACMELabHost, name: String, rootFile: String) {
        self.host = host
        self.name = name
        self.rootFile = rootFile
    }

    func stop() { stopped.withLock { $0 = true } }

    func run(limit: Int) -> (Int, [String]) {
        var sent = 0
        var failed: [String] = []
        while sent < limit && !stopped.withLock({ $0 }) {
            let answer = host.curlHTTPS(name: name, rootFile: rootFile)
            sent += 1
            count.withLock { $0 = sent }
            if !answer.ok || answer.output != "home\n" { failed.append(answer.output) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (sent, failed)
    }
}
