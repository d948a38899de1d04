import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// `keel play` and `keel run` on lab hosts, as a user runs them from a shell (issues 13 and 14).
@Suite("keel play and keel run on lab hosts (load)") struct LabLoadCLITests {
    static func hosts(_ count: Int) async throws -> [LabHost] { try await LabFixture.shared.hosts(count, prefix: "ld") }

    /// `cd dir && keel play vf.yml`: vars_files and include_vars relative to a playbook named without a
    /// directory (its directory was "", so vars.yml became /vars.yml).
    @Test func relativeVarsFilesWorkFromThePlaybooksOwnDirectory() async throws {
        let host = try await Self.hosts(1)[0]
        try LabTargets.inspect(host, "rm -rf /srv/ld-vf")
        let dir = try KeelBinary.directory([
            "inventory.ini": LabInventory.ini([host]),
            "vf.yml": """
                - hosts: lab
                  gather_facts: false
                  vars_files: [vars.yml]
                  tasks:
                    - include_vars: more.yml
                    - import_tasks: tasks.yml
                """,
            "tasks.yml": """
                - include_vars: {file: nested.yml}
                - file: {path: /srv/ld-vf, state: directory}
                - copy: {dest: /srv/ld-vf/out, content: "{{ from_vars_file }} {{ from_include }} {{ from_nested }}\\n"}
                - template: {src: t.j2, dest: /srv/ld-vf/t}
                - copy: {src: f.txt, dest: /srv/ld-vf/f}
                """,
            "vars.yml": "from_vars_file: one\n",
            "more.yml": "from_include: two\n",
            "vars/nested.yml": "from_nested: three\n",
            "templates/t.j2": "{{ from_vars_file }}\n",
            "files/f.txt": "file\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "vf.yml", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(try LabTargets.inspect(host, "cat /srv/ld-vf/out /srv/ld-vf/t /srv/ld-vf/f") == "one two three\none\nfile\n")
        // The same from elsewhere, naming the directory: the paths resolve the same way.
        try LabTargets.inspect(host, "rm -rf /srv/ld-vf")
        let parent = (dir as NSString).deletingLastPathComponent, base = (dir as NSString).lastPathComponent
        let again = try KeelBinary.run(["play", "\(base)/vf.yml", "-i", "\(base)/inventory.ini"], in: parent)
        #expect(again.status == 0, "\(again.output)")
        #expect(try LabTargets.inspect(host, "cat /srv/ld-vf/out") == "one two three\n")
    }

    @Test func keelRunRunsAnyModuleThroughTheEngine() async throws {
        let hosts = try await Self.hosts(2)
        for host in hosts { try LabTargets.inspect(host, "rm -f /tmp/ld-adhoc") }
        let inventory = try KeelBinary.directory(["inventory.ini": LabInventory.ini(hosts)])
        defer { try? FileManager.default.removeItem(atPath: inventory) }
        let ini = inventory + "/inventory.ini"
        // Check mode changes nothing and says what would change.
        let checked = try KeelBinary.run(["run", "t-ld-*", "-i", ini, "-m", "copy", "-a", "content={{ word }} dest=/tmp/ld-adhoc",
                                          "-e", "word=hello", "--check", "--diff"])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.stdout.contains("+++ after: /tmp/ld-adhoc\n@@ -0,0 +1 @@\n+hello\n"), "\(checked.output)")
        #expect(checked.stdout.contains("t-ld-1 | CHANGED => {"), "\(checked.output)")
        #expect(try LabTargets.inspect(hosts[0], "test -e /tmp/ld-adhoc && echo yes || echo no") == "no\n")
        // -e reaches the arguments' templates; the module runs on every matching host.
        let copied = try KeelBinary.run(["run", "t-ld-*", "-i", ini, "-m", "copy", "-a", "content={{ word }} dest=/tmp/ld-adhoc",
                                         "-e", "word=hello", "--forks", "1", "-b"])
        #expect(copied.status == 0, "\(copied.output)")
        for host in hosts {
            #expect(copied.stdout.contains("\(host.name) | CHANGED => {"), "\(copied.output)")
            #expect(try LabTargets.inspect(host, "cat /tmp/ld-adhoc") == "hello")
        }
        // A second run changes nothing.
        let again = try KeelBinary.run(["run", "t-ld-1", "-i", ini, "-m", "copy", "-a", "content=hello dest=/tmp/ld-adhoc"])
        #expect(again.stdout.contains("t-ld-1 | SUCCESS => {"), "\(again.output)")
        // shell keeps its output format; a failure exits 2.
        let shell = try KeelBinary.run(["run", "t-ld-1", "-i", ini, "-m", "shell", "-a", "echo out; echo err >&2; exit 3"])
        #expect(shell.status == 2, "\(shell.output)")
        #expect(shell.stdout.contains("t-ld-1 | FAILED | rc=3 >>\nout\nerr\n"), "\(shell.output)")
        // An argument typo is a usage error (1) found before connecting.
        let typo = try KeelBinary.run(["run", "t-ld-1", "-i", ini, "-m", "copy", "-a", "content=x dset=/tmp/y"])
        #expect(typo.status == 1, "\(typo.output)")
        #expect(typo.stderr.contains("unsupported argument 'dset'") && typo.stderr.contains("did you mean 'dest'?"), "\(typo.output)")
    }

    @Test func keelRunReportsUnreachableHostsWithFour() async throws {
        let dir = try KeelBinary.directory(["inventory.ini": "gone ansible_host=198.18.0.254 ansible_user=root\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["run", "gone", "-i", dir + "/inventory.ini", "-a", "true"])
        #expect(result.status == 4, "\(result.output)")
        #expect(result.stdout.contains("gone | UNREACHABLE! => "), "\(result.output)")
    }

    /// `--diff` of a changed file too large to diff says so instead of printing nothing.
    @Test func aDiffOfALargeFileSaysItWasLeftOut() async throws {
        let host = try await Self.hosts(1)[0]
        let old = String(repeating: "a", count: 70_000), new = String(repeating: "b", count: 70_000)
        try LabTargets.inspect(host, "printf '%s' '\(old)' > /tmp/ld-big")
        let dir = try KeelBinary.directory([
            "inventory.ini": LabInventory.ini([host]),
            "site.yml": "- hosts: lab\n  gather_facts: false\n  tasks:\n    - copy: {src: big, dest: /tmp/ld-big}\n",
            "big": new,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "inventory.ini", "--diff"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("(diff left out: the content is too large to diff"), "\(result.output)")
        #expect(result.stdout.contains("before: 70000 bytes, after: 70000 bytes"), "\(result.output)")
    }
}
