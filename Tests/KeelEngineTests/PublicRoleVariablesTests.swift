import Foundation
import KeelBase
import Testing
@testable import KeelEngine

/// Ansible exposes the defaults and vars of a play's `roles:` and import_role roles to every task of the
/// play (before and after them, and to other roles); a task's own role's win; include_role's stay private;
/// the next play sees none. Expected messages are ansible-playbook 2.19's on the same files.
@Suite("Public role variables") struct PublicRoleVariablesTests {
    @Test func rolesAndImportRoleExposeTheirVariablesToThePlay() async throws {
        let harness = try PlaybookHarness(files: [
            "roles/a/defaults/main.yml": "a_default: from-a-defaults\n",
            "roles/a/vars/main.yml": "a_var: from-a-vars\n",
            "roles/a/tasks/main.yml": "- {name: a, debug: {msg: a}}\n",
            "roles/b/defaults/main.yml": "b_only: from-b\n",
            "roles/b/tasks/main.yml": "- {name: b, debug: {msg: \"b sees {{ a_default }} {{ a_var }}\"}}\n",
            "roles/c/defaults/main.yml": "shared: from-c\n",
            "roles/c/tasks/main.yml": "- {name: c, debug: {msg: \"c sees {{ shared }} {{ a_default }}\"}}\n",
            "roles/d/defaults/main.yml": "d_default: from-d\nshared: from-d\n",
            "roles/d/tasks/main.yml": "- {name: d, debug: {msg: \"d sees {{ shared }}\"}}\n",
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  pre_tasks:
                    - {name: pre, debug: {msg: "pre sees {{ a_default }} {{ a_var }} {{ shared }}"}}
                  roles: [a, c]
                  tasks:
                    - import_role: {name: d}
                    - {name: tasks, debug: {msg: "tasks see {{ shared }} {{ d_default }}"}}
                    - include_role: {name: b}
                    - {name: after include, debug: {msg: "after include {{ b_only | default('b private') }}"}}
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - {name: next play, debug: {msg: "next play {{ a_default | default('not visible') }}"}}
                """,
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .ok, "\(outcome.results.filter { $0.status == .failed }.map { "\($0.task.name ?? ""): \($0.message ?? "")" })")
        let expected = [
            "pre": "pre sees from-a-defaults from-a-vars from-d",
            "c": "c sees from-c from-a-defaults",
            "d": "d sees from-d",
            "tasks": "tasks see from-d from-d",
            "b": "b sees from-a-defaults from-a-vars",
            "after include": "after include b private",
            "next play": "next play not visible",
        ]
        // Role tasks are named "ROLE : NAME" in results.
        let messages = Dictionary(outcome.results.map { result in
            ((result.task.name ?? "").components(separatedBy: " : ").last ?? "", result.values["msg"])
        }) { first, _ in first }
        for (name, message) in expected {
            #expect(messages[name] == .string(message), "\(name): \(String(describing: messages[name]))")
        }
    }
}
