import Foundation
import KeelBase

/// `--output github`: GitHub Actions workflow commands, so a failing task is annotated on its file and
/// line in the pull request, and drift found by `--check` shows as warnings. Plain progress lines keep
/// the log readable.
public actor GitHubReporter: ReportSink {
    let write: @Sendable (String) -> Void
    private var checkMode = false

    public init(write: @escaping @Sendable (String) -> Void = { StandardOutput.write($0) }) {
        self.write = { write(SecretRedactor.shared.redact($0)) }
    }

    public func handle(_ event: RunEvent) async {
        switch event {
        case .runStarted(let info):
            checkMode = info.checkMode
        case .playStarted(let play):
            write("PLAY [\(play.name)]\n")
        case .taskStarted(let task):
            write("TASK [\(task.name)]\n")
        case .hostResult(let result):
            switch result.status {
            case .failed, .unreachable:
                write(command("error", result.task.location, title: "\(result.task.name) failed on \(result.host)",
                              message: result.message ?? result.status.rawValue))
            case .changed where checkMode:
                write(command("warning", result.task.location, title: "drift: \(result.task.name)",
                              message: "\(result.host) would change" + (result.diffs.isEmpty ? "" : ":\n" + result.diffs.map(\.unified).joined())))
            default:
                write("\(result.status.rawValue): [\(result.host)]\n")
            }
        case .warning(let message, let location):
            write(command("warning", location, title: "warning", message: message))
        case .recap(let recaps, _):
            for recap in recaps {
                write("\(recap.host): " + HostTaskResult.Status.allCases.map { "\($0.rawValue)=\(recap[$0])" }.joined(separator: " ") + "\n")
            }
        }
    }

    func command(_ kind: String, _ location: SourceLocation?, title: String, message: String) -> String {
        Self.annotation(kind, location, title: title, message: message)
    }

    /// `::error file=site.yml,line=12,col=7,title=…::message`, escaped as GitHub specifies.
    public static func annotation(_ kind: String, _ location: SourceLocation?, title: String, message: String) -> String {
        var properties: [String] = []
        if let location {
            properties += ["file=\(escapeProperty(location.file))", "line=\(location.line)", "col=\(location.column)"]
        }
        properties.append("title=\(escapeProperty(title))")
        return "::\(kind) \(properties.joined(separator: ","))::\(escapeData(message))\n"
    }

    static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
