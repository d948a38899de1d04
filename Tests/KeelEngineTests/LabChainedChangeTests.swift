import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// A change that carries the next tasks' changes (ChainedChange, issue 22's first run): over SSH on lab
/// hosts, the results, diffs and hosts are those of one-by-one execution, whatever stops a chain (a guard
/// that no longer holds, a failed change, a set_fact, a register), and a first run takes far fewer round trips.
@Suite("Changes sent ahead in chains on lab hosts") struct LabChainedChangeTests {
    let lab = Lab()

    func inspect(_ host: LabHost, _ script: String) throws -> String {
        try lab.exec(host.name, script).stdout
    }

    /// The three ways of running: one by one, batched observations with each change carrying reads only,
    /// and with chains (the default).
    enum Way: String, CaseIterable {
        case oneByOne, readsOnly, chained

        func apply(_ options: inout RunOptions) {
            options.batchObservations = self != .oneByOne
            options.chainChanges = self == .chained
        }
    }

    /// The state of a folder on the host, contents and modes included.
    func snapshot(_ host: LabHost, _ folder: String) throws -> String {
        try inspect(host, "cd \(folder) 2>/dev/null && find . -printf '%p %y %m %s\\n' | sort && find . -type f -exec md5sum {} + | sort -k 2; ls -A /tmp | grep -c keel-chain || true")
    }

    /// The benchmark's play (bench/workload.py) on a clean host: the same results and host all three ways,
    /// and with chains at most 8 round trips per host where reads alone take one per task (the ten edits of
    /// one file go ahead too: each is rehearsed from the content the one before it writes).
    @Test func theBenchmarkPlaysFirstRunIsOneByOnesInAFewRoundTrips() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "chainbench")[0]
        let harness = try LabObservationBatchTests.benchmarkHarness([host])
        var signatures: [Way: [String]] = [:], hosts: [Way: String] = [:], roundTrips: [Way: Int] = [:]
        for way in Way.allCases {
            _ = try inspect(host, "rm -rf /srv/bench")
            let first = await harness.play(diff: true, inventory: ["inventory.ini"]) { way.apply(&$0) }
            #expect(first.status == .ok, "\(way)")
            #expect(first.recap[host.name]?[.changed] == 41, "\(way)")
            signatures[way] = LabObservationBatchTests.signature(first)
            hosts[way] = try snapshot(host, "/srv/bench")
            roundTrips[way] = first.recap[host.name]?.transport?.roundTrips
            let again = await harness.play(inventory: ["inventory.ini"]) { way.apply(&$0) }
            #expect(again.recap[host.name]?[.changed] == 0, "\(way): a second run changes nothing")
        }
        #expect(signatures[.chained] == signatures[.oneByOne])
        #expect(signatures[.readsOnly] == signatures[.oneByOne])
        #expect(hosts[.chained] == hosts[.oneByOne])
        #expect(hosts[.chained]?.hasSuffix("\n0\n") == true, "a chain's private folder is left behind: \(hosts[.chained] ?? "")")
        let chained = try #require(roundTrips[.chained]), readsOnly = try #require(roundTrips[.readsOnly])
        #expect(chained <= 8, "chained \(chained), reads only \(readsOnly)")
        #expect(readsOnly >= 41, "reads only: one round trip per changed task, \(readsOnly)")
        print("round trips, first run of the benchmark play: one by one \(roundTrips[.oneByOne] ?? 0), reads carried \(readsOnly), chained \(chained)")
    }

    /// What stops a chain: a later task observing what an earlier one changed where no prediction says what
    /// (its guard: a shell command's edit), a set_fact and a register feeding later arguments, a `when` on
    /// a result, a handler, check mode and a loop.
    static let stoppers = """
        - hosts: lab
          gather_facts: false
          handlers:
            - name: note
              lineinfile: {path: /srv/chs/notes, line: "handled", create: true}
          tasks:
            - {name: root, file: {path: /srv/chs, state: directory, mode: "0755"}}
            - {name: seed, copy: {dest: /srv/chs/a.conf, content: "one\\n", mode: "0644"}}
            - {name: sees seed, lineinfile: {path: /srv/chs/a.conf, line: "two"}, notify: note}
            - {name: sees it again, lineinfile: {path: /srv/chs/a.conf, regexp: "^one", line: "ONE"}}
            - name: edits behind the prediction
              shell: "echo behind >> /srv/chs/a.conf; touch /srv/chs/behind"
              args: {creates: /srv/chs/behind}
            - {name: sees the edit, lineinfile: {path: /srv/chs/a.conf, line: "three"}}
            - {name: mode, copy: {dest: /srv/chs/m.conf, content: "m\\n", mode: "0600"}}
            - {name: sees the mode, lineinfile: {path: /srv/chs/m.conf, line: "n"}}
            - {name: d1, file: {path: /srv/chs/d1, state: directory}}
            - {name: name, set_fact: {where: d2}}
            - {name: d2, file: {path: "/srv/chs/{{ where }}", state: directory}}
            - {name: touch, file: {path: /srv/chs/t, state: touch}, register: touched}
            - {name: when changed, copy: {dest: /srv/chs/changed, content: "yes\\n"}, when: touched is changed}
            - {name: shell, shell: "echo ran >> /srv/chs/log", args: {creates: /srv/chs/log}}
            - {name: after shell, lineinfile: {path: /srv/chs/log, line: "after"}}
            - name: loop
              file: {path: "/srv/chs/{{ item }}", state: directory}
              loop: [x, y]
            - {name: link, file: {src: /srv/chs/x, dest: /srv/chs/lx, state: link}}
            - {name: predicted, copy: {dest: /srv/chs/checked, content: "c\\n"}, check_mode: true}
            - {name: last, copy: {dest: /srv/chs/last, content: "{{ where }}\\n"}}
        """

    @Test func whateverStopsAChainTheResultsAreOneByOnes() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "chainstop")[0]
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": Self.stoppers])
        var runs: [Way: [[String]]] = [:], hosts: [Way: String] = [:]
        for way in Way.allCases {
            _ = try inspect(host, "rm -rf /srv/chs")
            var signatures: [[String]] = []
            for step in ["first", "again", "drift"] {
                if step == "drift" { _ = try inspect(host, "printf 'one\\n' > /srv/chs/a.conf; rmdir /srv/chs/d2; rm /srv/chs/last") }
                let outcome = await harness.play(diff: true, inventory: ["inventory.ini"]) { way.apply(&$0) }
                #expect(outcome.status == .ok, "\(way) \(step): \(outcome.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
                signatures.append(LabObservationBatchTests.signature(outcome))
            }
            runs[way] = signatures
            hosts[way] = try snapshot(host, "/srv/chs")
        }
        #expect(runs[.chained] == runs[.oneByOne])
        #expect(runs[.readsOnly] == runs[.oneByOne])
        #expect(hosts[.chained] == hosts[.oneByOne])
        let first = runs[.chained]?[0] ?? []
        #expect(first.contains { $0.hasPrefix("sees it again||changed|") }, "\(first)")
        #expect(first.contains { $0.hasPrefix("when changed||changed|") }, "\(first)")
        let files = try inspect(host, "cat /srv/chs/a.conf /srv/chs/log /srv/chs/last /srv/chs/m.conf; stat -c %a /srv/chs/m.conf")
        #expect(files == "ONE\ntwo\nthree\nran\nafter\nd2\nm\nn\n600\n", "\(files)")
        #expect(runs[.chained]?[0].contains { $0.hasPrefix("sees the edit||changed|") } == true)
    }

    /// A change that fails stops its chain: nothing after it runs ahead, so the failed host ends where it
    /// ends one by one; with ignore_errors the next tasks run in their turn.
    static func failing(ignoreErrors: Bool) -> String {
        """
        - hosts: lab
          gather_facts: false
          tasks:
            - {name: root, file: {path: /srv/chf, state: directory}}
            - {name: a file, file: {path: /srv/chf/a, state: touch}}
            - {name: under the file, file: {path: /srv/chf/a/b, state: directory}\(ignoreErrors ? ", ignore_errors: true" : "")}
            - {name: after, file: {path: /srv/chf/c, state: directory}}
            - {name: content after, copy: {dest: /srv/chf/d, content: "d\\n"}}
        """
    }

    @Test(arguments: [false, true]) func aFailedChangeStopsItsChain(ignoreErrors: Bool) async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: ignoreErrors ? "chainign" : "chainfail")[0]
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": Self.failing(ignoreErrors: ignoreErrors)])
        var runs: [Way: [String]] = [:], hosts: [Way: String] = [:]
        for way in Way.allCases {
            _ = try inspect(host, "rm -rf /srv/chf")
            let outcome = await harness.play(diff: true, inventory: ["inventory.ini"]) { way.apply(&$0) }
            #expect(outcome.status == (ignoreErrors ? .ok : .hostFailed), "\(way)")
            runs[way] = LabObservationBatchTests.signature(outcome)
            hosts[way] = try snapshot(host, "/srv/chf")
        }
        #expect(runs[.chained] == runs[.oneByOne])
        #expect(hosts[.chained] == hosts[.oneByOne])
        let listing = try inspect(host, "ls /srv/chf")
        #expect(listing == (ignoreErrors ? "a\nc\nd\n" : "a\n"), "\(listing)")
    }
}
