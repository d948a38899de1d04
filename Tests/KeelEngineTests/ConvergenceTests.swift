import Foundation
import KeelBase
import KeelReport
import Testing
@testable import KeelEngine

/// The engine's promises, on a real host: a converged host reports no changes, and --check predicts
/// exactly the tasks a real run then changes, without changing anything.
@Suite("Convergence, idempotence and check-mode accuracy") struct ConvergenceTests {
    static let site = """
        - hosts: localhost
          connection: local
          gather_facts: false
          vars:
            root: "@DIR@/out"
            names: [alpha, beta]
          tasks:
            - name: directory
              file: path={{ root }} state=directory mode=0750
            - name: files
              copy:
                content: "{{ item }}\\n"
                dest: "{{ root }}/{{ item }}.conf"
                mode: "0640"
              loop: "{{ names }}"
            - name: setting
              lineinfile: path={{ root }}/settings.conf line="enabled = true" create=yes
            - name: marker
              command: touch {{ root }}/marker creates={{ root }}/marker
            - name: link
              file: src={{ root }}/alpha.conf dest={{ root }}/current state=link
        """

    @Test func aSecondRunChangesNothing() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": Self.site])
        let first = await harness.play()
        #expect(first.status == .ok)
        #expect(first.recap["localhost"]?[.changed] == 5)
        #expect(harness.read("out/alpha.conf") == "alpha\n")
        #expect(harness.read("out/settings.conf") == "enabled = true\n")
        let second = await harness.play()
        #expect(second.status == .ok)
        #expect(second.recap["localhost"]?[.changed] == 0, "changed again: \(second.changedTasks)")
    }

    @Test func checkModePredictsExactlyWhatARealRunChangesAndTouchesNothing() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": Self.site])
        let before = try harness.snapshot()
        let predicted = await harness.play(check: true)
        #expect(predicted.status == .ok)
        #expect(try harness.snapshot() == before, "check mode changed the host")
        let real = await harness.play()
        // The loop task counts once per changed item in both runs.
        #expect(predicted.changedTasks == real.changedTasks)
        #expect(!real.changedTasks.isEmpty)
        // And on a converged host, both agree there is nothing to do.
        #expect(await harness.play(check: true).changedTasks.isEmpty)
    }

    @Test func checkModePredictsDriftAfterSomeoneEditedAFile() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": Self.site])
        _ = await harness.play()
        try "beta edited by hand\n".write(toFile: harness.directory + "/out/beta.conf", atomically: true, encoding: .utf8)
        let predicted = await harness.play(check: true, diff: true)
        let drift = predicted.results.filter { $0.status == .changed }
        #expect(drift.count == 1)
        #expect(drift.first?.item == "beta")
        #expect(drift.first?.diffs.first?.unified.contains("-beta edited by hand\n+beta\n") == true)
        #expect(harness.read("out/beta.conf") == "beta edited by hand\n")
        #expect(await harness.play().changedTasks == predicted.changedTasks)
    }
}
