import Foundation
import Testing

/// `ansible_verbosity` is the number of -v given, as in ansible-playbook (`-vv` gives 2); roles such as
/// willshersystems.sshd read it in their first tasks.
@Suite("ansible_verbosity") struct VerbosityVariableTests {
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
}
