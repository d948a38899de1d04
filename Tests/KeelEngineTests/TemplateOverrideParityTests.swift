import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// A template file that starts with `#jinja2: trim_blocks: True, lstrip_blocks: True` (dev-sec's
/// ssh_hardening templates do) renders with those settings and without that line, for the template
/// module and the template lookup. ansible-playbook and Keel render it on their lab hosts; the files match.
@Suite("#jinja2: overrides in template files, against ansible-playbook", .serialized) struct TemplateOverrideParityTests {
    static let files: [String: String] = [
        "site.yml": """
            - hosts: parity
              gather_facts: false
              vars:
                ciphers: [aes256-ctr, aes128-ctr]
              tasks:
                - template: {src: conf.j2, dest: /tmp/keel-override.conf}
                - copy: {dest: /tmp/keel-override-lookup.conf, content: "{{ lookup('template', 'conf.j2') }}"}
            """,
        "templates/conf.j2": """
            #jinja2: trim_blocks: True, lstrip_blocks: True
            # settings
              {% for c in ciphers %}
            Cipher {{ c }}
              {% endfor %}
            end

            """,
    ]

    @Test func theOverrideLineSetsTheOptionsAndIsDropped() async throws {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "parity")
        let lab = LabFixture.shared.lab
        let (ansibleHost, keelHost) = (hosts[0], hosts[1])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-override-\(UUID().uuidString)").path
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
        let expected = "# settings\nCipher aes256-ctr\nCipher aes128-ctr\nend\n"
        #expect(try lab.exec(ansibleHost.name, "cat /tmp/keel-override.conf").stdout == expected)

        var files = Self.files
        files["inventory.ini"] = AnsibleParityTests.inventory(keelHost, lab: lab)
        let harness = try PlaybookHarness(files: files)
        let keel = await harness.play(inventory: ["inventory.ini"])
        #expect(keel.status == .ok, "\(keel.failures)")
        for file in ["/tmp/keel-override.conf", "/tmp/keel-override-lookup.conf"] {
            #expect(try lab.exec(keelHost.name, "cat \(file)").stdout == lab.exec(ansibleHost.name, "cat \(file)").stdout, "\(file)")
        }
    }
}
