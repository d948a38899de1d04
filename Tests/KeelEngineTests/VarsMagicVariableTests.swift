import Foundation
import KeelBase
import Testing
@testable import KeelEngine

/// Ansible's `vars` magic variable: every variable of the task, templated, for `vars[name]` lookups that
/// roles build from other variables.
@Suite("The vars magic variable") struct VarsMagicVariableTests {
    @Test func varsHoldsEveryVariableTemplated() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": """
            - hosts: localhost
              connection: local
              gather_facts: false
              vars:
                base: x
                derived: "{{ base }}-y"
                pick: derived
                broken: "{{ never_defined }}"
              tasks:
                - set_fact:
                    fact_value: from-fact
                - copy:
                    content: "{{ vars[pick] }} {{ vars['base'] }} {{ 'derived' in vars }} {{ vars.fact_value }} {{ vars.inventory_hostname }} {{ vars.task_var }}"
                    dest: "@DIR@/out"
                  vars:
                    task_var: "{{ base }}{{ base }}"
            """])
        let outcome = await harness.play()
        #expect(outcome.status == .ok, "\(outcome.results.map { "\($0.task.name): \($0.message ?? "")" })")
        #expect(harness.read("out") == "x-y x True from-fact localhost xx")
    }
}
