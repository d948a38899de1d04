import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// A loop over an empty list (a role's `loop: "{{ vhosts }}"` with no vhosts) is a skipped task in
/// Ansible: reported and counted as skipped, registered as skipped with "No items in the list". The
/// assertions spell out Ansible's values; ansible-playbook and Keel must both pass them on lab hosts.
/// A loop over something undefined is skipped when the task's `when` is false without the item (as
/// robertdebock.users guards `loop: "{{ user.unauthorized_keys }}"`), and fails otherwise.
@Suite("empty loops, against ansible-playbook", .serialized) struct EmptyLoopParityTests {
    static let playbook = """
        - hosts: parity
          gather_facts: false
          vars:
            vhosts: []
          tasks:
            - name: one file per vhost
              copy: {dest: "/tmp/keel-emptyloop-{{ item }}", content: "x"}
              loop: "{{ vhosts }}"
              register: written
            - name: what Ansible registers for it
              assert:
                that:
                  - written is skipped
                  - written is not changed
                  - written.results == []
                  - written.skipped_reason == 'No items in the list'
            - name: a loop over an undefined key, guarded by when
              copy: {dest: "/tmp/keel-emptyloop-{{ item }}", content: "x"}
              loop: "{{ account.unauthorized_keys }}"
              when: account.unauthorized_keys is defined
              vars: {account: {name: alice}}
              register: guarded
            - name: the same without the guard fails
              copy: {dest: "/tmp/keel-emptyloop-{{ item }}", content: "x"}
              loop: "{{ account.unauthorized_keys }}"
              vars: {account: {name: alice}}
              register: unguarded
              ignore_errors: true
            - name: what Ansible registers for them
              assert:
                that:
                  - guarded is skipped
                  - unguarded is failed
        """

    @Test func anEmptyLoopIsASkippedTask() async throws {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "parity")
        let lab = LabFixture.shared.lab
        let (ansibleHost, keelHost) = (hosts[0], hosts[1])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-emptyloop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.playbook.write(toFile: dir + "/site.yml", atomically: true, encoding: .utf8)
        try AnsibleParityTests.inventory(ansibleHost, lab: lab).write(toFile: dir + "/inventory.ini", atomically: true, encoding: .utf8)
        let ansible = try AnsibleTool.run("ansible-playbook", ["-i", dir + "/inventory.ini", dir + "/site.yml"],
                                          home: dir + "/.ansible", currentDirectory: dir,
                                          environment: ["ANSIBLE_RETRY_FILES_ENABLED": "0"])
        #expect(ansible.status == 0, "ansible-playbook failed:\n\(ansible.output)")
        #expect(ansible.output.contains("failed=0") && ansible.output.contains("skipped=2") && ansible.output.contains("ignored=1"), "\(ansible.output)")

        let harness = try PlaybookHarness(files: ["site.yml": Self.playbook, "inventory.ini": AnsibleParityTests.inventory(keelHost, lab: lab)])
        let keel = await harness.play(inventory: ["inventory.ini"])
        #expect(keel.status == .ok, "\(keel.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        let loopResults = keel.results.filter { $0.task.name == "one file per vhost" }
        #expect(loopResults.map(\.status) == [.skipped], "\(loopResults)")
        let recap = try #require(keel.recap[keelHost.name])
        #expect(recap[.skipped] == 2 && recap[.failed] == 0 && recap[.ignored] == 1, "\(recap)")
    }
}
