import Foundation
import KeelBase
import Testing
@testable import KeelEngine

/// A `with_<name>` loop or a `lookup('name')` naming a lookup Keel does not have stops the run before
/// any host is touched, located at the task.
@Suite("Lookup names checked at load time") struct LookupLoadCheckTests {
    /// What loading the playbook says (the run prints it to standard error).
    func loadError(_ harness: PlaybookHarness) -> String {
        do {
            _ = try PlaybookRunner(options: RunOptions(), sinks: []).load([harness.directory + "/site.yml"])
            return "loaded without an error"
        } catch {
            return "\(error)"
        }
    }

    @Test func anUnknownWithLoopIsRefusedBeforeTheRun() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - copy: {dest: "@DIR@/ran", content: "ran"}
                    - debug: {msg: "{{ item }}"}
                      with_itemz: [a]
                """,
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .usageOrParseError)
        #expect(harness.read("ran") == nil)
        let messages = loadError(harness)
        #expect(messages.contains("no lookup plugin named 'itemz'"), "\(messages)")
        #expect(messages.contains("site.yml:7"), "\(messages)")
    }

    @Test func anUnknownLookupInATemplateIsRefusedBeforeTheRun() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - copy: {dest: "@DIR@/ran", content: "ran"}
                    - debug: {msg: "{{ lookup('envv', 'HOME') }}"}
                """,
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .usageOrParseError)
        #expect(harness.read("ran") == nil)
        let messages = loadError(harness)
        #expect(messages.contains("no lookup plugin named 'envv'"), "\(messages)")
        #expect(messages.contains("site.yml:6"), "\(messages)")
    }

    /// assert's `that` and debug's `var` are expressions the action evaluates, not templates: their lookups
    /// (and filters and tests) are checked at load time too, located at the argument's value.
    @Test func lookupsInExpressionArgumentsAreCheckedBeforeTheRun() async throws {
        let harness = try PlaybookHarness(files: [
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - copy: {dest: "@DIR@/ran", content: "ran"}
                    - assert:
                        that:
                          - lookup('env', 'HOME') is string
                          - q('nosuch_in_that', 'x') | length == 1
                    - debug:
                        var: lookup('nosuch_in_var')
                    - assert: {that: "'a' | nosuch_filter"}
                """,
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .usageOrParseError)
        #expect(harness.read("ran") == nil)
        let messages = loadError(harness)
        #expect(messages.contains("no lookup plugin named 'nosuch_in_that'") && messages.contains("site.yml:8"), "\(messages)")
        #expect(messages.contains("no lookup plugin named 'nosuch_in_var'") && messages.contains("site.yml:11"), "\(messages)")
        #expect(messages.contains("no filter named 'nosuch_filter'") && messages.contains("site.yml:12"), "\(messages)")
        #expect(messages.contains("3 problems"), "\(messages)")
    }
}
