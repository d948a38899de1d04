import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// The run history: every `keel play` recorded with its counts, `keel history` and `history show`, and
/// `keel drift` naming what was edited on a host since the last applied run.
@Suite("Run history and drift") struct HistoryCLITests {
    static let playbook = """
        - hosts: lab
          gather_facts: false
          tasks:
            - name: app config
              copy: {content: "port={{ port }}\\n", dest: /tmp/keel-history/app.conf}
            - name: cache directory
              file: {path: /tmp/keel-history/cache, state: directory}
            - name: motd
              copy: {content: "managed\\n", dest: /tmp/keel-history/motd}

        """

    func keel(_ arguments: String, history: String, in dir: String) throws -> KeelBinary.Result {
        try KeelBinary.run([], in: dir, shell: "env -u SUDO_USER KEEL_HISTORY='\(history)' NO_COLOR=1 \"$KEEL\" \(arguments)")
    }

    @Test func runsAreRecordedAndDriftNamesTheEditedFile() async throws {
        let host = try await LabTargets.hosts(1, prefix: "history")[0]
        try LabTargets.inspect(host, "rm -rf /tmp/keel-history && mkdir -p /tmp/keel-history")
        let dir = try KeelBinary.directory(["site.yml": Self.playbook, "hosts.ini": SavedPlanCLITests.inventory([host])])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let history = dir + "/history.sqlite"

        let nothing = try keel("drift", history: history, in: dir)
        #expect(nothing.status == 1 && nothing.stderr.contains("no applied run in the history"), "\(nothing.output)")

        let first = try keel("play site.yml -i hosts.ini -e port=80", history: history, in: dir)
        #expect(first.status == 0, "\(first.output)")
        let check = try keel("play site.yml -i hosts.ini -e port=8080 --check", history: history, in: dir)
        #expect(check.status == 0, "\(check.output)")
        let second = try keel("play site.yml -i hosts.ini -e port=8080", history: history, in: dir)
        #expect(second.status == 0, "\(second.output)")

        let list = try keel("history", history: history, in: dir)
        #expect(list.status == 0, "\(list.output)")
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        // ID WHEN(2 words) USER MODE HOSTS CHANGED FAILED OUTCOME COMMIT PLAYBOOKS, newest first.
        #expect(rows.count == 4, "\(list.stdout)")
        #expect(rows.dropFirst().map { [$0[0], $0[4], $0[5], $0[6], $0[7], $0[8]] } == [
            ["3", "apply", "1", "1", "0", "changed"],
            ["2", "check", "1", "1", "0", "changed"],
            ["1", "apply", "1", "3", "0", "changed"],
        ], "\(list.stdout)")
        #expect(!list.output.contains("8080"))

        let shown = try keel("history show 1", history: history, in: dir)
        #expect(shown.status == 0, "\(shown.output)")
        #expect(shown.stdout.contains("keel play site.yml -i hosts.ini -e (extra vars)"), "extra variables' values are not kept: \(shown.stdout)")
        #expect(shown.stdout.contains("outcome:   changed: 1 hosts, 3 changed, 0 failed"), "\(shown.stdout)")
        #expect(shown.stdout.contains("\(host.name):\n  changed     app config [site.yml:4]"), "\(shown.stdout)")

        // Converged: no drift. Then someone edits the file by hand.
        let clean = try keel("drift -e port=8080", history: history, in: dir)
        #expect(clean.status == 0 && clean.stdout.contains("no drift since run 3"), "\(clean.output)")
        try LabTargets.inspect(host, "echo port=1 > /tmp/keel-history/app.conf")
        let drift = try keel("drift -e port=8080", history: history, in: dir)
        #expect(drift.status == 3, "\(drift.output)")
        #expect(drift.stdout.contains("drift since run 3"), "\(drift.stdout)")
        #expect(drift.stdout.contains("\(host.name): 1 task would change\n    'app config' [\(dir)/site.yml:4]: /tmp/keel-history/app.conf"), "\(drift.stdout)")
        #expect(try LabTargets.inspect(host, "cat /tmp/keel-history/app.conf") == "port=1\n", "drift changes nothing")
        let missing = try keel("drift", history: history, in: dir)
        #expect(missing.status == 1 && missing.stderr.contains("not given now: port"), "\(missing.output)")
    }

    @Test func historyOffRecordsNothingAndAnUnwritableHistoryDoesNotFailTheRun() throws {
        let dir = try KeelBinary.directory(["site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let off = try keel("play site.yml -i web1, -c local", history: "off", in: dir)
        #expect(off.status == 0, "\(off.output)")
        #expect(try keel("history", history: "off", in: dir).stderr.contains("the history is switched off"))
        try "not a database".write(toFile: dir + "/broken.sqlite", atomically: true, encoding: .utf8)
        let broken = try keel("play site.yml -i web1, -c local", history: dir + "/broken.sqlite", in: dir)
        #expect(broken.status == 0, "\(broken.output)")
        #expect(broken.stderr.contains("[WARNING]: the run was not recorded in the history"), "\(broken.output)")
    }
}
