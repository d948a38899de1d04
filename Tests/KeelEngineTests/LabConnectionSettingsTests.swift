import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Connection and become settings as a task resolves them, on lab hosts over SSH: become variables over
/// keywords (Ansible's precedence), become_flags/become_exe enforced, sudo's real refusal named, a later
/// play's remote_user honoured, facts gathered with the play's become, and `timeout` enforced.
@Suite("Connection settings on lab hosts") struct LabConnectionSettingsTests {
    let lab = Lab()

    func hosts(_ count: Int, _ prefix: String) async throws -> [LabHost] {
        let hosts = try await LabFixture.shared.hosts(count, prefix: prefix)
        for host in hosts {
            // A second login user with the lab's key, for become and remote_user.
            _ = try lab.exec(host.name, """
                id keelu >/dev/null 2>&1 || useradd -m -s /bin/sh keelu
                usermod -p '*' keelu   # not locked: sshd refuses key logins to a locked account
                mkdir -p /home/keelu/.ssh && cp /root/.ssh/authorized_keys /home/keelu/.ssh/ && chown -R keelu /home/keelu/.ssh
                """)
        }
        return hosts
    }

    func inspect(_ host: LabHost, _ script: String) throws -> String {
        try lab.exec(host.name, script).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stdout(_ outcome: PlaybookHarness.Outcome, _ task: String, _ host: LabHost) -> String? {
        outcome.results(named: task).first { $0.host == host.name }?.values["stdout"]?.stringValue
    }

    @Test func becomeVariablesWinOverTheKeywords() async throws {
        let all = try await hosts(2, "eng-becomevars")
        let inventory = LabInventory.ini(all, hostVars: [all[0].name: "ansible_become_user=keelu",
                                                         all[1].name: "ansible_become=true ansible_become_user=keelu"])
        let outcome = try await PlaybookHarness(files: ["inventory.ini": inventory, "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: keyword become
                  command: id -un
                  become: true
                  become_user: root
                - name: no keyword
                  command: id -un
            """]).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.results.compactMap(\.message))")
        #expect(stdout(outcome, "keyword become", all[0]) == "keelu", "ansible_become_user wins over become_user")
        #expect(stdout(outcome, "keyword become", all[1]) == "keelu")
        #expect(stdout(outcome, "no keyword", all[0]) == "root", "become_user alone does not turn become on")
        #expect(stdout(outcome, "no keyword", all[1]) == "keelu", "ansible_become=true turns it on")
    }

    @Test func becomeExeAndBecomeFlagsAreUsed() async throws {
        let host = try await hosts(1, "eng-becomeexe")[0]
        _ = try inspect(host, """
            rm -f /tmp/keel-sudo.log
            printf '#!/bin/sh\\necho "$*" >> /tmp/keel-sudo.log\\nexec sudo "$@"\\n' > /usr/local/bin/keel-sudo
            chmod 755 /usr/local/bin/keel-sudo
            """)
        let outcome = try await PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: as keelu
                  command: id -un
                  become: true
                  become_user: keelu
                  become_exe: /usr/local/bin/keel-sudo
                  become_flags: "-E -H"
            """]).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.results.compactMap(\.message))")
        #expect(stdout(outcome, "as keelu", host) == "keelu")
        let log = try inspect(host, "cat /tmp/keel-sudo.log")
        #expect(log.contains("-E -H -n -u keelu --"), "become_exe ran with become_flags: \(log)")
    }

    @Test func becomingAUserThatDoesNotExistSaysSo() async throws {
        let host = try await hosts(1, "eng-nouser")[0]
        let outcome = try await PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: as nobody known
                  command: id -un
                  become: true
                  become_user: keel-no-such-user
            """]).play(inventory: ["inventory.ini"])
        let message = outcome.results(named: "as nobody known").first?.message ?? ""
        #expect(outcome.status == .hostFailed)
        #expect(message.contains("'keel-no-such-user' to become does not exist"), "\(message)")
        #expect(!message.contains("asks for a password"))
    }

    @Test func aLaterPlaysRemoteUserGetsItsOwnConnection() async throws {
        let host = try await hosts(1, "eng-remoteuser")[0]
        // No ansible_user here: the remote_user keyword decides (a variable would win over it).
        let inventory = """
            [lab]
            \(host.name) ansible_host=\(host.address) ansible_ssh_private_key_file=\(lab.clientKeyPath) ansible_ssh_common_args='-o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes'

            """
        let outcome = try await PlaybookHarness(files: ["inventory.ini": inventory, "site.yml": """
            - hosts: lab
              gather_facts: false
              remote_user: root
              tasks:
                - name: first play
                  command: id -un
            - hosts: lab
              gather_facts: false
              remote_user: keelu
              tasks:
                - name: second play
                  command: id -un
                - name: task remote_user
                  command: id -un
                  remote_user: root
            """]).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.results.compactMap(\.message))")
        #expect(stdout(outcome, "first play", host) == "root")
        #expect(stdout(outcome, "second play", host) == "keelu")
        #expect(stdout(outcome, "task remote_user", host) == "root")
    }

    @Test func factsAreGatheredWithThePlaysBecome() async throws {
        let host = try await hosts(1, "eng-factsbecome")[0]
        let outcome = try await PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              become: true
              become_user: keelu
              gather_subset: [min]
              tasks:
                - name: who gathered
                  debug: {msg: "{{ ansible_user_id }}"}
            """]).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.results.compactMap(\.message))")
        #expect(outcome.results(named: "who gathered").first?.values["msg"] == "keelu")
    }

    @Test func aTimedOutCommandFailsItsHostAloneAndIsStoppedOnTheHost() async throws {
        let all = try await hosts(2, "eng-timeout")
        for host in all { _ = try inspect(host, "pkill -x sleep || true") }
        let inventory = LabInventory.ini(all, hostVars: [all[0].name: "nap=300", all[1].name: "nap=0"])
        let started = Date()
        let outcome = try await PlaybookHarness(files: ["inventory.ini": inventory, "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: nap
                  command: "sleep {{ nap }}"
                  timeout: 20
                  ignore_errors: true
                - name: after
                  command: echo after
            """]).play(inventory: ["inventory.ini"])
        let elapsed = Date().timeIntervalSince(started)
        // Well below the 300 s the command would take. Loose bounds (20 s for `sleep 0`, 250 s for the run): in
        // the full suite on two busy cores, connecting and a first command took more than 5 s.
        #expect(elapsed < 250, "the run took \(elapsed) s")
        let hung = outcome.results(named: "nap").first { $0.host == all[0].name }
        #expect(hung?.status == .ignored)
        #expect(hung?.message == "The command action failed to execute in the expected time frame (20) and was terminated", "\(hung?.message ?? "")")
        #expect(outcome.results(named: "nap").first { $0.host == all[1].name }?.status == .changed)
        // The connection is still usable: the host's next task runs over it.
        for host in all { #expect(stdout(outcome, "after", host) == "after") }
        // -x: the process named sleep (-f would find this very check's shell, whose command line says sleep).
        #expect(try inspect(all[0], "pgrep -x sleep || echo none") == "none", "the hung command must be gone from the host")
    }
}
