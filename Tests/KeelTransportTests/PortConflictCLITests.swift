import Foundation
import Testing

/// Port conflicts found before any host is contacted, in `keel check` and before `keel play` runs.
@Suite("Port-conflict detection") struct PortConflictCLITests {
    static let playbook = """
        - hosts: web
          gather_facts: false
          tasks:
            - name: main proxy
              haproxy_config:
                frontends:
                  - {name: http, binds: [":80"]}
                  - {name: api, bind: "*:3000"}
                  - {name: admin, binds: ["127.0.0.1:8080"]}
            - name: second proxy on the same host
              haproxy_config:
                path: /etc/haproxy/other.cfg
                frontends:
                  - {name: also-http, binds: [":{{ http_port }}"]}
              when: inventory_hostname == 'web1'
            - name: only on Debian
              haproxy_config:
                path: /etc/haproxy/debian.cfg
                frontends: [{name: x, binds: [":80"]}]
              when: ansible_os_family == 'Debian'
            - name: never
              haproxy_config:
                path: /etc/haproxy/never.cfg
                frontends: [{name: y, binds: [":80"]}]
              when: false
            - name: open https-alt
              firewalld: {port: 8443/tcp, state: enabled, permanent: true}
            - name: open http
              firewalld: {port: 80/tcp, state: enabled}

        """

    /// web1 and web2 are TEST-NET addresses nobody answers on: the checks must not need them.
    static let files: [String: String] = [
        "site.yml": playbook,
        "ports.yml": "web:\n  - {port: 22, name: sshd}\n  - {port: 8080, address: 198.18.0.5, name: metrics}\n",
        "group_vars/web.yml": "http_port: 80\n",
        "hosts.ini": "[web]\nweb1 ansible_host=203.0.113.1\nweb2 ansible_host=203.0.113.2 keel_ports='[{\"port\": 3000, \"name\": \"legacy-api\"}]'\n",
    ]

    @Test func conflictsAreErrorsNamingBothUsers() throws {
        let dir = try KeelBinary.directory(Self.files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let check = try KeelBinary.run(["check", "-i", "hosts.ini"], in: dir)
        #expect(check.status == 1, "\(check.output)")
        // Two frontends of two configurations on :80 of web1 (web2 skips the second: its `when` is false there).
        #expect(check.stdout.contains("site.yml:10:7: error: port 80/tcp on web1 is used twice: bind :80 of frontend http (task 'main proxy' at site.yml:4) and bind :80 of frontend also-http (task 'second proxy on the same host' at site.yml:10)"), "\(check.stdout)")
        // A bind against the port web2's keel_ports declares.
        #expect(check.stdout.contains("error: port 3000/tcp on web2 is used twice: bind *:3000 of frontend api (task 'main proxy' at site.yml:4) and legacy-api from keel_ports of web2"), "\(check.stdout)")
        #expect(check.stdout.hasSuffix("2 problems found in 1 playbook; no host was contacted\n"), "no other finding: the same port on two hosts, other addresses, when: false and unknown facts are fine")
        // A real run refuses to start on them.
        let play = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini"], in: dir)
        #expect(play.status == 1 && play.stderr.contains("port 80/tcp on web1 is used twice"), "\(play.output)")
        #expect(!play.stdout.contains("TASK ["), "nothing ran")
    }

    @Test func aPortOpenedWithoutListenerIsAWarning() throws {
        var files = Self.files
        files["hosts.ini"] = "[web]\nweb1 ansible_host=203.0.113.1\nweb2 ansible_host=203.0.113.2\n"
        files["group_vars/web.yml"] = "http_port: 81\n"
        let dir = try KeelBinary.directory(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let check = try KeelBinary.run(["check", "-i", "hosts.ini"], in: dir)
        #expect(check.status == 0, "warnings do not fail the check: \(check.output)")
        for host in ["web1", "web2"] {
            #expect(check.stdout.contains("site.yml:26:7: warning: port 8443/tcp is opened in the firewall on \(host), but nothing Keel knows listens on it"), "\(check.stdout)")
        }
        #expect(!check.stdout.contains("port 80/tcp is opened"), "haproxy listens on 80")
        let github = try KeelBinary.run(["check", "-i", "hosts.ini", "--output", "github"], in: dir)
        #expect(github.stdout.contains("::warning file=site.yml,line=26,col=7,title=keel check::port 8443/tcp is opened"), "\(github.stdout)")
        // ports.yml entries count as listeners.
        files["ports.yml"] = "all:\n  - {port: 8443, name: legacy-tls}\n"
        let declared = try KeelBinary.directory(files)
        defer { try? FileManager.default.removeItem(atPath: declared) }
        let quiet = try KeelBinary.run(["check", "-i", "hosts.ini"], in: declared)
        #expect(quiet.status == 0 && quiet.stdout == "checked 1 playbook: no problems found\n", "\(quiet.output)")
    }

    @Test func containersPublishingOnePortConflictWithEachOtherAndWithHAProxy() throws {
        let playbook = """
            - hosts: all
              gather_facts: false
              tasks:
                - name: gateway
                  containers.podman.podman_container: {name: gateway, image: "localhost/app:1", publish: ["3000:3000"]}
                - name: gateway again, started
                  podman_container: {name: gateway, image: "localhost/app:1", state: started, ports: ["3000:3000"]}
                - name: auth
                  podman_container: {name: auth, image: "localhost/app:1", publish: ["0.0.0.0:3000:3100/tcp", "3100:3100"]}
                - name: scheduling on loopback
                  podman_container: {name: scheduling, image: "localhost/app:1", publish: ["127.0.0.1:3200:3200"]}
                - name: an old one, removed
                  podman_container: {name: old, image: "localhost/app:1", state: absent, publish: ["3100:3100"]}
                - name: proxy
                  haproxy_config:
                    frontends: [{name: web, binds: [":80", "127.0.0.1:3200"]}]

            """
        let dir = try KeelBinary.directory(["site.yml": playbook, "hosts.ini": "vps1 ansible_host=203.0.113.7\nvps2 ansible_host=203.0.113.8\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let check = try KeelBinary.run(["check", "-i", "hosts.ini"], in: dir)
        #expect(check.status == 1, "\(check.output)")
        for host in ["vps1", "vps2"] {
            #expect(check.stdout.contains("site.yml:8:7: error: port 3000/tcp on \(host) is used twice: publish 3000:3000 (task 'gateway' at site.yml:4) and publish 0.0.0.0:3000:3100/tcp (task 'auth' at site.yml:8)"), "\(check.stdout)")
            #expect(check.stdout.contains("error: port 3200/tcp on \(host) is used twice: publish 127.0.0.1:3200:3200 (task 'scheduling on loopback' at site.yml:10) and bind 127.0.0.1:3200 of frontend web (task 'proxy' at site.yml:14)"), "\(check.stdout)")
        }
        // The same container in two tasks is one user; the removed container holds nothing; the same ports on
        // two hosts are fine: exactly the two conflicts per host.
        #expect(check.stdout.hasSuffix("4 problems found in 1 playbook; no host was contacted\n"), "\(check.stdout)")
    }
}
