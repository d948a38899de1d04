import Foundation
import KeelBase
import KeelReport
import Testing
@testable import KeelEngine

/// A circular include_tasks (a.yml includes b.yml includes a.yml) grew without end (issue 14, defect 2).
@Suite("include_tasks cycles") struct IncludeCycleTests {
    // Before the bound the run never ended (memory grew without limit): the time limit turns that into a
    // failure instead of a hung test run. No tighter timing: on a busy machine the suite's turn can be late.
    @Test(.timeLimit(.minutes(5))) func aCircularIncludeFailsTheHostWithTheChainOfFiles() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - include_tasks: a.yml
                    - name: after the cycle
                      command: touch @DIR@/after
                """,
            "a.yml": "- include_tasks: b.yml\n",
            "b.yml": "- name: in b\n  set_fact: {seen: true}\n- include_tasks: a.yml\n",
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .hostFailed)
        let failure = outcome.results.first { $0.status == .failed }
        let message = failure?.message ?? ""
        #expect(message.contains("include_tasks/include_role nested more than \(IncludeDepth.limit) deep"), "\(message)")
        let dir = harness.directory
        #expect(message.contains("the cycle \(dir)/a.yml -> \(dir)/b.yml -> \(dir)/a.yml"), "the cycle is named: \(message)")
        #expect(harness.read("after") == nil, "the host stopped at the failure")
    }

    @Test func aRoleIncludingItselfFailsWithTheChain() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - include_role: {name: loop}
                """,
            "roles/loop/tasks/main.yml": "- include_role: {name: loop}\n",
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .hostFailed)
        let message = outcome.results.first { $0.status == .failed }?.message ?? ""
        #expect(message.contains("roles/loop/tasks/main -> "), "\(message)")
    }

    @Test func anIncludeThatEndsItsOwnRecursionStillWorks() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  vars: {n: 0}
                  tasks:
                    - include_tasks: count.yml
                """,
            "count.yml": """
                - set_fact: {n: "{{ n | int + 1 }}"}
                - include_tasks: count.yml
                  when: n | int < 5
                - copy: {content: "{{ n }}", dest: "@DIR@/count"}
                  when: n | int == 5
                """,
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .ok, "\(outcome.results.filter { $0.status == .failed }.map { $0.message ?? "" })")
        #expect(harness.read("count") == "5")
    }
}
