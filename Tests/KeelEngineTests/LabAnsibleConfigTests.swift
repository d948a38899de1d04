import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// ansible.cfg end to end with the built binary and a lab host: the project's ansible.cfg gives the
/// inventory, the roles path, the user, the key, forks and host key checking, so `keel play site.yml`
/// needs no flag; an ANSIBLE_* variable wins over the file, and a flag wins over both.
@Suite("ansible.cfg with keel play") struct LabAnsibleConfigTests {
    let lab = Lab()

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func theProjectsAnsibleCfgDrivesTheRun() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-cfg")[0]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cfg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // No user, key or ssh options in the inventory: all of it comes from ansible.cfg.
        try write("[lab]\n\(host.name) ansible_host=\(host.address)\n", to: directory + "/hosts/lab.ini")
        try write("""
            # the project's settings
            [defaults]
            inventory = hosts/lab.ini
            roles_path = ../elsewhere:shared-roles
            remote_user = root
            private_key_file = \(lab.clientKeyPath)
            forks = 2
            host_key_checking = False
            gathering = explicit
            retry_files_enabled = False

            [ssh_connection]
            ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s
            pipelining = True
            """, to: directory + "/ansible.cfg")
        try write("- shell: id -un > /etc/keel-cfg-marker\n", to: directory + "/shared-roles/marker/tasks/main.yml")
        try write("""
            - hosts: lab
              roles: [marker]
              tasks:
                - name: facts were not gathered (gathering = explicit)
                  assert: {that: ansible_facts.hostname is not defined}
            """, to: directory + "/site.yml")
        _ = try lab.exec(host.name, "rm -f /etc/keel-cfg-marker")

        let run = try KeelCLI.run(["play", "site.yml"], in: directory)
        #expect(run.status == 0, "\(run.output)")
        #expect(try lab.exec(host.name, "cat /etc/keel-cfg-marker").stdout == "root\n")
        #expect(!run.output.contains("Gathering Facts"), "\(run.output)")
        #expect(run.output.contains("ignored ansible.cfg settings: [defaults]retry_files_enabled"), "\(run.output)")
        #expect(run.output.contains("ignored ssh options from ssh_args/ssh_common_args/ssh_extra_args: -C, ControlMaster"))

        // ANSIBLE_HOST_KEY_CHECKING wins over the file: with an empty known_hosts the host is refused.
        try write("", to: directory + "/empty_known_hosts")
        let strict = try KeelCLI.run(["play", "site.yml"], in: directory, environment: [
            "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_SSH_COMMON_ARGS": "-o UserKnownHostsFile=\(directory)/empty_known_hosts"])
        #expect(strict.status == 4, "\(strict.output)")
        // ... and a flag wins over the variable.
        let flag = try KeelCLI.run(["play", "site.yml", "--host-key-checking", "off"], in: directory, environment: [
            "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_SSH_COMMON_ARGS": "-o UserKnownHostsFile=\(directory)/empty_known_hosts"])
        #expect(flag.status == 0, "\(flag.output)")

        // From another directory through ANSIBLE_CONFIG: paths stay relative to the file; -u wins over remote_user.
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cfg-other-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let wrongUser = try KeelCLI.run(["play", directory + "/site.yml", "-u", "nosuchuser"], in: elsewhere,
                                        environment: ["ANSIBLE_CONFIG": directory + "/ansible.cfg"])
        #expect(wrongUser.status == 4, "-u nosuchuser cannot log in: \(wrongUser.output)")
        let viaVariable = try KeelCLI.run(["play", directory + "/site.yml"], in: elsewhere, environment: ["ANSIBLE_CONFIG": directory])
        #expect(viaVariable.status == 0, "\(viaVariable.output)")
    }

    /// stdout_callback picks Keel's output when --output is not given; --output wins.
    @Test func stdoutCallbackPicksTheOutput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cfg-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // (inventory = localhost, in ansible.cfg would be a path: the setting is a list of paths, in Ansible too)
        try write("[defaults]\nstdout_callback = ansible.posix.json\n", to: directory + "/ansible.cfg")
        try write("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - debug: msg=hello\n", to: directory + "/site.yml")
        let json = try KeelCLI.run(["play", "-i", "localhost,", "site.yml"], in: directory)
        #expect(json.status == 0, "\(json.output)")
        let lines = json.output.split(separator: "\n").filter { !$0.hasPrefix("[WARNING]") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("{") }, "\(json.output)")
        let human = try KeelCLI.run(["play", "-i", "localhost,", "site.yml", "--output", "human"], in: directory)
        #expect(human.status == 0 && !human.output.hasPrefix("{"), "\(human.output)")
    }

    /// `keel play --syntax-check` lists every unsupported module, keyword, filter and test of the
    /// playbooks and roles at once, each at its file:line, and exits 4; no host is touched.
    @Test func syntaxCheckListsEveryProblemAtOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-compat-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            - hosts: all
              gather_facts: false
              colour: blue
              roles:
                - web
              tasks:
                - name: an unknown module
                  frobnicate: {x: 1}
                - name: an unknown filter
                  debug: msg="{{ greeting | shout }}"
                - import_tasks: more.yml
            """, to: directory + "/site.yml")
        try write("""
            - name: a block with an unknown keyword
              block:
                - debug: msg=hi
              colour: red
            - name: an unknown test
              debug: msg=x
              when: greeting is frobbed
            """, to: directory + "/more.yml")
        try write("""
            - name: the role's unknown module
              community.general.nosuchmodule: {}
            - name: a fine task
              command: echo hi
            - name: a bad argument
              file: path=/tmp/x state=sideways
            """, to: directory + "/roles/web/tasks/main.yml")
        let check = try KeelCLI.run(["play", "-i", "localhost,", "--syntax-check", "site.yml"], in: directory)
        #expect(check.status == 4, "\(check.output)")
        for place in ["site.yml:3:", "site.yml:8:", "site.yml:10:", "more.yml:4:", "more.yml:7:",
                      "roles/web/tasks/main.yml:2:", "roles/web/tasks/main.yml:6:"] {
            #expect(check.output.contains(place), "\(place) in \(check.output)")
        }
        #expect(check.output.contains("7 problems"), "\(check.output)")
        // A run stops before any host with the same list.
        let run = try KeelCLI.run(["play", "-i", "localhost,", "site.yml"], in: directory)
        #expect(run.status == 1 && run.output.contains("7 problems"), "\(run.output)")
    }
}
