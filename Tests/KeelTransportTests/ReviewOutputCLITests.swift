import Foundation
import Testing

/// `keel play --check --diff --output markdown=FILE --output junit=FILE` on a fixture run (local
/// connection, so the outputs are the same on every machine): the summary is compared with the expected
/// file, the JUnit file is read by junitparser (what CI tools use), and the human output keeps stdout.
@Suite("Review outputs from keel play") struct ReviewOutputCLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/review").path

    static let playbook = """
    - name: review fixture
      hosts: all
      gather_facts: false
      tasks:
        - name: app config
          copy: {content: "port=8080\\n", dest: "{{ playbook_dir }}/out/app.conf"}
        - name: unchanged file
          copy: {content: "same\\n", dest: "{{ playbook_dir }}/out/same.txt"}
        - name: api token
          copy: {content: "token=hunter2-secret\\n", dest: "{{ playbook_dir }}/out/token"}
          no_log: true
        - name: home directories
          file: {path: "{{ playbook_dir }}/out/{{ item }}", state: directory}
          loop: [alice, bob]
        - name: release gate
          fail: {msg: "release 2026.12 is frozen | see <ops> *now*"}

    """

    func prepared() throws -> String {
        let dir = try KeelBinary.directory(["site.yml": Self.playbook, "out/app.conf": "port=80\n", "out/same.txt": "same\n"])
        try FileManager.default.createDirectory(atPath: dir + "/out/bob", withIntermediateDirectories: true)
        return dir
    }

    @Test func markdownSummaryMatchesTheExpectedFile() throws {
        let dir = try prepared()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "web1,", "-c", "local", "--check", "--diff",
                                         "--output", "markdown=pr.md", "--output", "junit=report.xml"], in: dir)
        #expect(result.status == 2, "the failing task fails the run: \(result.output)")
        #expect(result.stdout.contains("TASK [app config]") && result.stdout.contains("PLAY RECAP"), "human output stays on stdout")
        let summary = try String(contentsOfFile: dir + "/pr.md", encoding: .utf8).replacingOccurrences(of: dir, with: "DIR")
        let expected = try String(contentsOfFile: Self.fixtures + "/pr-summary.md", encoding: .utf8)
        #expect(summary == expected, "\n--- got:\n\(summary)")
        #expect(!summary.contains("hunter2"))
        #expect(FileManager.default.fileExists(atPath: dir + "/out/alice") == false, "check mode changed nothing")
    }

    @Test func junitFileIsReadByJunitparser() throws {
        let dir = try prepared()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "web1,", "-c", "local", "--check", "--diff",
                                         "--output", "junit=report.xml", "--output", "json"], in: dir)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stdout.contains("\"event\":\"recap\""), "json took stdout: \(result.stdout)")
        let reader = """
        import sys
        from junitparser import JUnitXml
        xml = JUnitXml.fromfile(sys.argv[1])
        for suite in xml:
            print("suite", suite.name, suite.tests, suite.failures, suite.errors, suite.skipped)
            for case in suite:
                print("case", case.name, ",".join(type(r).__name__ for r in case.result) or "passed", repr(case.system_out or ""))
        """
        let venv = ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv"
        let read = try KeelBinary.run([], in: dir, shell: "'\(venv)/bin/python' -c '\(reader.replacingOccurrences(of: "'", with: "'\\''"))' report.xml")
        #expect(read.status == 0, "junitparser must read the file: \(read.output)")
        let lines = read.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "suite review fixture 6 1 0 0", "\(read.stdout)")
        #expect(lines.contains("case [web1] release gate Failure ''"), "\(read.stdout)")
        #expect(lines.contains("case [web1] unchanged file passed ''"), "\(read.stdout)")
        #expect(lines.contains { $0.hasPrefix("case [web1] home directories (item=alice) passed 'would change\\n") && $0.contains("+state: directory") }, "\(read.stdout)")
        #expect(lines.contains("case [web1] home directories (item=bob) passed ''"), "\(read.stdout)")
        #expect(lines.contains { $0.hasPrefix("case [web1] app config passed 'would change\\n--- before: ") && $0.contains("+port=8080") }, "\(read.stdout)")
        #expect(!read.stdout.contains("hunter2"))
    }

    @Test func badOutputSelectionsAreRefusedBeforeAnyHost() throws {
        let dir = try prepared()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (flags, message) in [(["--output", "json", "--output", "markdown"], "only one --output can go to stdout (json and markdown)"),
                                 (["--output", "yaml"], "--output takes human, json, github, markdown, junit, optionally as FORMAT=FILE; not 'yaml'"),
                                 (["--output", "junit=a.xml", "--output", "markdown=a.xml"], "two --output formats write to the same file 'a.xml'"),
                                 (["--output", "junit=/nonexistent/dir/r.xml"], "--output: cannot write '/nonexistent/dir/r.xml'")] {
            let result = try KeelBinary.run(["play", "site.yml", "-i", "web1,", "-c", "local"] + flags, in: dir)
            #expect(result.status != 0 && result.stderr.contains(message), "\(flags): \(result.output)")
        }
        #expect(try String(contentsOfFile: dir + "/out/app.conf", encoding: .utf8) == "port=80\n", "nothing ran")
    }

    @Test func aReaderThatStopsEarlyDoesNotCrashTheRun() throws {
        let dir = try prepared()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // `| head -c 20`: the pipe closes after the first bytes; keel must finish its work (exit 2: the
        // fixture's last task fails on purpose) instead of trapping on EPIPE, for every output.
        for output in ["json", "human", "github"] {
            let result = try KeelBinary.run([], in: dir, shell: """
                ( KEEL_HISTORY=off "$KEEL" play site.yml -i web1, -c local --output \(output); echo "status=$?" >&2 ) | head -c 20 >/dev/null
                """)
            #expect(result.stderr.contains("status=2"), "\(output): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"), "\(output): \(result.stderr)")
        }
        #expect(try String(contentsOfFile: dir + "/out/app.conf", encoding: .utf8) == "port=8080\n", "the run went on to the end")
    }
}
