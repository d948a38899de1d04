import Foundation
import Testing

/// `ansible_verbosity` is the number of -v given, as in ansible-playbook (`-vv` gives 2); roles such as
/// willshersystems.sshd read it in their first tasks.
@Suite("ansible_verbosity and ansible_role_name") struct VerbosityVariableTests {
    @Test func itCountsTheVs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-verbosity-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            - hosts: localhost
              connection: local
              gather_facts: false
              tasks:
                - copy: {dest: "\(directory)/verbosity", content: "{{ ansible_verbosity }}"}
            """.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        for (flags, expected) in [([String](), "0"), (["-vv"], "2")] {
            let run = try KeelCLI.run(["play", "-i", "localhost,"] + flags + ["site.yml"], in: directory)
            #expect(run.status == 0, "\(run.output)")
            #expect(try String(contentsOfFile: directory + "/verbosity", encoding: .utf8) == expected)
        }
    }

    /// A role's tasks and templates see `ansible_role_name` (dev-sec's os_hardening writes it into auditd.conf).
    @Test func aRoleSeesItsName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-rolename-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/roles/web.server/tasks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "- hosts: localhost\n  gather_facts: false\n  roles: [web.server]\n".write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        try "- copy: {dest: \"\(directory)/name\", content: \"{{ role_name }} {{ ansible_role_name }}\"}\n"
            .write(toFile: directory + "/roles/web.server/tasks/main.yml", atomically: true, encoding: .utf8)
        let run = try KeelCLI.run(["play", "-i", "localhost,", "site.yml"], in: directory)
        #expect(run.status == 0, "\(run.output)")
        #expect(try String(contentsOfFile: directory + "/name", encoding: .utf8) == "web.server web.server")
    }
}
