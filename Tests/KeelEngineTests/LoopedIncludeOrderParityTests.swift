import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// A looped include_tasks / include_role runs its items in the loop's order, each with its own loop
/// variable, and an include inside an included file works per item (robertdebock.users loops
/// `include_tasks: user.yml` over the users). An include's own `when` is not inherited by its tasks
/// (dev-sec's ssh_hardening includes crypto_macs.yml under `when: ssh_macs is undefined`, whose first
/// task sets ssh_macs). ansible-playbook and Keel write what they ran to their lab host; the files must match.
@Suite("looped includes run in order, against ansible-playbook", .serialized) struct LoopedIncludeOrderParityTests {
    static let files: [String: String] = [
        "site.yml": """
            - hosts: parity
              gather_facts: false
              tasks:
                - shell: rm -f /tmp/keel-include-order
                - include_tasks: one.yml
                  loop: [alpha, beta, gamma]
                  loop_control: {loop_var: name}
                - include_role: {name: marker}
                  loop: [r1, r2]
                - include_tasks: guard.yml
                  when: guard_done is undefined
            """,
        "guard.yml": """
            - set_fact: {guard_done: true}
            - shell: echo "after the guard" >> /tmp/keel-include-order
            """,
        "one.yml": """
            - shell: echo "task {{ name }}" >> /tmp/keel-include-order
            - include_tasks: two.yml
              loop: [1, 2]
            """,
        "two.yml": """
            - shell: echo "  nested {{ name }} {{ item }}" >> /tmp/keel-include-order
            """,
        "roles/marker/tasks/main.yml": """
            - shell: echo "role {{ item }}" >> /tmp/keel-include-order
            """,
    ]
    static let expected = """
        task alpha
          nested alpha 1
          nested alpha 2
        task beta
          nested beta 1
          nested beta 2
        task gamma
          nested gamma 1
          nested gamma 2
        role r1
        role r2
        after the guard

        """

    @Test func itemsRunInTheLoopsOrder() async throws {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "parity")
        let lab = LabFixture.shared.lab
        let (ansibleHost, keelHost) = (hosts[0], hosts[1])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-incorder-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in Self.files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try AnsibleParityTests.inventory(ansibleHost, lab: lab).write(toFile: dir + "/inventory.ini", atomically: true, encoding: .utf8)
        let ansible = try AnsibleTool.run("ansible-playbook", ["-i", dir + "/inventory.ini", dir + "/site.yml"],
                                          home: dir + "/.ansible", currentDirectory: dir, environment: ["ANSIBLE_RETRY_FILES_ENABLED": "0"])
        #expect(ansible.status == 0, "ansible-playbook failed:\n\(ansible.output)")
        #expect(try lab.exec(ansibleHost.name, "cat /tmp/keel-include-order").stdout == Self.expected)

        var files = Self.files
        files["inventory.ini"] = AnsibleParityTests.inventory(keelHost, lab: lab)
        let harness = try PlaybookHarness(files: files)
        let keel = await harness.play(inventory: ["inventory.ini"])
        #expect(keel.status == .ok, "\(keel.failures)")
        #expect(try lab.exec(keelHost.name, "cat /tmp/keel-include-order").stdout == Self.expected)
    }
}
