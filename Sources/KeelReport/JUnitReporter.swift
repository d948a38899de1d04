import Foundation
import KeelBase

/// `--output junit`: the JUnit XML that CI systems (GitLab, Jenkins, Azure, GitHub test reporters) read.
/// One `<testsuite>` per play, one `<testcase>` per task, host and loop item, named "[host] task" as
/// Ansible's junit callback names them. Failed tasks are `<failure>`, unreachable hosts `<error>`,
/// skipped tasks `<skipped>`; changes (and diffs) go to `<system-out>`. With JUNIT_FAIL_ON_CHANGE=true
/// (the callback's setting) a change, or in check mode drift, is a failure too. Written at the recap.
public actor JUnitReporter: ReportSink {
    let write: @Sendable (String) -> Void
    let failOnChange: Bool
    private var checkMode = false
    private var suites: [Suite] = []

    struct Suite {
        var name: String
        var cases: [HostTaskResult] = []
    }

    public init(failOnChange: Bool = ProcessInfo.processInfo.environment["JUNIT_FAIL_ON_CHANGE"].map(Value.string)?.ansibleBool ?? false,
                write: @escaping @Sendable (String) -> Void = { StandardOutput.write($0) }) {
        self.failOnChange = failOnChange
        self.write = { write(SecretRedactor.shared.redact($0)) }
    }

    public func handle(_ event: RunEvent) async {
        switch event {
        case .runStarted(let info):
            checkMode = info.checkMode
        case .playStarted(let play):
            suites.append(Suite(name: play.name))
        case .hostResult(let result):
            if suites.isEmpty { suites.append(Suite(name: "")) }
            suites[suites.count - 1].cases.append(result)
        case .taskStarted, .warning:
            break
        case .recap(_, let elapsed):
            write(document(elapsed: elapsed))
        }
    }

    func document(elapsed: Double) -> String {
        let all = suites.flatMap(\.cases)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"keel\"\(counts(all)) time=\"\(seconds(elapsed))\">\n"
        for (index, suite) in suites.enumerated() {
            let time = suite.cases.reduce(0) { $0 + $1.elapsedSeconds }
            xml += "  <testsuite name=\"\(XMLText.attribute(suite.name))\" id=\"\(index)\"\(counts(suite.cases)) time=\"\(seconds(time))\">\n"
            for result in suite.cases { xml += testcase(result) }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    private func testcase(_ result: HostTaskResult) -> String {
        var name = "[\(result.host)] \(result.task.name)"
        if let item = result.item { name += " (item=\(item))" }
        var attributes = "name=\"\(XMLText.attribute(name))\" classname=\"\(XMLText.attribute(result.task.location?.file ?? result.task.module))\""
        if let location = result.task.location {
            attributes += " file=\"\(XMLText.attribute(location.file))\" line=\"\(location.line)\""
        }
        attributes += " time=\"\(seconds(result.elapsedSeconds))\""
        var body = ""
        let message = result.message ?? result.status.rawValue
        switch result.status {
        case .failed:
            body += "      <failure type=\"failed\" message=\"\(XMLText.attribute(firstLine(message)))\">\(XMLText.content(message))</failure>\n"
        case .unreachable:
            body += "      <error type=\"unreachable\" message=\"\(XMLText.attribute(firstLine(message)))\">\(XMLText.content(message))</error>\n"
        case .skipped:
            body += "      <skipped message=\"\(XMLText.attribute(firstLine(result.message ?? "skipped")))\"/>\n"
        case .changed where failOnChange:
            body += "      <failure type=\"changed\" message=\"\(checkMode ? "would change" : "changed")\">\(XMLText.content(changeText(result)))</failure>\n"
        case .changed:
            body += "      <system-out>\(XMLText.content(changeText(result)))</system-out>\n"
        case .ok, .rescued, .ignored:
            break
        }
        return body.isEmpty ? "    <testcase \(attributes)/>\n" : "    <testcase \(attributes)>\n\(body)    </testcase>\n"
    }

    private func changeText(_ result: HostTaskResult) -> String {
        (checkMode ? "would change" : "changed") + (result.diffs.isEmpty ? "" : "\n" + result.diffs.map(\.unified).joined())
    }

    private func counts(_ cases: [HostTaskResult]) -> String {
        let failures = cases.filter { $0.status == .failed || ($0.status == .changed && failOnChange) }.count
        let errors = cases.filter { $0.status == .unreachable }.count
        let skipped = cases.filter { $0.status == .skipped }.count
        return " tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\""
    }

    private func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    private func firstLine(_ text: String) -> String { text.split(separator: "\n").first.map(String.init) ?? "" }
}

/// XML escaping for attribute values and element content; characters XML 1.0 forbids are dropped, since
/// a command's output can hold any byte and one stray control character would make the file unreadable.
enum XMLText {
    static func attribute(_ text: String) -> String {
        content(text).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "\n", with: "&#10;")
    }

    static func content(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
