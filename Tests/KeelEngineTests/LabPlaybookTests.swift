import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Whole playbooks over SSH against real lab hosts: failure isolation, check-mode accuracy with handlers,
/// serial, run_once and delegate_to, the free strategy, --start-at-task, wait_for and the drift exit code.
/// Each test has hosts of its own (its own prefix), so tests run side by side.
@Suite("Playbooks on lab hosts") struct LabPlaybookTests {
    let lab = Lab()

    func hosts(_ count: Int, _ prefix: String) async throws -> [LabHost] {
        try await LabFixture.shared.hosts(count, prefix: prefix)
    }

    func inspect(_ host: LabHost, _ script: String) throws -> String {
        let result = try lab.exec(host.name, script)
        return result.stdout
    }

    @Test func aFailedHostAndAnUnreachableHostStopOnlyThemselves() async throws {
        let all = try await hosts(3, "isolate")
        _ = try inspect(all[0], "rm -rf /srv/iso")
        _ = try inspect(all[2], "rm -rf /srv/iso")
        try lab.stopSSH(all[1].name)
        defer { _ = try? lab.up(names: [all[1].name], flavor: .light) }
        let harness = try PlaybookHarness(files: [
            "inventory.ini": LabInventory.ini(all),
            "site.yml": """
                - hosts: lab
                  gather_facts: false
                  tasks:
                    - name: directory
                      file: {path: /srv/iso, state: directory}
                    - name: break one host
                      fail: {msg: broken on purpose}
                      when: inventory_hostname == '\(all[0].name)'
                    - name: after
                      copy: {dest: /srv/iso/after, content: "{{ inventory_hostname }}\\n"}
                """,
        ])
        let outcome = await harness.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .hostUnreachable, "unreachable takes precedence over failed")
        let recap = outcome.recap
        #expect(recap[all[0].name]?[.failed] == 1)
        #expect(recap[all[0].name]?[.changed] == 1)
        #expect(recap[all[1].name]?[.unreachable] == 1)
        #expect(recap[all[1].name]?[.ok] == 0)
        #expect(recap[all[2].name]?[.changed] == 2)
        #expect(recap[all[2].name]?[.failed] == 0)
        #expect(recap[all[2].name]?[.skipped] == 1)
        #expect(try inspect(all[2], "cat /srv/iso/after") == "\(all[2].name)\n")
        #expect(try inspect(all[0], "test -e /srv/iso/after && echo yes || echo no") == "no\n")
        let failure = outcome.results(named: "break one host").first { $0.status == .failed }
        #expect(failure?.message?.contains("broken on purpose") == true)
        let unreachable = outcome.results.first { $0.host == all[1].name && $0.status == .unreachable }
        #expect(unreachable?.message?.contains(all[1].name) == true, "the error names the host")
    }

    static func convergePlaybook(_ first: String) -> String {
        """
        - hosts: lab
          gather_facts: true
          vars:
            root: /srv/conv
          handlers:
            - name: note reload
              lineinfile: {path: "{{ root }}/reloads", line: "reloaded", create: true}
          tasks:
            - name: tree
              file: {path: "{{ root }}/{{ item }}", state: directory, mode: "0750"}
              loop: [etc, data]
            - name: config
              copy:
                dest: "{{ root }}/etc/app.conf"
                content: "host = {{ ansible_facts.hostname }}\\nfamily = {{ ansible_facts.os_family }}\\n"
                mode: "0640"
              notify: note reload
            - name: setting
              lineinfile: {path: "{{ root }}/etc/settings.conf", regexp: "^port", line: "port = 8080", create: true}
              notify: note reload
            - name: once for the play
              copy: {dest: "{{ root }}/elected", content: "written once\\n"}
              run_once: true
              delegate_to: \(first)
            - name: guarded command
              command: touch {{ root }}/data/initialised
              args: {creates: "{{ root }}/data/initialised"}
        """
    }

    @Test func checkModePredictsExactlyWhatTheRealRunChangesOverSSH() async throws {
        let all = try await hosts(3, "conv")
        for host in all { _ = try inspect(host, "rm -rf /srv/conv") }
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": Self.convergePlaybook(all[0].name)])
        let runs = try await ConvergenceHarness(playbook: harness, hosts: all, watched: ["/srv/conv"]).verify()
        #expect(runs.real.results(named: "note reload").count == 3, "one handler run per host")
        // Handlers ran once per host although two tasks notified them.
        for host in all {
            #expect(try inspect(host, "cat /srv/conv/reloads") == "reloaded\n")
            #expect(try inspect(host, "cat /srv/conv/etc/app.conf") == "host = \(host.name)\nfamily = Debian\n")
            #expect(try inspect(host, "cat /srv/conv/etc/settings.conf") == "port = 8080\n")
            #expect(try inspect(host, "stat -c %a /srv/conv/etc") == "750\n")
        }
        // run_once + delegate_to: the file is written on the delegate only.
        #expect(try inspect(all[0], "cat /srv/conv/elected") == "written once\n")
        #expect(try inspect(all[2], "test -e /srv/conv/elected && echo yes || echo no") == "no\n")
        // Drift by hand: check predicts exactly the task that repairs it (and its handler).
        _ = try inspect(all[1], "sed -i 's/port = 8080/port = 9/' /srv/conv/etc/settings.conf")
        let drift = await harness.play(check: true, inventory: ["inventory.ini"]) { $0.driftExitCode = true }
        #expect(drift.status == .drift)
        // The handler is notified again but its line is already there: only the setting is predicted.
        #expect(drift.changedTasks.count == 1, "\(drift.changedTasks)")
        #expect(drift.changedTasks.allSatisfy { $0.hasPrefix(all[1].name + "|") })
        #expect(try inspect(all[1], "cat /srv/conv/etc/settings.conf") == "port = 9\n")
        let repaired = await harness.play(inventory: ["inventory.ini"]) { $0.driftExitCode = true }
        #expect(repaired.changedTasks == drift.changedTasks)
        #expect(await harness.play(inventory: ["inventory.ini"]) { $0.driftExitCode = true }.status == .ok)
    }

    @Test func serialBatchesRunInTurnAndMaxFailPercentageStopsTheRest() async throws {
        let all = try await hosts(4, "serial")
        let harness = try PlaybookHarness(files: [
            "inventory.ini": LabInventory.ini(all),
            "site.yml": """
                - hosts: lab
                  gather_facts: false
                  serial: [1, 2]
                  tasks:
                    - name: first
                      command: "true"
                    - name: second
                      command: "true"
                - hosts: lab
                  gather_facts: false
                  serial: 2
                  max_fail_percentage: 0
                  tasks:
                    - name: may fail
                      fail: {msg: down}
                      when: inventory_hostname == '\(all[0].name)'
                    - name: after
                      command: "true"
                """,
        ])
        let outcome = await harness.play(inventory: ["inventory.ini"])
        let order = outcome.results.map { "\($0.host) \($0.task.name)" }
        func at(_ text: String) -> Int { order.firstIndex(of: text) ?? -1 }
        // Batch 1 (host 1) finishes before batch 2 (hosts 2, 3) starts; batch 3 (host 4) comes last.
        #expect(at("\(all[0].name) second") < at("\(all[1].name) first"), "\(order)")
        #expect(at("\(all[2].name) second") < at("\(all[3].name) first"), "\(order)")
        #expect(at("\(all[3].name) second") > 0)
        // Second play: a failure in the first batch exceeds 0 %, so the later batch never starts.
        #expect(outcome.status == .hostFailed)
        #expect(at("\(all[1].name) after") > 0, "the rest of the failing batch finishes the task list")
        #expect(at("\(all[2].name) may fail") == -1, "\(order)")
        #expect(at("\(all[3].name) may fail") == -1)
    }

    @Test func theFreeStrategyLetsAFastHostRunAhead() async throws {
        let all = try await hosts(2, "free")
        let playbook = { (strategy: String) in
            """
            - hosts: lab
              gather_facts: false
              strategy: \(strategy)
              tasks:
                # Long enough that the other host's two tasks finish first even on a machine busy with
                # every other suite (2 s was not, under CI's parallel tests).
                - name: slow on one host
                  command: sleep 8
                  when: inventory_hostname == '\(all[0].name)'
                - name: second
                  command: "true"
            """
        }
        for (strategy, fastFirst) in [("free", true), ("linear", false)] {
            let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": playbook(strategy)])
            let outcome = await harness.play(inventory: ["inventory.ini"])
            #expect(outcome.status == .ok)
            let order = outcome.results.map { "\($0.host) \($0.task.name) \($0.status.rawValue)" }
            let fastSecond = order.firstIndex(of: "\(all[1].name) second changed")
            let slowFirst = order.firstIndex(of: "\(all[0].name) slow on one host changed")
            #expect(fastSecond != nil && slowFirst != nil, "\(order)")
            if let fastSecond, let slowFirst {
                #expect((fastSecond < slowFirst) == fastFirst, "\(strategy): \(order)")
            }
            #expect(outcome.recap[all[0].name]?[.changed] == 2)
            #expect(outcome.recap[all[1].name]?[.changed] == 1)
        }
    }

    @Test func startAtTaskSkipsEverythingBefore() async throws {
        let all = try await hosts(1, "start")
        _ = try inspect(all[0], "rm -rf /srv/start && mkdir -p /srv/start")
        let harness = try PlaybookHarness(files: [
            "inventory.ini": LabInventory.ini(all),
            "site.yml": """
                - hosts: lab
                  gather_facts: false
                  tasks:
                    - name: one
                      file: {path: /srv/start/one, state: touch}
                    - name: two
                      file: {path: /srv/start/two, state: touch}
                    - name: three
                      file: {path: /srv/start/three, state: touch}
                """,
        ])
        let outcome = await harness.play(inventory: ["inventory.ini"]) { $0.startAtTask = "tw*" }
        #expect(outcome.status == .ok)
        #expect(try inspect(all[0], "ls /srv/start") == "three\ntwo\n")
        #expect(outcome.results(named: "one").isEmpty, "skipped tasks are not reported")
        let missing = await harness.play(inventory: ["inventory.ini"]) { $0.startAtTask = "no such task" }
        #expect(missing.status == .usageOrParseError)
    }

    @Test func waitForAPortAndATextInAFile() async throws {
        let all = try await hosts(1, "wait")
        let harness = try PlaybookHarness(files: [
            "inventory.ini": LabInventory.ini(all),
            "site.yml": """
                - hosts: lab
                  gather_facts: false
                  tasks:
                    - name: start a listener in the background
                      shell: (sleep 1; exec python3 -m http.server 8123 --bind 127.0.0.1 >/dev/null 2>&1) </dev/null >/dev/null 2>&1 &
                    - name: port
                      wait_for: {port: 8123, timeout: 20}
                      register: waited
                    - name: log line
                      shell: (sleep 1; echo "service ready" > /tmp/wait-ready.log) >/dev/null 2>&1 &
                    - name: text
                      wait_for: {path: /tmp/wait-ready.log, search_regex: "ready$", timeout: 20}
                    - name: a closed port times out
                      wait_for: {port: 8124, timeout: 2, msg: "8124 never opened"}
                      ignore_errors: true
                    - name: stop the listener
                      shell: pkill -f 'http.server 8123'
                    - name: port gone
                      wait_for: {port: 8123, state: stopped, timeout: 20}
                """,
        ])
        let outcome = await harness.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok)
        #expect(outcome.results(named: "port").first?.status == .ok)
        #expect(outcome.results(named: "text").first?.status == .ok)
        let timeout = outcome.results(named: "a closed port times out").first
        #expect(timeout?.status == .ignored || timeout?.status == .failed)
        #expect(timeout?.message == "8124 never opened")
        #expect(outcome.results(named: "port gone").first?.status == .ok)
        #expect(outcome.recap[all[0].name]?[.ignored] == 1)
    }
}
