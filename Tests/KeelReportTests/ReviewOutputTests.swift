import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KeelBase
import Testing
@testable import KeelReport

/// The review outputs: the Markdown pull-request summary and JUnit XML.
@Suite("Review outputs") struct ReviewOutputTests {
    let config = TaskInfo(name: "write config", module: "copy", location: SourceLocation(file: "roles/web/tasks/main.yml", line: 12, column: 3))
    let users = TaskInfo(name: "users | *all*", module: "user", location: SourceLocation(file: "site.yml", line: 30, column: 7))
    let skipped = TaskInfo(name: "only on Fedora", module: "dnf")

    func feed(_ sink: some ReportSink, check: Bool) async {
        await sink.handle(.runStarted(RunInfo(playbooks: ["site.yml"], checkMode: check, diffMode: true)))
        await sink.handle(.playStarted(PlayInfo(name: "web", hosts: ["web1", "web2"])))
        await sink.handle(.hostResult(HostTaskResult(host: "web1", task: config, status: .changed, checkMode: check)))
        await sink.handle(.hostResult(HostTaskResult(host: "web1", task: config, status: .changed,
                                                     diffs: [ReportedDiff(label: "/etc/app.conf", before: "port=80\n", after: "port=8080\n")],
                                                     checkMode: check)))
        await sink.handle(.hostResult(HostTaskResult(host: "web2", task: config, status: .failed, message: "permission denied: /etc\nsecond line <b>")))
        await sink.handle(.hostResult(HostTaskResult(host: "web1", task: skipped, status: .skipped)))
        await sink.handle(.playStarted(PlayInfo(name: "accounts", hosts: ["web1"])))
        await sink.handle(.hostResult(HostTaskResult(host: "web1", task: users, status: .changed, item: "alice", checkMode: check)))
        await sink.handle(.hostResult(HostTaskResult(host: "web1", task: users, status: .ok, item: "bob", checkMode: check)))
        await sink.handle(.hostResult(HostTaskResult(host: "web1", task: users, status: .changed, item: "carol", checkMode: check)))
        await sink.handle(.hostResult(HostTaskResult(host: "db1", task: users, status: .unreachable, message: "connection refused")))
        await sink.handle(.recap([HostRecap(host: "web1", counts: [.ok: 3, .changed: 3, .skipped: 1]),
                                  HostRecap(host: "web2", counts: [.ok: 1, .failed: 1]),
                                  HostRecap(host: "db1", counts: [.unreachable: 1])], elapsedSeconds: 2.25))
    }

    @Test func markdownListsChangesPerHostWithFoldedDiffsAndEveryFailure() async {
        let out = Captured()
        await feed(MarkdownReporter(write: { out.append($0) }), check: true)
        let text = out.value
        #expect(text.hasPrefix("## Keel check: 2 tasks would change on 1 host, 2 failures\n"))
        #expect(text.contains("| host | ok | would change | failed | unreachable | skipped | rescued | ignored |"))
        #expect(text.contains("| web1 | 3 | 3 | 0 | 0 | 1 | 0 | 0 |"))
        #expect(text.contains("### web1: 2 tasks would change"))
        // A task met twice on one host (loop items, or two results) is listed once, with its items.
        #expect(text.components(separatedBy: "**write config**").count == 3, "once under web1's changes (two results, one line), once under failures")
        #expect(text.contains("- **users \\| \\*all\\*** `user` at `site.yml:30` (items: `alice`, `carol`)"))
        #expect(text.contains("<details><summary>diff: /etc/app.conf</summary>"))
        #expect(text.contains("  -port=80\n  +port=8080\n"))
        #expect(text.contains("- **web2** **write config** `copy` at `roles/web/tasks/main.yml:12`: permission denied: /etc\n"),
                "only the first line of a message, escaped")
        #expect(text.contains("- **db1** **users \\| \\*all\\*** `user` at `site.yml:30`: unreachable: connection refused"))
        #expect(!text.contains("only on Fedora"), "skipped and ok tasks are only counted")
    }

    @Test func markdownSaysNoChangesAndStaysWithinItsBudget() async {
        let quiet = Captured()
        let summary = MarkdownReporter(write: { quiet.append($0) })
        await summary.handle(.runStarted(RunInfo(playbooks: ["site.yml"], checkMode: false, diffMode: false)))
        await summary.handle(.recap([HostRecap(host: "web1", counts: [.ok: 5])], elapsedSeconds: 1))
        #expect(quiet.value.hasPrefix("## Keel run: no changes on 1 host\n"))

        let big = Captured()
        let small = MarkdownReporter(budget: 3000, write: { big.append($0) })
        await small.handle(.runStarted(RunInfo(playbooks: ["site.yml"], checkMode: true, diffMode: true)))
        let line = String(repeating: "x", count: 99) + "\n"
        for host in 1...5 {
            await small.handle(.hostResult(HostTaskResult(host: "web\(host)", task: config, status: .changed,
                                                          diffs: [ReportedDiff(label: "/etc/big", before: "", after: String(repeating: line, count: 10))], checkMode: true)))
        }
        await small.handle(.recap((1...5).map { HostRecap(host: "web\($0)", counts: [.changed: 1]) }, elapsedSeconds: 1))
        #expect(big.value.utf8.count < 3500)
        #expect(big.value.contains("### web5: 1 task would change"), "every host is still listed")
        #expect(big.value.contains("diffs left out to keep this summary under 3000 characters"))
    }

    @Test func markdownFencesCannotBeClosedByTheDiffAndSecretsAreMasked() async {
        SecretRedactor.shared.register("s3cr3t-token")
        defer { SecretRedactor.shared.reset() }
        let out = Captured()
        let summary = MarkdownReporter(write: { out.append($0) })
        await summary.handle(.runStarted(RunInfo(playbooks: ["site.yml"], checkMode: true, diffMode: true)))
        await summary.handle(.hostResult(HostTaskResult(host: "web1", task: config, status: .changed,
                                                        diffs: [ReportedDiff(label: "README.md", before: "", after: "```sh\ntoken=s3cr3t-token\n```\n")], checkMode: true)))
        await summary.handle(.recap([HostRecap(host: "web1", counts: [.changed: 1])], elapsedSeconds: 1))
        #expect(out.value.contains("  ````diff\n"))
        #expect(out.value.contains("  ````\n"))
        #expect(!out.value.contains("s3cr3t-token"))
        #expect(out.value.contains("+token=********"))
    }

    @Test func junitIsValidXMLWithOneCasePerHostTaskAndItem() async throws {
        let out = Captured()
        await feed(JUnitReporter(failOnChange: false, write: { out.append($0) }), check: true)
        let document = try XMLDocument(xmlString: out.value)
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "tests")?.stringValue == "8")
        #expect(root.attribute(forName: "failures")?.stringValue == "1")
        #expect(root.attribute(forName: "errors")?.stringValue == "1")
        #expect(root.attribute(forName: "skipped")?.stringValue == "1")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.map { $0.attribute(forName: "name")?.stringValue } == ["web", "accounts"])
        let cases = suites.flatMap { $0.elements(forName: "testcase") }
        #expect(cases.count == 8)
        let failed = try #require(cases.first { $0.attribute(forName: "name")?.stringValue == "[web2] write config" })
        let failure = try #require(failed.elements(forName: "failure").first)
        #expect(failure.stringValue == "permission denied: /etc\nsecond line <b>")
        #expect(failure.attribute(forName: "message")?.stringValue == "permission denied: /etc")
        #expect(failed.attribute(forName: "line")?.stringValue == "12")
        let item = try #require(cases.first { $0.attribute(forName: "name")?.stringValue == "[web1] users | *all* (item=carol)" })
        #expect(item.elements(forName: "system-out").first?.stringValue == "would change")
        let diffCase = cases.filter { $0.attribute(forName: "name")?.stringValue == "[web1] write config" }[1]
        #expect(diffCase.elements(forName: "system-out").first?.stringValue?.contains("+port=8080") == true)
    }

    @Test func junitCountsChangesAsFailuresWhenAsked() async throws {
        let out = Captured()
        await feed(JUnitReporter(failOnChange: true, write: { out.append($0) }), check: true)
        let root = try #require(try XMLDocument(xmlString: out.value).rootElement())
        #expect(root.attribute(forName: "failures")?.stringValue == "5", "1 failed task + 4 changed results")
    }

    @Test func xmlTextDropsWhatXMLCannotHold() {
        #expect(XMLText.content("a\u{1B}[31mb & <c>\u{0}") == "a[31mb &amp; &lt;c&gt;")
        #expect(XMLText.attribute("say \"hi\"\nthere") == "say &quot;hi&quot;&#10;there")
        #expect(MarkdownText.fence(for: "no ticks") == "```")
        #expect(MarkdownText.fence(for: "`````") == "``````")
    }
}
