import Foundation
import KeelBase
import KeelTransport

/// How much of a failed command's output an error quotes.
public enum FailureDetail: Sendable {
    /// stderr as it is (most commands say what went wrong there).
    case stderr
    /// stderr then stdout (init scripts report on either).
    case combined
    /// The last `lines` lines of stderr then stdout, with the exit status (package managers print their
    /// reasons on either stream and at length).
    case tail(lines: Int)
}

extension HostContext {
    /// Runs `script` and returns its result when it exits 0. Otherwise throws an error that names the host,
    /// what was being done (`failure`, e.g. "cannot remove /etc/x") and what the command said, so each
    /// module need not repeat the same status guard.
    @discardableResult
    public func runChecked(_ script: String, stdin: Data? = nil, failure: @autoclosure () -> String,
                           detail: FailureDetail = .stderr) async throws -> CommandResult {
        let result = try await run(script, stdin: stdin)
        guard result.status != 0 else { return result }
        throw KeelError("\(name): \(failure()): \(Self.describeFailure(result, detail: detail))")
    }

    /// The text a failed command's error quotes.
    static func describeFailure(_ result: CommandResult, detail: FailureDetail) -> String {
        switch detail {
        case .stderr:
            let text = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "exit status \(result.status)" + (result.signal.map { " (signal \($0))" } ?? "") : text
        case .combined:
            return (result.stderrText + result.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines)
        case .tail(let lines):
            let text = (result.stderrText + "\n" + result.stdoutText).split(separator: "\n").suffix(lines).joined(separator: "\n")
            return "exit \(result.status):\n\(text)"
        }
    }
}
