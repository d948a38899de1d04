import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing

/// Issue 20 end to end: playbooks/vps.yml with inventory/lab's group_vars, run by the real `keel` binary
/// against a fresh systemd lab host (the VPS), with a light lab host as "the outside" and scripts/vps-lab
/// serving the apt repository, the sample application's git repository and pebble on this machine.
/// One test, so the hosts and the (slow) first converge are shared by every step.
@Suite("The reference VPS deployment on a lab host", .serialized) struct VPSReferenceLabTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let domain = "vps.lab.test"

    struct Run {
        let status: Int32
        let events: [[String: Any]]
        let seconds: Double
        var results: [[String: Any]] { events.filter { $0["event"] as? String == "host_result" } }
        /// Task names (without the role prefix) that changed, once per task.
        var changed: [String] {
            var names: [String] = []
            for result in results where result["status"] as? String == "changed" {
                let name = ((result["task"] as? [String: Any])?["name"] as? String) ?? "?"
                if names.last != name { names.append(name) }
            }
            return names
        }
        /// Seconds the tasks of one role took (their results' durations added up).
        func seconds(ofRole role: String) -> Double {
            results.filter { (($0["task"] as? [String: Any])?["name"] as? String)?.hasPrefix(role + " : ") == true }
                .compactMap { $0["duration"] as? Double }.reduce(0, +)
        }
        var failures: [String] {
            results.filter { $0["status"] as? String == "failed" }.map { "\(($0["task"] as? [String: Any])?["name"] ?? "?"): \($0["msg"] ?? "")" }
        }
    }

    final class Deployment: @unchecked Sendable {
        let lab = LabFixture.shared.lab
        let vps: LabHost
        let outside: LabHost
        let directory: String
        let state: String

        init() async throws {
            // A bare host: whatever an earlier run left goes.
            if try lab.list().contains(where: { $0.name == "t-vps-1" }) { try lab.down(names: ["t-vps-1"]) }
            vps = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: "vps")[0]
            outside = try await LabFixture.shared.hosts(1, prefix: "vpsout")[0]
            state = lab.directory + "/vps-lab"
            // A fresh application repository (release 1 on every branch), then the services.
            try? FileManager.default.removeItem(atPath: state + "/git")
            try Self.shell("KEEL_LAB_DIR=\(lab.directory) \(VPSReferenceLabTests.repository)/scripts/vps-lab start \(vps.address)")
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-vps-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // inventory/lab's group_vars, with the test's host in `prod`.
            try FileManager.default.createSymbolicLink(atPath: directory + "/group_vars", withDestinationPath: VPSReferenceLabTests.repository + "/inventory/lab/group_vars")
            try """
                all:
                  children:
                    vps:
                      children:
                        prod:
                          hosts:
                            \(vps.name):
                              ansible_host: \(vps.address)
                              ansible_user: root
                              ansible_ssh_private_key_file: \(lab.clientKeyPath)
                              ansible_ssh_common_args: -o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes
                """.write(toFile: directory + "/hosts.yml", atomically: true, encoding: .utf8)
            // The outside host trusts pebble's root for its HTTPS requests.
            _ = try lab.exec(outside.name, "cat > /root/vps-root.pem <<'EOF'\n\(try String(contentsOfFile: state + "/pebble-root.pem", encoding: .utf8))EOF")
        }

        func play(_ playbook: String = "vps.yml", check: Bool = false, extraVars: [String] = []) throws -> Run {
            var arguments = ["play", VPSReferenceLabTests.repository + "/playbooks/" + playbook, "-i", directory + "/hosts.yml",
                             "--vault-password-file", VPSReferenceLabTests.repository + "/inventory/lab/vault-password.txt", "--output", "json"]
            if check { arguments += ["--check", "--diff"] }
            for variable in extraVars { arguments += ["-e", variable] }
            let started = Date()
            let result = try Self.run([VPSReferenceLabTests.repository + "/.build/debug/keel"] + arguments)
            let events = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            return Run(status: result.status, events: events, seconds: Date().timeIntervalSince(started))
        }

        /// An HTTPS request through HAProxy, trusting only pebble's root, from this machine (the controller)
        /// or from `host`: status code, headers (lower case) and body (without its line end).
        func https(_ path: String, from host: String? = nil) throws -> (code: String, headers: String, body: String) {
            let script = """
                body=$(mktemp); curl -sS --max-time 10 -D - -o $body --resolve \(VPSReferenceLabTests.domain):443:\(vps.address) \\
                  --cacert \(host == nil ? state + "/pebble-root.pem" : "/root/vps-root.pem") https://\(VPSReferenceLabTests.domain)\(path)
                echo '--body--'; cat $body; rm -f $body
                """
            let out = host == nil ? try Self.shell(script) : try lab.exec(host!, script).stdout
            let parts = out.components(separatedBy: "--body--\n")
            let headers = parts[0].lowercased()
            let code = headers.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let body = parts.count > 1 ? String(parts[1].trimmingCharacters(in: .newlines)) : ""
            return (code, headers, body)
        }

        /// Whether a TCP connection from the outside host to PORT opens: 0 connected, 1 refused, 124 timed out.
        func connectFromOutside(_ port: Int) throws -> Int32 {
            try lab.exec(outside.name, "timeout 4 bash -c 'exec 3<>/dev/tcp/\(vps.address)/\(port)' 2>/dev/null").status
        }

        func onVPS(_ script: String) throws -> String { try lab.exec(vps.name, script).stdout }

        /// psql in the database container, as the application's user over the container's local socket.
        func sql(_ query: String, database: String = "app") throws -> String {
            try onVPS("podman exec -i vps-postgres psql -X -q -At -v ON_ERROR_STOP=1 -U app -d \(database) <<'SQL'\n\(query)\nSQL")
        }

        /// A new commit on main of the application repository, made in a scratch clone and pushed.
        func commit(_ message: String, _ change: String) throws {
            try Self.shell("""
                set -e; work=$(mktemp -d); git clone -q \(state)/git/vps-app.git $work; cd $work
                \(change)
                git add -A; git -c user.name=keel-test -c user.email=test@keel.invalid commit -qm '\(message)'; git push -q origin main
                cd /; rm -rf $work
                """)
        }

        @discardableResult
        static func shell(_ script: String) throws -> String {
            let result = try run(["/bin/bash", "-c", script])
            guard result.status == 0 else { throw HAProxyLabHost.Failure("`\(script)` exited \(result.status): \(result.stderr)\(result.stdout)") }
            return result.stdout
        }

        /// Runs a command with its output in temporary files, through system(3), which waits for exactly its
        /// own child: Foundation's Process sometimes never saw the exit of a script that had started daemons
        /// (scripts/vps-lab), and waited forever beside the zombie.
        static func run(_ argv: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("keel-vps-run-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: base + ".out"); try? FileManager.default.removeItem(atPath: base + ".err") }
            let quoted = argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            let status = system("\(quoted) >'\(base).out' 2>'\(base).err' </dev/null")
            let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
            // system() returns a wait status: the exit code is its second byte.
            return ((status >> 8) & 0xff, read(base + ".out"), read(base + ".err"))
        }

        func finish() {
            _ = try? Self.shell("KEEL_LAB_DIR=\(lab.directory) \(VPSReferenceLabTests.repository)/scripts/vps-lab stop")
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func aBareHostServesIsHardenedRedeploysWithoutDowntimeAndSurvivesARestart() async throws {
        let vps = try await Deployment()
        defer { vps.finish() }

        // 1. Bare host -> serving, in one run.
        let first = try vps.play()
        #expect(first.status == 0, "\(first.failures)")
        try #require(first.status == 0)
        print("VPS: fresh host -> serving in \(String(format: "%.1f", first.seconds)) s")
        let home = try vps.https("/")
        #expect(home.code == "200" && home.body == "gateway release 1", "\(home)")
        for header in ["strict-transport-security: max-age=63072000", "x-content-type-options: nosniff", "x-frame-options: deny", "referrer-policy: "] {
            #expect(home.headers.contains(header), "missing \(header) in \(home.headers)")
        }
        #expect(try vps.https("/auth/").body == "auth release 1")
        #expect(try vps.https("/scheduling/").body == "scheduling release 1")
        // pebble issued the certificate HAProxy serves (curl above trusted only pebble's root).
        #expect(try Deployment.shell("echo | openssl s_client -connect \(vps.vps.address):443 -servername \(Self.domain) 2>/dev/null | openssl x509 -noout -issuer").contains("Pebble"))
        let redirect = try Deployment.shell("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: \(Self.domain)' http://\(vps.vps.address)/auth/")
        #expect(redirect == "301 https://\(Self.domain)/auth/")

        // The base: SSH hardened (the controller still gets in), fail2ban running, the deploy user's sudo
        // rule, containers finding each other by name on the internal network (as they find vps-postgres).
        #expect(try vps.onVPS("sshd -T | grep -E '^(passwordauthentication|permitrootlogin) ' | sort")
                == "passwordauthentication no\npermitrootlogin without-password\n")
        #expect(try vps.onVPS("systemctl is-active fail2ban ssh") == "active\nactive\n")
        #expect(try vps.onVPS("sudo -l -U deploy").contains("NOPASSWD: /usr/bin/podman *"))
        #expect(try vps.onVPS("podman exec vps-gateway-blue nslookup vps-auth-blue 2>&1").contains("Address: 10.89.10."))
        #expect(try vps.onVPS("journalctl -u haproxy --no-pager | grep -c 'GET https://\(Self.domain)/auth/' || true") != "0\n", "no access log line")

        // The database: healthy, found by name from the application's containers, and its backup restores.
        #expect(try vps.onVPS("podman healthcheck run vps-postgres && echo healthy") == "healthy\n")
        #expect(try vps.onVPS("podman exec vps-gateway-blue nslookup vps-postgres 2>&1").contains("Address: 10.89.10.10"))
        #expect(try vps.sql("create table notes (id int primary key, body text); insert into notes select i, 'note ' || i from generate_series(1, 500) i; select count(*) from notes;") == "500\n")
        _ = try vps.onVPS("systemctl start vps-backup.service")
        let backups = try vps.onVPS("ls /srv/vps/backups")
        #expect(!backups.isEmpty, "no backup written")
        #expect(try vps.onVPS("cat /srv/vps/backups/* | grep -c 'note 250' || true") == "0\n", "the backup is readable without its key")
        let backupCheck = try vps.play("vps-backup-check.yml")
        #expect(backupCheck.status == 0, "\(backupCheck.failures)")

        // Past the rate limit (inventory/lab: 50 requests per 10 s per address), HAProxy answers 429.
        let burst = try Deployment.shell("for i in $(seq 70); do curl -s -o /dev/null -w '%{http_code}\\n' http://\(vps.vps.address)/; done | sort | uniq -c")
        #expect(burst.contains(" 301\n") && burst.contains(" 429\n"), "\(burst)")

        // 2. From outside: 80 and 443 connect; the app ports and the database port do not; SSH neither.
        for port in [80, 443] { #expect(try vps.connectFromOutside(port) == 0, "port \(port) from outside") }
        for port in [3000, 3100, 3200, 5432, 22] {
            let status = try vps.connectFromOutside(port)
            #expect(status == 1 || status == 124, "port \(port) from outside: \(status == 0 ? "connected" : "exit \(status)")")
        }
        #expect(try vps.https("/", from: vps.outside.name).body == "gateway release 1")

        // 3. Converged: a second run changes nothing.
        let second = try vps.play()
        #expect(second.status == 0, "\(second.failures)")
        #expect(second.changed == [], "second run changed \(second.changed)")
        print("VPS: converged re-run in \(String(format: "%.1f", second.seconds)) s")

        // 4. Drift by hand; --check --diff predicts exactly those tasks, and a real run changes the same.
        _ = try vps.onVPS("echo '# edited by hand' >> /etc/haproxy/haproxy.cfg; systemctl stop container-vps-auth-blue; firewall-cmd -q --zone=public --add-port=8080/tcp")
        let drift = ["vps_firewall : Public zone (HTTP and HTTPS for all, SSH from trusted networks, app ports closed, denials logged)",
                     "vps_app : The containers of one colour run the release, healthy",
                     "vps_haproxy : haproxy.cfg (HTTPS once the certificate exists; the active colour in rotation)"]
        let predicted = try vps.play(check: true)
        #expect(predicted.status == 0, "\(predicted.failures)")
        #expect(predicted.changed == drift)
        #expect(try vps.onVPS("tail -1 /etc/haproxy/haproxy.cfg; systemctl is-active container-vps-auth-blue || true; firewall-cmd --zone=public --list-ports 2>/dev/null")
                .split(separator: "\n").filter { $0 != "failed" && $0 != "inactive" } == ["# edited by hand", "8080/tcp"], "check mode changed the host")
        let repaired = try vps.play()
        #expect(repaired.changed == drift)
        #expect(try vps.play().changed == [])

        // 5. A new release while the outside host sends requests: none fails.
        try vps.commit("release 2", "sed -i 's/release 1/release 2/' gateway/www/index.html auth/www/auth/index.html scheduling/www/scheduling/index.html")
        let loop = Task.detached { () throws -> String in
            try vps.lab.exec(vps.outside.name, """
                n=0; f=0
                for i in $(seq 120); do
                  c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --resolve \(Self.domain):443:\(vps.vps.address) --cacert /root/vps-root.pem https://\(Self.domain)/auth/)
                  n=$((n+1)); [ "$c" = 200 ] || f=$((f+1)); sleep 0.3
                done
                echo "requests=$n failed=$f"
                """).stdout
        }
        try await Task.sleep(nanoseconds: 2_000_000_000)
        let deploy = try vps.play()
        let counted = try await loop.value
        #expect(deploy.status == 0, "\(deploy.failures)")
        #expect(counted == "requests=120 failed=0\n", "\(counted)")
        print("VPS: release deployed (whole run) in \(String(format: "%.1f", deploy.seconds)) s, of which the HAProxy switch of the three backends \(String(format: "%.1f", deploy.seconds(ofRole: "haproxy_switch"))) s; outside loop: \(counted)")
        #expect(try vps.https("/auth/").body == "auth release 2")
        #expect(try vps.onVPS("cat /srv/vps/shared/active-color; grep -c 'migrated to release' /srv/vps/shared/migrations.log") == "green\n2\n")
        #expect(try vps.play().changed == [], "the run after a deploy changed something")

        // 6. A release whose health check fails is rolled back; traffic never reached it.
        try vps.commit("release 3 (no health)", "git rm -q gateway/www/health")
        let broken = try vps.play(extraVars: ["vps_app_health_timeout=15"])
        #expect(broken.status != 0)
        #expect(broken.failures.contains { $0.contains("was not deployed and was rolled back") }, "\(broken.failures)")
        #expect(try vps.https("/").body == "gateway release 2")
        #expect(try vps.onVPS("podman ps -a --format '{{.Names}}' | sort | tr '\\n' ' '") == "vps-auth-green vps-gateway-green vps-postgres vps-scheduling-green ")
        // HAProxy's session count of the blue server (the broken release's colour) since the last reload: 0.
        let stat = try vps.onVPS("echo 'show stat' | socat stdio unix-connect:/run/haproxy/admin.sock | grep '^gateway,blue,' | cut -d, -f8")
        #expect(stat == "0\n", "the broken release got requests: stot \(stat)")

        // 7. The host restarts: everything answers again by itself.
        _ = try? vps.lab.exec(vps.vps.name, "systemctl poweroff")
        let deadline = Date().addingTimeInterval(60)
        while try vps.lab.isRunning(vps.vps.name), Date() < deadline { try await Task.sleep(nanoseconds: 500_000_000) }
        #expect(try !vps.lab.isRunning(vps.vps.name), "the host did not power off")
        _ = try vps.lab.up(names: [vps.vps.name], flavor: .systemd)
        var answer = ""
        let booted = Date().addingTimeInterval(90)
        while Date() < booted {
            // Each service restarts on its own (Restart=on-failure) if its start lost a race at boot.
            answer = ["/", "/auth/", "/scheduling/"].map { (try? vps.https($0).body) ?? "" }.joined(separator: ", ")
            if answer == "gateway release 2, auth release 2, scheduling release 2" { break }
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
        #expect(answer == "gateway release 2, auth release 2, scheduling release 2")
        var rows = ""
        let databaseBack = Date().addingTimeInterval(60)
        while Date() < databaseBack {
            rows = (try? vps.sql("select count(*) from notes")) ?? ""
            if rows == "500\n" { break }
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
        #expect(rows == "500\n", "the database did not come back with its rows")
        #expect(try vps.connectFromOutside(3000) != 0, "the firewall did not come back")
    }
}
