import Foundation
import KeelBase
import KeelReport
import Testing
@testable import KeelEngine

@Suite("Control flow") struct ControlFlowTests {
    func playbook(_ tasks: String, handlers: String = "", vars: String = "{}") -> String {
        """
        - hosts: localhost
          connection: local
          gather_facts: false
          vars: \(vars)
          tasks:
        \(tasks.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
          handlers:
        \(handlers.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    @Test func handlersRunOnceAtTheEndInDefinitionOrder() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - name: one
              copy: content="1" dest=@DIR@/one
              notify: [second, first]
            - name: two
              copy: content="2" dest=@DIR@/two
              notify: first
            - name: unchanged
              command: "true"
              changed_when: false
              notify: never notified
            """, handlers: """
            - name: first
              shell: echo first >> @DIR@/handlers.log
            - name: second
              shell: echo second >> @DIR@/handlers.log
            - name: never notified
              shell: echo never >> @DIR@/handlers.log
            """)])
        let outcome = await harness.play()
        #expect(outcome.status == .ok)
        #expect(harness.read("handlers.log") == "first\nsecond\n")
        // Nothing changes the second time, so no handler runs.
        try FileManager.default.removeItem(atPath: harness.directory + "/handlers.log")
        _ = await harness.play()
        #expect(harness.read("handlers.log") == nil)
    }

    @Test func aRescuedFailureKeepsTheHostGoingAndAlwaysRuns() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - block:
                - name: breaks
                  command: /bin/false
                - name: not reached
                  command: touch @DIR@/not-reached
              rescue:
                - name: rescue
                  copy: content="{{ ansible_failed_task.name }}" dest=@DIR@/rescued
              always:
                - name: always
                  command: touch @DIR@/always
            - name: after
              command: touch @DIR@/after
            """)])
        let outcome = await harness.play()
        #expect(outcome.status == .ok)
        #expect(harness.read("rescued") == "breaks")
        #expect(harness.read("always") != nil)
        #expect(harness.read("after") != nil)
        #expect(harness.read("not-reached") == nil)
        #expect(outcome.recap["localhost"]?[.rescued] == 1)
        #expect(outcome.recap["localhost"]?[.failed] == 0)
    }

    @Test func anUnrescuedFailureRunsAlwaysThenStopsTheHost() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - block:
                - name: breaks
                  fail: msg="no good"
              always:
                - name: always
                  command: touch @DIR@/always
            - name: after
              command: touch @DIR@/after
            """)])
        let outcome = await harness.play()
        #expect(outcome.status == .hostFailed)
        #expect(harness.read("always") != nil)
        #expect(harness.read("after") == nil)
        #expect(outcome.results(named: "breaks").first?.message == "no good")
        #expect(outcome.recap["localhost"]?[.failed] == 1)
    }

    @Test func loopsRegisterAndPerItemConditions() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - name: echo
              command: echo {{ item.n }}
              loop: [{n: 1}, {n: 2}, {n: 3}]
              when: item.n != 2
              register: echoed
              loop_control:
                label: "n={{ item.n }}"
            - name: write
              copy:
                content: "{{ echoed.results | selectattr('skipped', 'undefined') | map(attribute='stdout') | join(',') }}"
                dest: "@DIR@/echoed"
            """)])
        let outcome = await harness.play()
        #expect(outcome.status == .ok)
        #expect(harness.read("echoed") == "1,3")
        #expect(outcome.results(named: "echo").map(\.item) == ["n=1", "n=2", "n=3"])
        #expect(outcome.results(named: "echo").map(\.status) == [.changed, .skipped, .changed])
    }

    @Test func changedWhenFailedWhenAndIgnoreErrors() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - name: probe
              shell: echo state=ready; exit 3
              register: probe
              failed_when: "'ready' not in probe.stdout"
              changed_when: false
            - name: tolerated
              command: /bin/false
              ignore_errors: true
            - name: still runs
              command: touch @DIR@/still
            """)])
        let outcome = await harness.play()
        #expect(outcome.status == .ok)
        #expect(outcome.results(named: "probe").first?.status == .ok)
        #expect(outcome.results(named: "tolerated").first?.status == .ignored)
        #expect(harness.read("still") != nil)
        #expect(outcome.recap["localhost"]?[.ignored] == 1)
    }

    @Test func tagsSelectTasksWithAlwaysAndNever() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - name: web
              command: touch @DIR@/web
              tags: [web]
            - name: db
              command: touch @DIR@/db
              tags: db
            - name: always
              command: touch @DIR@/always
              tags: always
            - name: debug only
              command: touch @DIR@/never
              tags: [never, debug]
            """)])
        _ = await harness.play(tags: ["web"])
        #expect(harness.read("web") != nil && harness.read("always") != nil)
        #expect(harness.read("db") == nil && harness.read("never") == nil)
        _ = await harness.play(tags: ["debug"])
        #expect(harness.read("never") != nil)
    }

    @Test func setFactAndExtraVarsFollowPrecedence() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": """
            - hosts: localhost
              connection: local
              gather_facts: false
              vars: {color: red, size: small}
              tasks:
                - set_fact: shape=round
            - hosts: localhost
              connection: local
              gather_facts: false
              tasks:
                - copy: content="{{ color | default('none') }} {{ size | default('none') }} {{ shape }}" dest=@DIR@/out
            """])
        _ = await harness.play(extraVars: ["size": "large"])
        // Play vars stay in their play; set_fact lives on; extra vars beat everything.
        #expect(harness.read("out") == "none large round")
    }

    @Test func anUndefinedVariableNamesItselfAndTheTask() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - name: uses it
              copy: content="{{ not_defined_anywhere }}" dest=@DIR@/x
            """)])
        let outcome = await harness.play()
        #expect(outcome.status == .hostFailed)
        let message = outcome.results(named: "uses it").first?.message ?? ""
        #expect(message.contains("not_defined_anywhere"))
        #expect(message.contains("site.yml"))
    }

    @Test func includeTasksRunsPerHostAtRunTime() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": playbook("""
                - include_tasks: "{{ which }}.yml"
                """, vars: "{which: extra}"),
            "extra.yml": "- name: included\n  command: touch @DIR@/included\n",
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .ok)
        #expect(harness.read("included") != nil)
    }

    @Test func aStaticImportNameIsRenderedFromPlayAndExtraVars() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": playbook("""
                - import_tasks: "tasks-{{ flavor }}.yml"
                """, vars: "{flavor: debian}"),
            "tasks-debian.yml": "- name: debian tasks\n  command: touch @DIR@/debian\n",
            "tasks-fedora.yml": "- name: fedora tasks\n  command: touch @DIR@/fedora\n",
        ])
        #expect(await harness.play().status == .ok)
        #expect(harness.read("debian") != nil)
        #expect(await harness.play(extraVars: ["flavor": "fedora"]).status == .ok)
        #expect(harness.read("fedora") != nil, "extra vars outrank play vars at load time too")
    }

    @Test func noLogHidesResultsAndDiffs() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - name: secret
              copy: content="hunter2" dest=@DIR@/secret
              no_log: true
            """)])
        let outcome = await harness.play(diff: true)
        let result = try #require(outcome.results(named: "secret").first)
        #expect(result.status == .changed)
        #expect(result.diffs.allSatisfy { $0.redacted })
        #expect(!result.diffs.map(\.unified).joined().contains("hunter2"))
        #expect(!Value.dict(result.values).jsonString().contains("hunter2"))
    }

    @Test func aParseErrorTouchesNoHostAndExitsWithOne() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": playbook("""
            - name: typo
              copy: content=x dest=@DIR@/x
              whn: true
            """)])
        let outcome = await harness.play()
        #expect(outcome.status == .usageOrParseError)
        #expect(outcome.results.isEmpty)
    }
}
