import Foundation
import KeelBase
import OrderedCollections

/// `keel run`'s output, as Ansible's `ansible` command prints it: one block per host as it finishes,
/// never interleaved. Commands print `host | CHANGED | rc=0 >>` and their output; other modules print
/// `host | CHANGED => {result}`; unreachable hosts `host | UNREACHABLE! => why`.
public actor AdHocReporter: ReportSink {
    private let write: @Sendable (String) -> Void
    private let writeError: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void = { StandardOutput.write($0) },
                writeError: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.write = { write(SecretRedactor.shared.redact($0)) }
        self.writeError = { writeError(SecretRedactor.shared.redact($0)) }
    }

    public func handle(_ event: RunEvent) async {
        switch event {
        case .hostResult(let result): write(Self.block(result))
        case .warning(let message, _):
            // An ad-hoc play has no file of its own: a location would point into text the user never wrote.
            writeError("warning: \(message)\n")
        default: break
        }
    }

    /// One host's block, ending in a newline.
    public static func block(_ result: HostTaskResult) -> String {
        var text: String
        let values = result.values
        switch result.status {
        case .unreachable:
            text = "\(result.host) | UNREACHABLE! => \(result.message ?? "unreachable")"
        case .skipped:
            text = "\(result.host) | SKIPPED" + (result.message.map { ": \($0)" } ?? "")
        case .ok, .changed, .failed, .ignored, .rescued:
            let label = result.status == .changed ? "CHANGED" : result.status == .failed ? "FAILED" : "SUCCESS"
            if case .int(let rc)? = values["rc"], values["stdout"] != nil {
                // A command's result: its output as it came, as Ansible's ad-hoc command output shows it.
                text = "\(result.host) | \(label) | rc=\(rc) >>\n" + (values["stdout"]?.stringValue ?? "")
                if let stderr = values["stderr"]?.stringValue, !stderr.isEmpty {
                    if !text.hasSuffix("\n") { text += "\n" }
                    text += stderr
                }
            } else if result.status == .failed, values.isEmpty {
                text = "\(result.host) | FAILED! => \(result.message ?? "failed")"
            } else {
                var shown = values
                if result.status == .failed, shown["msg"] == nil, let message = result.message { shown["msg"] = .string(message) }
                shown["changed"] = .bool(result.status == .changed)
                text = "\(result.host) | \(label)\(result.status == .failed ? "!" : "") => "
                    + Value.dict(shown).prettyJSON(indent: 4, sortedKeys: false)
            }
        }
        if !text.hasSuffix("\n") { text += "\n" }
        // With --diff, Ansible prints the change before the host's result.
        return result.diffs.map(\.unified).joined() + text
    }
}
