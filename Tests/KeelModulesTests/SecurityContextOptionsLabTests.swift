import Foundation
import KeelBase
import KeelEngine
import KeelReport
import KeelTestSupport
import Testing

/// The SELinux options (seuser, serole, setype, selevel) and unsafe_writes on a host without SELinux, the
/// path CI can test: accepted by every file-attribute module, they change nothing, in check mode as in a
/// real run, with the same statuses per task as ansible-playbook (and --check) gives on the same host. (A host with
/// SELinux enabled, where `file` applies the context with chcon, is not available in the lab.)
@Suite("SELinux options on a host without SELinux", .serialized) struct SecurityContextOptionsLabTests {
    static func tasks() -> String {
        """
            - name: directory with a type
              file: {path: "{{ base }}/d", state: directory, mode: "0755", setype: mysqld_db_t}
            - name: the same directory with a whole context
              file: {path: "{{ base }}/d", state: directory, mode: "0755", seuser: system_u, serole: object_r, setype: mysqld_db_t, selevel: s0}
            - name: copy with a type
              copy: {dest: "{{ base }}/d/f", content: "x\\n", setype: etc_t, unsafe_writes: true}
            - name: copy again
              copy: {dest: "{{ base }}/d/f", content: "x\\n", setype: etc_t, unsafe_writes: true}
            - name: lineinfile with a user
              lineinfile: {path: "{{ base }}/d/g", line: "y", create: true, seuser: system_u}
            - name: template with a level
              template: {src: "{{ playbook_dir }}/t.j2", dest: "{{ base }}/d/t", selevel: s0}
            - name: ini_file with a type
              community.general.ini_file: {path: "{{ base }}/d/i.ini", section: s, option: o, value: v, setype: etc_t}
            - name: blockinfile with a role
              blockinfile: {path: "{{ base }}/d/h", block: "z", create: true, serole: object_r}
            - name: an existing file with only a type
              file: {path: "{{ base }}/pre", setype: etc_t, mode: "0644"}
            - name: a touched file whose times are kept
              file: {path: "{{ base }}/d/log", state: touch, setype: var_log_t, modification_time: preserve, access_time: preserve}
        """
    }

    @Test func acceptedIgnoredAndLikeAnsible() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "selinux")[0]
        let selinux = try LabFixture.shared.lab.exec(host.name, "[ -e /sys/fs/selinux/enforce ] && echo enabled || echo disabled")
        try #require(selinux.stdout == "disabled\n", "this suite tests hosts without SELinux; this one has it")
        let root = "/root/keel-selinux-\(UUID().uuidString.prefix(8))"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-selinux-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "templated\n".write(toFile: dir + "/t.j2", atomically: true, encoding: .utf8)
        let inventory = LabInventory.ini([host], group: "lab", lab: LabFixture.shared.lab, hostVars: [host.name: "ansible_python_interpreter=/usr/bin/python3"])
        try inventory.write(toFile: dir + "/inventory.ini", atomically: true, encoding: .utf8)
        for tool in ["keel", "ansible"] {
            try "- hosts: lab\n  gather_facts: false\n  vars: {base: \(root)/\(tool)}\n  tasks:\n\(Self.tasks())".write(toFile: "\(dir)/\(tool).yml", atomically: true, encoding: .utf8)
        }
        _ = try LabFixture.shared.lab.exec(host.name, "mkdir -p \(root)/keel \(root)/ansible && touch \(root)/keel/pre \(root)/ansible/pre && chmod 644 \(root)/*/pre")

        func keel(check: Bool) async -> (PlaybookRunner.ExitStatus, [HostTaskResult]) {
            var options = RunOptions()
            options.inventorySources = [dir + "/inventory.ini"]
            options.checkMode = check
            let recorder = GitPlaybookLabTests.Recorder()
            let status = await PlaybookRunner(options: options, sinks: [recorder]).run([dir + "/keel.yml"])
            return (status, recorder.results)
        }
        func statuses(_ results: [HostTaskResult]) -> [String] { results.map { "\($0.task.name): \($0.status.rawValue)" } }
        let snapshot = "cd \(root)/keel && find . -printf '%p %y %m\\n' | sort"

        let before = try LabFixture.shared.lab.exec(host.name, snapshot).stdout
        let (checkStatus, predicted) = await keel(check: true)
        #expect(checkStatus == .ok, "\(predicted.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        #expect(try LabFixture.shared.lab.exec(host.name, snapshot).stdout == before, "check mode wrote to the host")
        let (status, real) = await keel(check: false)
        #expect(status == .ok, "\(real.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        let changed = real.filter { $0.status == .changed }.map(\.task.name)
        // Only what creates or edits content changes; the context options alone never do.
        #expect(changed == ["directory with a type", "copy with a type", "lineinfile with a user", "template with a level",
                            "ini_file with a type", "blockinfile with a role", "a touched file whose times are kept"])
        let (againStatus, again) = await keel(check: false)
        #expect(againStatus == .ok && again.allSatisfy { $0.status != .changed }, "second run: \(statuses(again))")

        // Check mode on a fresh path predicts what ansible-playbook --check predicts (later tasks on paths an
        // earlier one would create included), then the real runs agree task by task.
        let (ansibleCheckStatus, checkOutput) = try AnsibleTool.run("ansible-playbook", ["--check", "-i", dir + "/inventory.ini", dir + "/ansible.yml"], home: dir + "/.ansible")
        #expect(ansibleCheckStatus == 0, "ansible-playbook --check failed:\n\(checkOutput.suffix(3000))")
        #expect(statuses(predicted) == GitPlaybookLabTests.ansibleResults(checkOutput).map { "\($0.task): \($0.status)" })
        let (ansibleStatus, output) = try AnsibleTool.run("ansible-playbook", ["-i", dir + "/inventory.ini", dir + "/ansible.yml"], home: dir + "/.ansible")
        #expect(ansibleStatus == 0, "ansible-playbook failed:\n\(output.suffix(3000))")
        #expect(statuses(real) == GitPlaybookLabTests.ansibleResults(output).map { "\($0.task): \($0.status)" })
        _ = try LabFixture.shared.lab.exec(host.name, "rm -rf \(root)")
    }
}
