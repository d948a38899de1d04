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
}
