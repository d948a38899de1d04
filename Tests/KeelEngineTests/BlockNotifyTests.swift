import Foundation
import KeelBase
import KeelTestSupport
import Testing
@testable import KeelEngine

/// `notify` on a block, run: any task inside that changes notifies the block's handler, including the
/// tasks an include_tasks or include_role inside it brings in at run time; a task's own notify wins.
/// The same playbook under ansible-playbook (connection local) runs the same handlers.
@Suite("notify on a block") struct BlockNotifyTests {
    @Test func anyChangeInsideTheBlockNotifiesItsHandler() async throws {
        let harness = try PlaybookHarness(files: Self.files)
        let outcome = await harness.play()
        #expect(outcome.status == .ok, "\(outcome.results.filter { $0.status == .failed }.map { $0.message ?? "" })")
        #expect(harness.read("handlers.log") == "plain\nown\ninclude\nrole\n")
        try FileManager.default.removeItem(atPath: harness.directory + "/handlers.log")
        _ = await harness.play()
        #expect(harness.read("handlers.log") == nil, "nothing changed the second time")
    }

    @Test func ansiblePlaybookRunsTheSameHandlers() throws {
        let harness = try PlaybookHarness(files: Self.files)
        let ansible = try AnsibleTool.run("ansible-playbook", ["-i", "localhost,", "site.yml",
                                                              "-e", "ansible_python_interpreter=\(AnsibleTool.venv)/bin/python"],
                                          home: harness.directory + "/.ansible", currentDirectory: harness.directory)
        #expect(ansible.status == 0, "\(ansible.output)")
        #expect(harness.read("handlers.log") == "plain\nown\ninclude\nrole\n")
    }

    static let files = [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - name: plain tasks
                      notify: from plain
                      block:
                        - copy: content="1" dest=@DIR@/one
                        - command: "true"
                          changed_when: false
                        - copy: content="2" dest=@DIR@/two
                          notify: own
                    - name: an include inside
                      notify: from include
                      block:
                        - include_tasks: inc.yml
                    - name: a role inside
                      notify: from role
                      block:
                        - include_role: {name: r}
                    - name: nothing changes here
                      notify: never
                      block:
                        - command: "true"
                          changed_when: false
                  handlers:
                    - {name: from plain, shell: echo plain >> @DIR@/handlers.log}
                    - {name: own, shell: echo own >> @DIR@/handlers.log}
                    - {name: from include, shell: echo include >> @DIR@/handlers.log}
                    - {name: from role, shell: echo role >> @DIR@/handlers.log}
                    - {name: never, shell: echo never >> @DIR@/handlers.log}
                """,
            "inc.yml": "- copy: content=\"3\" dest=@DIR@/three\n",
            "roles/r/tasks/main.yml": "- copy: content=\"4\" dest=@DIR@/four\n",
        ]
}
