import Foundation
import KeelBase
import KeelModel
import KeelReport
import Testing
@testable import KeelEngine

/// Relative controller paths resolve against the playbook (and role), never against where keel was
/// started (issue 14, defect 4's audit). These tests run from the test process's directory, not the playbook's.
@Suite("Playbook-relative paths") struct PlaybookPathTests {
    @Test func withFileglobLooksInThePlaybooksFilesDirectory() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - file: {path: "@DIR@/out", state: directory}
                    - copy: {src: "{{ item }}", dest: "@DIR@/out/"}
                      with_fileglob: ["conf/*.conf"]
                """,
            "files/conf/a.conf": "a\n",
            "files/conf/b.conf": "b\n",
            "files/conf/c.txt": "c\n",
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .ok, "\(outcome.results.map { $0.message ?? "" })")
        #expect(harness.read("out/a.conf") == "a\n")
        #expect(harness.read("out/b.conf") == "b\n")
        #expect(harness.read("out/c.txt") == nil)
    }

    @Test func theControllerPathOfABareFileNameIsTheCurrentDirectory() {
        #expect(ControllerPath.directory(of: "vf.yml") == ".")
        #expect(ControllerPath.join(".", "vars.yml") == "vars.yml")
        #expect(ControllerPath.directory(of: "/vf.yml") == "/")
    }
}
