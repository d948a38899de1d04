import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// throttle and any_errors_fatal under both strategies, on lab hosts over SSH: each test checks what the
/// hosts did and the recap.
@Suite("Engine keywords on lab hosts") struct LabEngineKeywordTests {
    let lab = Lab()

    func hosts(_ count: Int, _ prefix: String) async throws -> [LabHost] {
        try await LabFixture.shared.hosts(count, prefix: prefix)
    }

    func inspect(_ host: LabHost, _ script: String) throws -> String { try lab.exec(host.name, script).stdout }

    /// Each host's (start, end) of a task that wrote them to `file` with `date +%s.%N`.
    func spans(_ hosts: [LabHost], _ file: String) throws -> [(Double, Double)] {
        try hosts.map { host in
            let lines = try inspect(host, "cat \(file)").split(separator: "\n").map { Double($0) ?? 0 }
            return (lines.first ?? 0, lines.last ?? 0)
        }
    }

    /// The most hosts whose spans cover one instant (checked at every start).
    func mostAtOnce(_ spans: [(Double, Double)]) -> Int {
        spans.map { probe in spans.filter { $0.0 <= probe.0 && probe.0 < $0.1 }.count }.max() ?? 0
    }

    @Test(arguments: ["linear", "free"])
    func throttleLetsOnlyThatManyHostsRunATaskAtOnce(strategy: String) async throws {
        let all = try await hosts(3, "eng-thr-\(strategy)")
        for host in all { _ = try inspect(host, "rm -rf /srv/thr && mkdir -p /srv/thr") }
        // The same busy work three times, each in a play of its own so all hosts reach it together:
        // throttled on the task, throttled through its block, and free to use all forks (which shows the
        // spans do overlap when nothing holds them back). Two seconds of work: hosts started together
        // overlap even when a loaded machine delays one of them.
        func play(_ name: String, block: String = "", task: String = "") -> String {
            """
            - hosts: lab
              gather_facts: false
              strategy: \(strategy)
              tasks:
                - name: \(name)
                  \(block)
                  block:
                    - name: busy \(name)
                      shell: "date +%s.%N > /srv/thr/\(name); sleep 2; date +%s.%N >> /srv/thr/\(name)"
                      \(task)

            """
        }
        let playbook = play("task", task: "throttle: 1") + play("block", block: "throttle: \"{{ 1 + 1 }}\"") + play("free")
        let outcome = try await PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": playbook])
            .play(inventory: ["inventory.ini"]) { $0.forks = 3 }
        #expect(outcome.status == .ok, "\(outcome.failures)")
        let task = try spans(all, "/srv/thr/task"), block = try spans(all, "/srv/thr/block"), free = try spans(all, "/srv/thr/free")
        #expect(mostAtOnce(task) == 1, "throttle: 1 spans \(task)")
        #expect(mostAtOnce(block) == 2, "throttle: 2 on the block, spans \(block)")
        #expect(mostAtOnce(free) == 3, "forks 3 without throttle, spans \(free)")
        for host in all {
            #expect(outcome.recap[host.name]?[.changed] == 3)
            #expect(outcome.recap[host.name]?[.failed] == 0)
        }
    }

    @Test func anyErrorsFatalUnderTheFreeStrategyStopsEveryHostBeforeItsNextTask() async throws {
        let all = try await hosts(3, "eng-fatal")
        for host in all { _ = try inspect(host, "rm -rf /srv/fatal && mkdir -p /srv/fatal") }
        // `first` lasts long enough (6 s) that the third host's login and failure come before it ends even on a
        // loaded machine (2 s were too few once: the others had finished `first` and gone on).
        let outcome = try await PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": """
            - hosts: lab
              gather_facts: false
              strategy: free
              tasks:
                - name: first
                  shell: "sleep 6; touch /srv/fatal/first"
                  when: inventory_hostname != '\(all[1].name)'
                - name: breaks at once
                  command: "false"
                  any_errors_fatal: true
                  when: inventory_hostname == '\(all[1].name)'
                - name: after
                  file: {path: /srv/fatal/after, state: touch}
            """]).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .hostFailed)
        // The hosts busy with `first` when the failure came finished it, and started nothing after.
        for host in [all[0], all[2]] {
            #expect(try inspect(host, "ls /srv/fatal") == "first\n", "\(host.name)")
            #expect(outcome.recap[host.name]?[.changed] == 1)
            #expect(outcome.recap[host.name]?[.failed] == 0)
        }
        #expect(try inspect(all[1], "ls /srv/fatal") == "")
        #expect(outcome.recap[all[1].name]?[.failed] == 1)
        #expect(outcome.results(named: "after").isEmpty, "\(outcome.results(named: "after").map(\.host))")
    }

    @Test func aRescuedFailureUnderAnyErrorsFatalLetsTheFreeStrategyGoOn() async throws {
        let all = try await hosts(2, "eng-fatal-rescue")
        for host in all { _ = try inspect(host, "rm -rf /srv/fatal && mkdir -p /srv/fatal") }
        let h = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": """
            - hosts: lab
              gather_facts: false
              strategy: free
              any_errors_fatal: true
              tasks:
                - block:
                    - name: breaks
                      command: "false"
                      when: inventory_hostname == '\(all[0].name)'
                  rescue:
                    - name: recover
                      copy: {dest: /srv/fatal/rescued, content: "yes\\n"}
                - name: after
                  copy: {dest: /srv/fatal/after, content: "done\\n"}
            """])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try inspect(all[0], "ls /srv/fatal") == "after\nrescued\n")
        #expect(try inspect(all[1], "ls /srv/fatal") == "after\n")
        #expect(outcome.recap[all[0].name]?[.rescued] == 1)
        #expect(outcome.recap[all[1].name]?[.changed] == 1)
        let second = await h.play(inventory: ["inventory.ini"])
        #expect(second.status == .ok)
        #expect(second.recap[all[0].name]?[.changed] == 0)
        #expect(second.recap[all[1].name]?[.changed] == 0)
    }
}
