import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// ansible-playbook's options on `keel play`, run as a user runs them: listings and --syntax-check
/// against ansible-playbook's own output, and the connection options against lab hosts (issue 15).
@Suite("keel play with ansible-playbook's options") struct PlayFlagsCLITests {
    static let listed: [String: String] = [
        "site.yml": """
            - name: Web servers
              hosts: web
              gather_facts: false
              tags: [play1]
              roles:
                - r1
              tasks:
                - name: first
                  debug: msg=hi
                  tags: [a, b]
                - stat: path=/
                - block:
                    - name: in block
                      debug: msg=x
                      tags: c
                  tags: blk
                - include_tasks: inc.yml
            - hosts: db
              tasks:
                - command: echo
                - name: never unless asked
                  debug: msg=n
                  tags: [never, debugging]
            """,
        "roles/r1/tasks/main.yml": "- name: role task\n  debug: msg=r\n  tags: rt\n",
        "inc.yml": "- debug: msg=inc\n",
        // Hosts that do not exist: nothing may try to reach them.
        "hosts.ini": "[web]\nw1.invalid\n[db]\nd1.invalid\n",
    ]

    /// The same listing from both tools, byte for byte (one host per group: Ansible prints a set).
    @Test(arguments: [["--list-hosts"], ["--list-tasks"], ["--list-tags"], ["--syntax-check"],
                      ["--list-tasks", "--tags", "a,c"], ["--list-tasks", "--skip-tags", "blk"],
                      ["--list-hosts", "--list-tasks", "--list-tags", "--limit", "w1.invalid"]])
    func listingsAreAnsiblePlaybooks(_ flags: [String]) throws {
        let dir = try KeelBinary.directory(Self.listed)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keel = try KeelBinary.run(["play", "-i", "hosts.ini", "site.yml"] + flags, in: dir)
        let ansible = try AnsibleTool.run("ansible-playbook", ["-i", "hosts.ini", "site.yml"] + flags, home: dir + "/.ansible",
                                          currentDirectory: dir, keepStderr: false)
        #expect(ansible.status == 0, "\(ansible.output)")
        #expect(keel.status == 0, "\(keel.output)")
        #expect(keel.stdout == ansible.output, "keel:\n\(keel.stdout)\nansible-playbook:\n\(ansible.output)")
    }

    @Test func syntaxCheckReportsTheErrorWithAnsiblesStatusAndTouchesNothing() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("keel-syntax-\(UUID().uuidString)").path
        let dir = try KeelBinary.directory([
            "good.yml": "- hosts: localhost\n  tasks:\n    - copy: {content: x, dest: \(marker)}\n",
            "bad.yml": "- hosts: localhost\n  tasks:\n    - debug: msg=x\n      bogus: 1\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try KeelBinary.run(["play", "good.yml", "--syntax-check"], in: dir)
        #expect(good.status == 0, "\(good.output)")
        #expect(good.stdout == "\nplaybook: good.yml\n")
        #expect(!FileManager.default.fileExists(atPath: marker), "--syntax-check ran a task")
        let bad = try KeelBinary.run(["play", "good.yml", "bad.yml", "--syntax-check"], in: dir)
        #expect(bad.status == 4, "\(bad.output)")
        #expect(bad.stderr.contains("bad.yml:4:7: error: unknown module or task keyword 'bogus'"), "\(bad.output)")
        #expect(bad.stdout.isEmpty)
    }

    @Test func connectionLocalRunsOnTheController() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("keel-local-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let dir = try KeelBinary.directory([
            "site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: {content: \"{{ inventory_hostname }}\\n\", dest: \(marker)}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "faraway.invalid,", "-c", "local"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "faraway.invalid\n")
        let wrong = try KeelBinary.run(["play", "site.yml", "-i", "faraway.invalid,", "--connection", "winrm"], in: dir)
        #expect(wrong.status != 0 && wrong.stderr.contains("--connection takes ssh or local, not 'winrm'"), "\(wrong.output)")
        // keel run takes the same connection options, as Ansible's `ansible` does.
        let adHoc = try KeelBinary.run(["run", "all", "-i", "faraway.invalid,", "-c", "local", "-a", "echo ran-here"], in: dir)
        #expect(adHoc.status == 0 && adHoc.stdout.contains("faraway.invalid | CHANGED | rc=0 >>\nran-here\n"), "\(adHoc.output)")
    }

    @Test func timeoutBoundsTheConnectionAttempt() throws {
        // An address on the lab's network that nobody answers: ARP gives up after about 3 s, -T 1 first.
        let dir = try KeelBinary.directory([
            "site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: 'true'\n",
            "hosts.ini": "silent ansible_host=198.18.255.250 ansible_user=root\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini", "-T", "1"], in: dir)
        #expect(result.status == 4, "\(result.output)")
        #expect(result.output.contains("timed out after 1 s"), "\(result.output)")
        let zero = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini", "--timeout", "0"], in: dir)
        #expect(zero.status != 0 && zero.stderr.contains("--timeout takes a number of seconds"), "\(zero.output)")
    }

    /// An inventory that says only where the host is: the user, key, password and become method come
    /// from the command line.
    static func bareInventory(_ host: LabHost, vars: String = "") -> String {
        let lab = LabTargets.lab
        return """
            [lab]
            \(host.name) ansible_host=\(host.address) \(vars)

            [lab:vars]
            ansible_ssh_common_args='-o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes'

            """
    }

    /// Writes who ran `id -un` to `file` on the host (each test its own file: they share a host).
    static func whoami(_ file: String) -> String { """
        - hosts: lab
          gather_facts: false
          tasks:
            - command: id -un
              register: who
            - copy: {content: "{{ who.stdout }}\\n", dest: \(file)}
              become: false
        """
    }

    @Test func userAndPrivateKeyAreDefaultsTheInventoryOverrides() async throws {
        let host = try await LabTargets.hosts(1, prefix: "flags")[0]
        let key = LabTargets.lab.clientKeyPath
        try LabTargets.inspect(host, """
            id keelflag >/dev/null 2>&1 || useradd -m -s /bin/sh keelflag
            usermod -p '*' keelflag   # not locked: sshd without PAM refuses a locked account even a key
            mkdir -p ~keelflag/.ssh && cp /root/.ssh/authorized_keys ~keelflag/.ssh/ && chown -R keelflag ~keelflag/.ssh
            rm -f /tmp/keel-flags-userAndPrivateKeyAreDefaultsTheInventoryOverrides
            """)
        let dir = try KeelBinary.directory(["site.yml": Self.whoami("/tmp/keel-flags-userAndPrivateKeyAreDefaultsTheInventoryOverrides"), "hosts.ini": Self.bareInventory(host),
                                            "pinned.ini": Self.bareInventory(host, vars: "ansible_user=root")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini", "-u", "keelflag", "--private-key", key], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(try LabTargets.inspect(host, "cat /tmp/keel-flags-userAndPrivateKeyAreDefaultsTheInventoryOverrides") == "keelflag\n")
        // A host's ansible_user wins over -u, as in Ansible.
        let pinned = try KeelBinary.run(["play", "site.yml", "-i", "pinned.ini", "--user", "keelflag", "--private-key", key], in: dir)
        #expect(pinned.status == 0, "\(pinned.output)")
        #expect(try LabTargets.inspect(host, "cat /tmp/keel-flags-userAndPrivateKeyAreDefaultsTheInventoryOverrides") == "root\n")
    }

    @Test func askPassLogsInWithThePasswordTyped() async throws {
        let host = try await LabTargets.hosts(1, prefix: "flags")[0]
        try PasswordUser.create(on: host)
        try LabTargets.inspect(host, "rm -f /tmp/keel-flags-askPassLogsInWithThePasswordTyped")
        let dir = try KeelBinary.directory(["site.yml": Self.whoami("/tmp/keel-flags-askPassLogsInWithThePasswordTyped"), "hosts.ini": Self.bareInventory(host)])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run([], in: dir, shell: "printf '%s\\n' '\(PasswordUser.password)' | \"$KEEL\" play site.yml -i hosts.ini -u \(PasswordUser.name) -k")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stderr.contains("SSH password: "))
        #expect(try LabTargets.inspect(host, "cat /tmp/keel-flags-askPassLogsInWithThePasswordTyped") == "\(PasswordUser.name)\n")
        // su cannot be fed a password without a terminal: from a non-root login it is refused, saying why.
        let su = try KeelBinary.run([], in: dir, shell: "printf '%s\\n' '\(PasswordUser.password)' | \"$KEEL\" play site.yml -i hosts.ini -u \(PasswordUser.name) -k -b --become-method su")
        #expect(su.status != 0, "\(su.output)")
        #expect(su.output.contains("become_method su works only when logging in as root"), "\(su.output)")
    }

    @Test func becomeMethodSuFromARootLogin() async throws {
        let host = try await LabTargets.hosts(1, prefix: "flags")[0]
        try LabTargets.inspect(host, "id keelsu >/dev/null 2>&1 || useradd -m -s /bin/sh keelsu; rm -f /tmp/keel-flags-becomeMethodSuFromARootLogin")
        let dir = try KeelBinary.directory(["site.yml": Self.whoami("/tmp/keel-flags-becomeMethodSuFromARootLogin"), "hosts.ini": LabInventory.ini([host])])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini", "-b", "--become-user", "keelsu", "--become-method", "su"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(try LabTargets.inspect(host, "cat /tmp/keel-flags-becomeMethodSuFromARootLogin") == "keelsu\n")
        let wrong = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini", "--become-method", "doas"], in: dir)
        #expect(wrong.status != 0 && wrong.stderr.contains("--become-method takes sudo or su, not 'doas'"), "\(wrong.output)")
    }
}
