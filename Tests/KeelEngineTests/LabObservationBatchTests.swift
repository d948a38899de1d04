import Foundation
import KeelBase
import KeelLab
@testable import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Batched observations over SSH (issue 22): the transport counters, the round trips of a converged run,
/// and results identical with batching on and off when a task changes what a later task observes.
@Suite("Batched observations on lab hosts") struct LabObservationBatchTests {
    let lab = Lab()

    func hosts(_ count: Int, _ prefix: String) async throws -> [LabHost] {
        try await LabFixture.shared.hosts(count, prefix: prefix)
    }

    func inspect(_ host: LabHost, _ script: String) throws -> String {
        try lab.exec(host.name, script).stdout
    }

    static func transport(_ outcome: PlaybookHarness.Outcome, _ host: String) -> TransportSummary? {
        outcome.recap[host]?.transport
    }

    /// Three directories and a loop over four more, all there already: every observation is one command.
    static let threeDirectories = """
        - hosts: lab
          gather_facts: false
          tasks:
            - {name: one, file: {path: /srv/obs/one, state: directory}}
            - {name: two, file: {path: /srv/obs/two, state: directory}}
            - {name: three, file: {path: /srv/obs/three, state: directory}}
            - name: loop
              file: {path: "/srv/obs/{{ item }}", state: directory}
              loop: [l1, l2, l3, l4]
        """

    @Test func countersCountRoundTripsCommandsAndBytesPerHost() async throws {
        let all = try await hosts(1, "obscount")
        _ = try inspect(all[0], "rm -rf /srv/obs; mkdir -p /srv/obs/one /srv/obs/two /srv/obs/three /srv/obs/l1 /srv/obs/l2 /srv/obs/l3 /srv/obs/l4")
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": Self.threeDirectories])
        // One by one: one round trip per observation (each loop item observes), nothing else (the directories exist).
        let single = await harness.play(inventory: ["inventory.ini"]) { $0.batchObservations = false }
        #expect(single.status == .ok)
        let one = try #require(Self.transport(single, all[0].name))
        #expect(one.roundTrips == 7, "\(one)")
        #expect(one.commands == 7, "\(one)")
        #expect(one.bytesSent > 0 && one.bytesReceived > 0)
        // Batched: the seven observations, the loop's four items included, in one round trip, still seven commands.
        let batched = await harness.play(inventory: ["inventory.ini"])
        #expect(batched.status == .ok)
        let three = try #require(Self.transport(batched, all[0].name))
        #expect(three.roundTrips == 1, "\(three)")
        #expect(three.commands == 7, "\(three)")
        // The JSON events carry the same counters.
        let line = JSONLinesReporter.object(for: .recap(batched.recap.values.sorted { $0.host < $1.host }, elapsedSeconds: 0), time: 0)
        let counters = line.dictValue?["transport"]?.dictValue?[all[0].name]?.dictValue
        #expect(counters?["round_trips"] == .int(1))
        #expect(counters?["commands"] == .int(7))
    }

    /// The benchmark's 40-task play (bench/workload.py), converged: a few round trips per host.
    @Test func aConvergedRunOfTheBenchmarkPlayTakesAtMostFiveRoundTripsPerHost() async throws {
        let all = try await hosts(2, "obsbench")
        for host in all { _ = try inspect(host, "rm -rf /srv/bench") }
        let harness = try Self.benchmarkHarness(all)
        // A first run (everything changes) one by one, then again batched, from a clean host.
        let firstUnbatched = await harness.play(inventory: ["inventory.ini"]) { $0.batchObservations = false }
        #expect(firstUnbatched.status == .ok)
        for host in all { _ = try inspect(host, "rm -rf /srv/bench") }
        let first = await harness.play(inventory: ["inventory.ini"])
        #expect(first.status == .ok)
        let unbatched = await harness.play(inventory: ["inventory.ini"]) { $0.batchObservations = false }
        let converged = await harness.play(inventory: ["inventory.ini"])
        #expect(converged.status == .ok)
        for host in all {
            #expect(first.recap[host.name]?[.changed] == 41)
            #expect(firstUnbatched.recap[host.name]?[.changed] == 41)
            let firstBefore = try #require(Self.transport(firstUnbatched, host.name))
            let firstAfter = try #require(Self.transport(first, host.name))
            // Every task changes: a batch cannot save the apply's round trip, but must not cost more than observing alone.
            #expect(firstAfter.roundTrips <= firstBefore.roundTrips, "first run batched \(firstAfter.line); one by one \(firstBefore.line)")
            // Each change carries the next tasks' first reads: about one round trip per changed task, not two.
            #expect(Double(firstAfter.roundTrips) < 1.3 * 41, "first run batched \(firstAfter.line); one by one \(firstBefore.line)")
            print("round trips per host, first run of the benchmark play: one by one \(firstBefore.line); batched \(firstAfter.line)")
            #expect(unbatched.recap[host.name]?[.changed] == 0)
            #expect(converged.recap[host.name]?[.changed] == 0)
            #expect(converged.recap[host.name]?[.ok] == 36 && converged.recap[host.name]?[.skipped] == 5 || converged.recap[host.name]?[.ok] == 41,
                    "\(String(describing: converged.recap[host.name]))")
            let before = try #require(Self.transport(unbatched, host.name))
            let after = try #require(Self.transport(converged, host.name))
            // One batch: the lookahead at pre_tasks' end goes on into the tasks.
            #expect(after.roundTrips == 1, "converged with batching: \(after.line); one by one: \(before.line)")
            #expect(after.roundTrips <= 5, "converged with batching: \(after.line); one by one: \(before.line)")
            #expect(before.roundTrips >= 41, "one by one, every task observes: \(before.line)")
            // Ten lineinfile tasks read the same file: one command answers them all.
            #expect(after.commands >= 30, "every task still observes: \(after.line)")
            print("round trips per host, converged benchmark play: one by one \(before.line); batched \(after.line)")
        }
    }

    /// A middle task changes a file that later tasks observe; a stat feeds a later task's argument; a
    /// loop and a handler: batching on and off give the same results, changed flags, check-mode
    /// predictions and diffs, and the same hosts.
    static let invalidation = """
        - hosts: lab
          gather_facts: false
          handlers:
            - name: note
              lineinfile: {path: /srv/inv/notes, line: "handler ran", create: true}
          tasks:
            - {name: dir, file: {path: /srv/inv, state: directory, mode: "0755"}}
            - {name: seed, copy: {dest: /srv/inv/a.conf, content: "one\\n", mode: "0644", force: false}}
            - name: middle change
              lineinfile: {path: /srv/inv/a.conf, line: "two", create: true}
              notify: note
            - {name: observe again, lineinfile: {path: /srv/inv/a.conf, line: "two", create: true}}
            - {name: later, lineinfile: {path: /srv/inv/a.conf, line: "three", create: true}}
            - {name: read, stat: {path: /srv/inv/a.conf}, register: st}
            - name: depends on the read
              copy: {dest: /srv/inv/sum, content: "{{ st.stat.checksum | default('none') }}\\n"}
            - name: tree
              file: {path: "/srv/inv/{{ item }}", state: directory}
              loop: [x, y, z]
            - {name: same file again, lineinfile: {path: /srv/inv/a.conf, regexp: "^one", line: "one", create: true}}
        """

    /// What must be identical with batching on and off: per task and item, status, message and diffs.
    static func signature(_ outcome: PlaybookHarness.Outcome) -> [String] {
        outcome.results.map { result in
            let diffs = result.diffs.map { "\($0.label)|\($0.before)|\($0.after)" }.joined(separator: ";")
            let values = result.values.filter { ["checksum", "msg", "path", "dest", "state"].contains($0.key) }.map { "\($0.key)=\($0.value.jsonString())" }
            return "\(result.task.name)|\(result.item ?? "")|\(result.status.rawValue)|\(result.message ?? "")|\(diffs)|\(values.joined(separator: ","))"
        }
    }

    @Test func batchingOnAndOffGiveTheSameResultsWhenAMiddleTaskChangesWhatLaterTasksObserve() async throws {
        let all = try await hosts(1, "obsinv")
        let host = all[0]
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": Self.invalidation])
        var runs: [Bool: [[String]]] = [:]
        var files: [Bool: String] = [:]
        for batching in [false, true] {
            _ = try inspect(host, "rm -rf /srv/inv")
            var signatures: [[String]] = []
            // Fresh host: check mode predicts, the real run changes, the second run changes nothing;
            // then drift by hand and the same again.
            for step in ["check", "real", "again", "drift-check", "drift-real"] {
                if step == "drift-check" { _ = try inspect(host, "printf 'one\\n' > /srv/inv/a.conf; rmdir /srv/inv/y") }
                let outcome = await harness.play(check: step.hasSuffix("check"), diff: true, inventory: ["inventory.ini"]) {
                    $0.batchObservations = batching
                }
                #expect(outcome.status == .ok, "\(step) batching=\(batching): \(outcome.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
                signatures.append(Self.signature(outcome))
            }
            runs[batching] = signatures
            files[batching] = try inspect(host, "cd /srv/inv && find . | sort && cat a.conf sum notes")
        }
        let off = try #require(runs[false]), on = try #require(runs[true])
        for (index, step) in ["check", "real", "again", "drift-check", "drift-real"].enumerated() {
            #expect(on[index] == off[index], "\(step): batching changed the results")
        }
        #expect(files[true] == files[false])
        #expect(files[true]?.contains("one\ntwo\nthree\n") == true, "\(files[true] ?? "")")
        // The run after the change observed again: the later lineinfile saw "two" in place.
        #expect(on[1].contains { $0.hasPrefix("observe again||ok|") }, "\(on[1])")
        #expect(on[2].allSatisfy { !$0.contains("|changed|") }, "converged: \(on[2])")
    }

    /// Fact gathering is batched with the first tasks; a task that needs the facts looks ahead again at
    /// its turn; handlers look ahead over the rest of the flush, and one that observes what the handler
    /// before it changed observes again.
    static let factsAndHandlers = """
        - hosts: lab
          gather_facts: true
          handlers:
            - name: first handler
              lineinfile: {path: /srv/fh/log, line: "first", create: true}
            - name: second handler
              lineinfile: {path: /srv/fh/log, line: "first", create: true}
            - name: third handler
              file: {path: /srv/fh/handled, state: touch, modification_time: preserve, access_time: preserve}
          tasks:
            - {name: dir, file: {path: /srv/fh, state: directory}}
            - name: host file
              copy: {dest: /srv/fh/host, content: "{{ ansible_facts.hostname }}\\n"}
              notify: [first handler, second handler, third handler]
            - {name: one, lineinfile: {path: /srv/fh/conf, line: "a = 1", create: true}}
            - {name: two, lineinfile: {path: /srv/fh/conf, line: "b = 2", create: true}}
        """

    @Test func factGatheringAndHandlersFollowTheSameRule() async throws {
        let all = try await hosts(1, "obsfacts")
        let host = all[0]
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": Self.factsAndHandlers])
        var runs: [Bool: [[String]]] = [:]
        var converged: [Bool: TransportSummary] = [:]
        for batching in [false, true] {
            _ = try inspect(host, "rm -rf /srv/fh")
            var signatures: [[String]] = []
            for step in ["first", "converged", "drift"] {
                if step == "drift" { _ = try inspect(host, "echo other > /srv/fh/host; : > /srv/fh/log") }
                let outcome = await harness.play(diff: true, inventory: ["inventory.ini"]) { $0.batchObservations = batching }
                #expect(outcome.status == .ok, "\(step) batching=\(batching)")
                signatures.append(Self.signature(outcome))
                if step == "converged" { converged[batching] = Self.transport(outcome, host.name) }
            }
            runs[batching] = signatures
        }
        #expect(runs[true] == runs[false], "batching changed the results")
        let first = runs[true]?[0] ?? []
        #expect(first.contains { $0.hasPrefix("first handler||changed|") } && first.contains { $0.hasPrefix("second handler||ok|") },
                "the second handler observed after the first changed the file: \(first)")
        let off = try #require(converged[false]), on = try #require(converged[true])
        #expect(off.roundTrips == 5, "gathering and four observations, one by one: \(off.line)")
        #expect(on.roundTrips <= 2, "gathering with the first tasks, then the task that needed the facts: \(on.line)")
        print("round trips, converged facts and handlers play: one by one \(off.line); batched \(on.line)")
    }

    /// A first run where every task changes the host: a task's change carries the next tasks' first
    /// reads, so a task costs about one round trip. Facts, pre_tasks into tasks, a loop, a register that
    /// feeds a later task, a handler, a template, a command guarded by creates, an upload too big to carry.
    static let everyTaskChanges = """
        - hosts: lab
          gather_facts: true
          vars: {greeting: hello}
          handlers:
            - name: note
              lineinfile: {path: /srv/pb/notes, line: "handled", create: true}
            - name: note again
              lineinfile: {path: /srv/pb/notes, line: "handled twice", create: true}
          pre_tasks:
            - {name: root, file: {path: /srv/pb, state: directory, mode: "0755"}}
          tasks:
            - {name: d1, file: {path: /srv/pb/d1, state: directory}}
            - name: host
              copy: {dest: /srv/pb/host, content: "{{ ansible_facts.hostname }}\\n"}
              notify: [note, note again]
            - name: dirs
              file: {path: "/srv/pb/{{ item }}", state: directory}
              loop: [a, b, c]
            - {name: l1, lineinfile: {path: /srv/pb/app.conf, line: "k1 = 1", create: true}}
            - {name: l2, lineinfile: {path: /srv/pb/app.conf, line: "k2 = 2", create: true}}
            - {name: st, stat: {path: /srv/pb/app.conf}, register: st}
            - name: sum
              copy: {dest: /srv/pb/sum, content: "{{ st.stat.checksum | default('none') }}\\n"}
            - name: big
              copy: {dest: /srv/pb/big, content: "{{ 'x' * 70000 }}"}
            - {name: tpl, template: {src: pb.j2, dest: /srv/pb/t.conf}}
            - {name: cmd, command: "touch /srv/pb/done", args: {creates: /srv/pb/done}}
            - {name: mode, file: {path: /srv/pb/a, state: directory, mode: "0700"}}
            - {name: l3, lineinfile: {path: /srv/pb/d1/extra.conf, line: "k3 = 3", create: true}}
        """

    @Test func aFirstRunWhereEveryTaskChangesCostsAboutOneRoundTripPerTaskWithTheSameResults() async throws {
        let all = try await hosts(1, "obsfirst")
        let host = all[0]
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": Self.everyTaskChanges,
                                                  "templates/pb.j2": "{{ greeting }} from {{ inventory_hostname }}\n"])
        let steps = ["check", "real", "again"]
        var runs: [Bool: [[String]]] = [:]
        var files: [Bool: String] = [:]
        var first: [Bool: TransportSummary] = [:]
        var changed: [Bool: Int] = [:]
        for batching in [false, true] {
            _ = try inspect(host, "rm -rf /srv/pb")
            var signatures: [[String]] = []
            for step in steps {
                let outcome = await harness.play(check: step == "check", diff: true, inventory: ["inventory.ini"]) { $0.batchObservations = batching }
                #expect(outcome.status == .ok, "\(step) batching=\(batching): \(outcome.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
                signatures.append(Self.signature(outcome))
                if step == "real" {
                    first[batching] = Self.transport(outcome, host.name)
                    changed[batching] = outcome.results.filter { $0.status == .changed }.count
                }
            }
            runs[batching] = signatures
            files[batching] = try inspect(host, "cd /srv/pb && find . | sort && ls -ld a | cut -c1-10 && cat app.conf sum notes t.conf host d1/extra.conf && wc -c big")
        }
        let off = try #require(runs[false]), on = try #require(runs[true])
        for (index, step) in steps.enumerated() {
            #expect(on[index] == off[index], "\(step): batching changed the results")
        }
        #expect(files[true] == files[false])
        #expect(on[1].filter { $0.contains("|changed|") }.count >= 15, "every task changes on the first run: \(on[1])")
        #expect(on[2].allSatisfy { !$0.contains("|changed|") }, "converged: \(on[2])")
        // Every changed task (loop items and handlers included) costs about one exchange: its change carries the next reads.
        let batched = try #require(first[true]), single = try #require(first[false])
        let changes = try #require(changed[true])
        #expect(Double(batched.roundTrips) < 1.3 * Double(changes), "first run batched \(batched.line) for \(changes) changes; one by one \(single.line)")
        #expect(batched.roundTrips < single.roundTrips)
        print("round trips per host, first run where every task changes (\(changes) changes): one by one \(single.line); batched \(batched.line)")
    }

    /// The benchmark's play (bench/workload.py, written by the script itself) for these lab hosts.
    static func benchmarkHarness(_ hosts: [LabHost]) throws -> PlaybookHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-play-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        generator.arguments = [repositoryRoot + "/bench/workload.py", directory]
        try generator.run()
        generator.waitUntilExit()
        #expect(generator.terminationStatus == 0, "bench/workload.py failed")
        let site = try String(contentsOfFile: directory + "/site.yml", encoding: .utf8).replacingOccurrences(of: "hosts: bench", with: "hosts: lab")
        let template = try String(contentsOfFile: directory + "/templates/bench.conf.j2", encoding: .utf8)
        return try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(hosts), "site.yml": site, "templates/bench.conf.j2": template])
    }

    static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// A lookup runs on the controller when its task renders: a task that uses one is not rendered ahead,
    /// so `pipe` runs exactly as often batched as one by one (once per host and task).
    @Test func aLookupRunsOnlyWhenItsTaskRuns() async throws {
        let all = try await hosts(1, "obslookup")
        let counter = FileManager.default.temporaryDirectory.appendingPathComponent("keel-obslookup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let site = """
            - hosts: lab
              gather_facts: false
              tasks:
                - {name: before, file: {path: /srv/obslookup, state: directory}}
                - name: uses pipe
                  copy:
                    dest: /srv/obslookup/out
                    content: "{{ lookup('pipe', 'echo run >> \(counter); echo hello') }}"
                - {name: after, file: {path: /srv/obslookup/out, mode: "0644"}}
            """
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini(all), "site.yml": site])
        for _ in 0..<2 { #expect(await harness.play(inventory: ["inventory.ini"]).status == .ok) }
        let runs = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n")
        #expect(runs.count == 2, "pipe ran \(runs.count) times in two runs")
        #expect(try inspect(all[0], "cat /srv/obslookup/out") == "hello")
    }

}
