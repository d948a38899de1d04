import Foundation
import KeelBase
import Synchronization
import Testing
@testable import KeelReport

/// Collects what a reporter writes.
final class Captured: Sendable {
    private let text = Mutex("")
    var value: String { text.withLock { $0 } }
    func append(_ s: String) { text.withLock { $0 += s } }
}

@Suite("Reporters") struct ReporterTests {
    let task = TaskInfo(name: "write config", module: "copy", location: SourceLocation(file: "roles/web/tasks/main.yml", line: 12, column: 3))

    func feed(_ sink: some ReportSink, check: Bool = false) async {
        await sink.handle(.runStarted(RunInfo(playbooks: ["site.yml"], checkMode: check, diffMode: true)))
        await sink.handle(.playStarted(PlayInfo(name: "web", hosts: ["web1", "web2"])))
        await sink.handle(.taskStarted(task))
        await sink.handle(.hostResult(HostTaskResult(host: "web1", task: task, status: .changed,
                                                     diffs: [ReportedDiff(label: "/etc/app.conf", before: "port=80\n", after: "port=8080\n")],
                                                     checkMode: check)))
        await sink.handle(.hostResult(HostTaskResult(host: "web2", task: task, status: .failed, message: "permission denied: /etc, really")))
        await sink.handle(.recap([HostRecap(host: "web1", counts: [.ok: 3, .changed: 1]), HostRecap(host: "web2", counts: [.ok: 3, .failed: 1])],
                                 elapsedSeconds: 1.5))
    }

    @Test func aLongTaskShowsWhichHostsItWaitsForAndClearsTheLine() async throws {
        let out = Captured(), progress = Captured()
        let console = ConsoleReporter(style: .init(colors: false, progress: true), write: { out.append($0) },
                                      writeProgress: { progress.append($0) })
        let slow = TaskInfo(name: "upgrade", module: "apt", hosts: ["web1", "web2", "web3"])
        await console.handle(.taskStarted(slow))
        await console.handle(.hostResult(HostTaskResult(host: "web2", task: slow, status: .ok)))
        // The ticker draws this a second after the task started; drawn here directly, so no clock is involved.
        #expect(await console.refreshProgress())
        #expect(progress.value.contains("waiting for 2 of 3 hosts: web1, web3"))
        await console.handle(.hostResult(HostTaskResult(host: "web1", task: slow, status: .changed)))
        #expect(progress.value.hasSuffix("\r\u{1B}[K"), "the line is erased before the next output")
        #expect(out.value.contains("changed: [web1]"))
        await console.handle(.hostResult(HostTaskResult(host: "web3", task: slow, status: .ok)))
        let settled = progress.value
        #expect(await console.refreshProgress() == false, "nothing to show once every host is done")
        #expect(progress.value == settled)
        // Off a terminal (progress: false) nothing is ever drawn.
        let quiet = Captured()
        let plain = ConsoleReporter(style: .init(colors: false), write: { _ in }, writeProgress: { quiet.append($0) })
        await plain.handle(.taskStarted(slow))
        #expect(await plain.refreshProgress() == false)
        #expect(quiet.value.isEmpty)
    }

    @Test func consoleOutputHasAnsiblesShapeWithoutColorsOffATerminal() async {
        let out = Captured()
        await feed(ConsoleReporter(style: .init(colors: false, showDiffs: true), write: out.append))
        let text = out.value
        #expect(text.contains("PLAY [web] ****"))
        #expect(text.contains("TASK [write config] ****"))
        #expect(text.contains("changed: [web1]\n--- before: /etc/app.conf\n+++ after: /etc/app.conf\n@@ -1 +1 @@\n-port=80\n+port=8080\n"))
        #expect(text.contains("fatal: [web2]: FAILED! => permission denied: /etc, really"))
        #expect(text.contains("web1                       : ok=3    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0\n"))
        #expect(!text.contains("\u{1B}["))
    }

    @Test func jsonLinesAreOneParsableObjectPerEvent() async throws {
        let out = Captured()
        await feed(JSONLinesReporter(write: out.append))
        let lines = out.value.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        let events = try lines.map { try Value.parseJSON($0) }
        #expect(events.map { $0["event"]?.stringValue } == ["run_start", "play_start", "task_start", "host_result", "host_result", "recap"])
        #expect(events[3]["task"]?["location"]?["line"] == 12)
        #expect(events[3]["diff"]?.listValue?.first?["after"] == "port=8080\n")
        #expect(events[5]["hosts"]?["web2"]?["failed"] == 1)
    }

    @Test func githubAnnotatesFailuresOnTheirLineAndDriftInCheckMode() async {
        let out = Captured()
        await feed(GitHubReporter(write: out.append), check: true)
        let text = out.value
        #expect(text.contains("::error file=roles/web/tasks/main.yml,line=12,col=3,title=write config failed on web2::permission denied: /etc, really\n"))
        #expect(text.contains("::warning file=roles/web/tasks/main.yml,line=12,col=3,title=drift%3A write config::web1 would change:%0A--- before"))
    }
}
