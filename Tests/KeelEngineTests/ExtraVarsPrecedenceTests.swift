import Foundation
import KeelTestSupport
import Testing

/// `-e` as ansible-playbook takes it: later `-e` options win, and `@file`, JSON and key=value values merge
/// at the top level only (a later mapping replaces a whole earlier mapping, it is not merged into it).
/// Both tools run the same playbook on localhost and write what they saw to a file.
@Suite("-e precedence against ansible-playbook") struct ExtraVarsPrecedenceTests {
    @Test func laterExtraVarsWinAtTheTopLevel() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-extravars-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "b:\n  y: 2\nc: from-file\n".write(toFile: directory + "/vars.yml", atomically: true, encoding: .utf8)
        try """
            - hosts: localhost
              connection: local
              gather_facts: false
              vars:
                a: from-play
                d: from-play
              tasks:
                - copy:
                    dest: "{{ out }}"
                    content: "a={{ a }} b={{ b.keys() | list | sort | join(',') }} c={{ c }} d={{ d }}\\n"
            """.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        let extra = ["-e", "a=1 c=kv", "-e", "{\"a\": 2, \"b\": {\"x\": 1}}", "-e", "@vars.yml", "-e", "d=last"]
        let keel = try KeelCLI.run(["play", "-i", "localhost,", "site.yml", "-e", "out=\(directory)/keel.txt"] + extra, in: directory)
        #expect(keel.status == 0, "\(keel.output)")
        let ansible = try AnsibleTool.run("ansible-playbook", ["-i", "localhost,", "site.yml", "-e", "out=\(directory)/ansible.txt",
                                                              "-e", "ansible_python_interpreter=\(AnsibleTool.venv)/bin/python"] + extra,
                                          home: directory + "/.ansible", currentDirectory: directory)
        #expect(ansible.status == 0, "\(ansible.output)")
        let keelSaw = try String(contentsOfFile: directory + "/keel.txt", encoding: .utf8)
        #expect(keelSaw == "a=2 b=y c=from-file d=last\n")
        #expect(keelSaw == (try String(contentsOfFile: directory + "/ansible.txt", encoding: .utf8)))
    }
}
