import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// The engine's control flow over SSH on lab hosts, each test checking the hosts and the recap:
/// any_errors_fatal, forks, handlers with listen/flush_handlers/force_handlers, block/rescue/always with
/// ansible_failed_task, until/retries, ignore_unreachable, per-task check_mode, delegate_to localhost,
/// and no_log.
@Suite("Control flow on lab hosts") struct LabControlFlowTests {
    let lab = Lab()

    func hosts(_ count: Int, _ prefix: String) async throws -> [LabHost] {
        try await LabFixture.shared.hosts(count, prefix: prefix)
    }

    func inspect(_ host: LabHost, _ script: String) throws -> String { try lab.exec(host.name, script).stdout }

    func harness(_ hosts: [LabHost], _ playbook: String) throws -> PlaybookHarness {
        try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(hosts), "site.yml": playbook])
    }

    @Test func anyErrorsFatalStopsEveryHost() async throws {
        let all = try await hosts(3, "fatal")
        for host in all { _ = try inspect(host, "rm -f /tmp/fatal-after") }
        let outcome = await try harness(all, """
            - hosts: lab
              gather_facts: false
              any_errors_fatal: true
              tasks:
                - name: one host breaks
                  command: "false"
                  when: inventory_hostname == '\(all[1].name)'
                - name: after
                  file: {path: /tmp/fatal-after, state: touch}
            """).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .hostFailed)
        for host in all { #expect(try inspect(host, "test -e /tmp/fatal-after && echo yes || echo no") == "no\n") }
        #expect(outcome.recap[all[1].name]?[.failed] == 1)
        #expect(outcome.results(named: "after").isEmpty)
    }

    @Test func forksBoundHowManyHostsWorkAtOnce() async throws {
        let all = try await hosts(4, "forks")
        let outcome = await try harness(all, """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: busy
                  shell: date +%s.%N > /tmp/forks-start; sleep 1; date +%s.%N > /tmp/forks-end
            """).play(inventory: ["inventory.ini"]) { $0.forks = 2 }
        #expect(outcome.status == .ok)
        let spans = try all.map { host -> (Double, Double) in
            let start = Double(try inspect(host, "cat /tmp/forks-start").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let end = Double(try inspect(host, "cat /tmp/forks-end").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return (start, end)
        }
        // At every host's start, count the hosts whose work spans that instant: never more than forks.
        let mostAtOnce = spans.map { probe in spans.filter { $0.0 <= probe.0 && probe.0 < $0.1 }.count }.max() ?? 0
        #expect(mostAtOnce == 2, "spans: \(spans)")
    }

    @Test func handlersListenFlushAndForce() async throws {
        let all = try await hosts(2, "handlers")
        for host in all { _ = try inspect(host, "rm -rf /srv/handlers && mkdir -p /srv/handlers") }
        let outcome = await try harness(all, """
            - hosts: lab
              gather_facts: false
              force_handlers: true
              handlers:
                - name: restart app
                  shell: echo restart >> /srv/handlers/log
                  listen: app changed
                - name: reload proxy
                  shell: echo reload >> /srv/handlers/log
                  listen: app changed
              tasks:
                - name: config
                  copy: {dest: /srv/handlers/app.conf, content: "v1\\n"}
                  notify: app changed
                - name: flush now
                  meta: flush_handlers
                - name: marker after flush
                  shell: echo after-flush >> /srv/handlers/log
                - name: notify again, then fail
                  copy: {dest: /srv/handlers/app.conf, content: "v2\\n"}
                  notify: restart app
                - name: break the second host
                  command: "false"
                  when: inventory_hostname == '\(all[1].name)'
            """).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .hostFailed)
        #expect(try inspect(all[0], "cat /srv/handlers/log") == "restart\nreload\nafter-flush\nrestart\n")
        // force_handlers: the failed host still runs the handler it was notified for.
        #expect(try inspect(all[1], "cat /srv/handlers/log") == "restart\nreload\nafter-flush\nrestart\n")
        #expect(outcome.recap[all[1].name]?[.failed] == 1)
    }

    @Test func rescueSeesTheFailedTaskAndAlwaysRuns() async throws {
        let all = try await hosts(1, "rescue")
        _ = try inspect(all[0], "rm -rf /srv/rescue && mkdir -p /srv/rescue")
        let outcome = await try harness(all, """
            - hosts: lab
              gather_facts: false
              tasks:
                - block:
                    - name: migrate
                      command: cat /nonexistent/migration
                  rescue:
                    - name: record
                      copy:
                        dest: /srv/rescue/failed
                        content: "{{ ansible_failed_task.name }}: {{ ansible_failed_result.rc }}\\n"
                  always:
                    - name: cleanup
                      file: {path: /srv/rescue/always, state: touch}
            """).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok)
        #expect(try inspect(all[0], "cat /srv/rescue/failed") == "migrate: 1\n")
        #expect(try inspect(all[0], "test -e /srv/rescue/always && echo yes") == "yes\n")
        #expect(outcome.recap[all[0].name]?[.rescued] == 1)
        #expect(outcome.recap[all[0].name]?[.failed] == 0)
    }

    @Test func untilRetriesUntilTheConditionHolds() async throws {
        let all = try await hosts(1, "until")
        _ = try inspect(all[0], "rm -f /tmp/until-count")
        let outcome = await try harness(all, """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: count up
                  shell: echo x >> /tmp/until-count; wc -l < /tmp/until-count
                  register: count
                  until: count.stdout | int >= 3
                  retries: 5
                  delay: 0
                - name: give up
                  command: "false"
                  register: never
                  until: never.rc == 0
                  retries: 2
                  delay: 0
                  ignore_errors: true
            """).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok)
        #expect(try inspect(all[0], "wc -l < /tmp/until-count") == "3\n")
        #expect(outcome.results(named: "give up").first?.status == .ignored)
        #expect(outcome.recap[all[0].name]?[.ignored] == 1)
    }

    @Test func ignoreUnreachableLetsTheHostGoOn() async throws {
        let all = try await hosts(1, "unreach")
        let unreachable = "198.18.255.254"  // in the lab's range, but no host there
        let outcome = await try PlaybookHarness(files: [
            "inventory.ini": LabInventory.ini(all, hostVars: [:]) + "\n[ghosts]\nghost ansible_host=\(unreachable) ansible_ssh_common_args='-o ConnectTimeout=2'\n",
            "site.yml": """
                - hosts: lab
                  gather_facts: false
                  tasks:
                    - name: talk to the ghost
                      command: "true"
                      delegate_to: ghost
                      ignore_unreachable: true
                    - name: still here
                      command: "true"
                """,
        ]).play(inventory: ["inventory.ini"])
        #expect(outcome.results(named: "still here").first?.status == .changed, "\(outcome.failures)")
        #expect(outcome.results(named: "talk to the ghost").first?.status == .ignored)
        #expect(outcome.status == .ok)
    }

    @Test func checkModePerTaskAndDelegationToTheController() async throws {
        let all = try await hosts(1, "percheck")
        _ = try inspect(all[0], "rm -rf /srv/percheck && mkdir -p /srv/percheck")
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("keel-delegate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: local) }
        let h = try harness(all, """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: always real
                  copy: {dest: /srv/percheck/real, content: "x\\n"}
                  check_mode: false
                - name: never real
                  copy: {dest: /srv/percheck/never, content: "x\\n"}
                  check_mode: true
                - name: on the controller
                  copy: {dest: "\(local)", content: "from {{ inventory_hostname }}\\n"}
                  delegate_to: localhost
            """)
        let checked = await h.play(check: true, inventory: ["inventory.ini"])
        #expect(checked.status == .ok, "\(checked.failures)")
        #expect(try inspect(all[0], "ls /srv/percheck") == "real\n", "check_mode: false runs for real even under --check")
        #expect(!FileManager.default.fileExists(atPath: local))
        let real = await h.play(inventory: ["inventory.ini"])
        #expect(try inspect(all[0], "ls /srv/percheck") == "real\n", "check_mode: true never changes the host")
        #expect(real.results(named: "never real").first?.status == .changed, "but predicts the change")
        #expect((try? String(contentsOfFile: local, encoding: .utf8)) == "from \(all[0].name)\n")
    }

    @Test func loopsLoopControlTagsAndResultOverrides() async throws {
        let all = try await hosts(1, "loops")
        _ = try inspect(all[0], "rm -rf /srv/loops && mkdir -p /srv/loops")
        let h = try harness(all, """
            - hosts: lab
              gather_facts: false
              vars:
                sites:
                  - {name: alpha, port: 8001, enabled: true}
                  - {name: beta, port: 8002, enabled: false}
                  - {name: gamma, port: 8003, enabled: true}
              tasks:
                - name: site configs
                  copy:
                    dest: "/srv/loops/{{ idx }}-{{ site.name }}.conf"
                    content: "port={{ site.port }}\\n"
                  loop: "{{ sites }}"
                  loop_control: {loop_var: site, index_var: idx, label: "{{ site.name }}"}
                  when: site.enabled
                  register: written
                - name: count what the loop changed
                  copy:
                    dest: /srv/loops/summary
                    content: "{{ written.results | selectattr('changed') | list | length }} of {{ written.results | length }}\\n"
                  tags: [summary]
                - name: a check that never changes anything
                  command: cat /srv/loops/summary
                  register: summary
                  changed_when: false
                  failed_when: "'of 3' not in summary.stdout"
                - name: only with its tag
                  file: {path: /srv/loops/tagged, state: touch}
                  tags: [never, extra]
                - name: always runs
                  file: {path: /srv/loops/always, state: touch}
                  tags: [always]
            """)
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try inspect(all[0], "ls /srv/loops") == "0-alpha.conf\n2-gamma.conf\nalways\nsummary\n")
        let summary = try inspect(all[0], "cat /srv/loops/summary")
        #expect(summary == "2 of 3\n", "\(summary)")
        let items = outcome.results(named: "site configs").map { "\($0.item ?? "") \($0.status.rawValue)" }
        #expect(items == ["alpha changed", "beta skipped", "gamma changed"])
        #expect(outcome.results(named: "a check that never changes anything").first?.status == .ok)
        #expect(outcome.recap[all[0].name]?[.changed] == 3, "the loop counts once, as in Ansible")
        #expect(outcome.recap[all[0].name]?[.skipped] == 0, "a loop with some items run is not skipped")
        // --tags extra: the `never` task runs, untagged ones do not, `always` does.
        _ = try inspect(all[0], "rm -f /srv/loops/always")
        let tagged = await h.play(inventory: ["inventory.ini"], tags: ["extra"])
        #expect(tagged.status == .ok)
        #expect(try inspect(all[0], "ls /srv/loops") == "0-alpha.conf\n2-gamma.conf\nalways\nsummary\ntagged\n")
        #expect(tagged.results(named: "site configs").isEmpty)
        // --skip-tags summary, and a failed_when that holds fails the host.
        _ = try inspect(all[0], "echo broken > /srv/loops/summary")
        let skipped = await h.play(inventory: ["inventory.ini"], skipTags: ["summary"])
        #expect(skipped.status == .hostFailed)
        #expect(skipped.results(named: "count what the loop changed").isEmpty)
        #expect(skipped.results(named: "a check that never changes anything").first?.status == .failed)
    }

    /// loop_control.pause waits between items (not after the last), in fractions of a second too, and a
    /// value that is no number fails the task. Each item stamps the host's clock: the gaps are at least
    /// the pause (a lower bound only; how much longer depends on the machine).
    @Test func loopPauseWaitsBetweenItems() async throws {
        let all = try await hosts(1, "loops-pause")
        _ = try inspect(all[0], "rm -rf /srv/pause && mkdir -p /srv/pause")
        let outcome = await (try harness(all, """
            - hosts: lab
              gather_facts: false
              vars: {gap: 0.6}
              tasks:
                - name: stamped items
                  shell: "date +%s.%N >> /srv/pause/stamps"
                  loop: [1, 2, 3]
                  loop_control: {pause: "{{ gap }}"}
            """)).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        let stamps = try inspect(all[0], "cat /srv/pause/stamps").split(separator: "\n").compactMap { Double($0) }
        #expect(stamps.count == 3)
        for (earlier, later) in zip(stamps, stamps.dropFirst()) {
            #expect(later - earlier >= 0.6, "\(stamps)")
        }
        let bad = await (try harness(all, """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: a pause that is no number
                  command: "true"
                  loop: [1, 2]
                  loop_control: {pause: soon}
            """)).play(inventory: ["inventory.ini"])
        #expect(bad.status == .hostFailed)
        let failed = bad.results(named: "a pause that is no number")
        #expect(failed.contains { $0.status == .failed && ($0.message ?? "").contains("loop_control.pause") }, "\(failed.map { $0.message ?? "" })")
    }

    @Test func noLogHidesSecretsInResultsAndDiffs() async throws {
        let all = try await hosts(1, "nolog")
        _ = try inspect(all[0], "rm -f /srv/nolog.conf")
        let outcome = await try harness(all, """
            - hosts: lab
              gather_facts: false
              vars:
                secret: hunter2-\(UUID().uuidString)
              tasks:
                - name: secret file
                  copy: {dest: /srv/nolog.conf, content: "password={{ secret }}\\n", mode: "0600"}
                  no_log: true
                - name: failing with the secret
                  shell: echo "{{ secret }}" >&2; exit 1
                  no_log: true
                  ignore_errors: true
            """).play(diff: true, inventory: ["inventory.ini"])
        #expect(try inspect(all[0], "cat /srv/nolog.conf").hasPrefix("password=hunter2-"))
        let secret = try inspect(all[0], "cut -d= -f2 /srv/nolog.conf").trimmingCharacters(in: .whitespacesAndNewlines)
        let everything = outcome.events.map { "\($0)" }.joined(separator: "\n")
        #expect(!everything.contains(secret), "the secret reached an event")
        #expect(outcome.results(named: "failing with the secret").first?.status == .ignored)
    }
}
