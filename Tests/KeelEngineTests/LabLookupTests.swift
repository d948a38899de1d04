import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Lookups and with_<lookup> loops converging a real lab host over SSH: the controller-side values
/// (fileglob'd files, dict entries, sequences, subelements, a stored password, a rendered template) end
/// up on the host, a second run changes nothing, and a check run after it predicts nothing.
@Suite("Lookups on lab hosts") struct LabLookupTests {
    let lab = Lab()

    static let files: [String: String] = [
        "site.yml": """
            - hosts: lab
              gather_facts: false
              vars:
                root: /srv/lookups
                dirs: {data: "0750", logs: "0700"}
                users:
                  - {name: alice, keys: [ssh-ed25519 AAAA1 alice@a, ssh-ed25519 AAAA2 alice@b]}
                  - {name: bob, keys: [ssh-ed25519 AAAA3 bob@c]}
              tasks:
                - name: root
                  file: {path: "{{ root }}/conf.d", state: directory, mode: "0755"}
                - name: directories from a dict
                  file: {path: "{{ root }}/{{ item.key }}", state: directory, mode: "{{ item.value }}"}
                  with_dict: "{{ dirs }}"
                - name: every conf file of the role
                  copy: {src: "{{ item }}", dest: "{{ root }}/conf.d/", mode: "0644"}
                  with_fileglob: ["conf.d/*.conf"]
                - name: slots
                  file: {path: "{{ root }}/data/slot-{{ item }}", state: directory}
                  with_sequence: start=1 end=3 format=%02d
                - name: keys per user
                  lineinfile: {path: "{{ root }}/keys-{{ item.0.name }}", line: "{{ item.1 }}", create: true}
                  with_subelements: ["{{ users }}", keys]
                - name: a password kept on the controller
                  copy: {dest: "{{ root }}/secret", content: "{{ lookup('password', 'credentials/' + inventory_hostname + ' length=16 chars=ascii_letters') }}\\n", mode: "0600"}
                - name: a template rendered on the controller
                  copy: {dest: "{{ root }}/motd", content: "{{ lookup('template', 'motd.j2') }}"}
                - name: ini and csv values
                  copy: {dest: "{{ root }}/db", content: "{{ lookup('ini', 'host', section='db', file='app.ini') }}:{{ lookup('csvfile', 'db port', file='ports.csv', delimiter=',') }}\\n"}
            """,
        "files/conf.d/a.conf": "a = 1\n",
        "files/conf.d/b.conf": "b = 2\n",
        "files/conf.d/ignored.txt": "not a conf\n",
        "files/app.ini": "[db]\nhost = db.example\n",
        "files/ports.csv": "web port,80\ndb port,5432\n",
        "templates/motd.j2": "Welcome to {{ inventory_hostname }} ({{ dirs | length }} directories)\n",
    ]

    @Test func withLoopsAndLookupsConvergeAHostIdempotently() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "lookups")[0]
        _ = try lab.exec(host.name, "rm -rf /srv/lookups")
        var files = Self.files
        files["inventory.ini"] = LabInventory.ini([host])
        let harness = try PlaybookHarness(files: files)

        let first = await harness.play(inventory: ["inventory.ini"])
        #expect(first.status == .ok, "\(first.results.filter { $0.status == .failed }.map { $0.message ?? "" })")
        let state = try lab.exec(host.name, """
            cd /srv/lookups && find . -printf '%p %y %m\\n' | sort && cat conf.d/*.conf keys-alice keys-bob motd db && wc -c < secret
            """).stdout
        let password = harness.read("credentials/\(host.name)") ?? ""
        #expect(password.count == 17 && password.dropLast().allSatisfy(\.isLetter))
        #expect(try lab.exec(host.name, "cat /srv/lookups/secret").stdout == password)
        #expect(state == """
            . d 755
            ./conf.d d 755
            ./conf.d/a.conf f 644
            ./conf.d/b.conf f 644
            ./data d 750
            ./data/slot-01 d 755
            ./data/slot-02 d 755
            ./data/slot-03 d 755
            ./db f 644
            ./keys-alice f 644
            ./keys-bob f 644
            ./logs d 700
            ./motd f 644
            ./secret f 600
            a = 1
            b = 2
            ssh-ed25519 AAAA1 alice@a
            ssh-ed25519 AAAA2 alice@b
            ssh-ed25519 AAAA3 bob@c
            Welcome to \(host.name) (2 directories)
            db.example:5432
            17

            """)

        let second = await harness.play(inventory: ["inventory.ini"])
        #expect(second.status == .ok)
        #expect(second.changedTasks.isEmpty, "second run: \(second.changedTasks)")
        let check = await harness.play(check: true, inventory: ["inventory.ini"])
        #expect(check.status == .ok)
        #expect(check.changedTasks.isEmpty, "check run: \(check.changedTasks)")
    }
}
