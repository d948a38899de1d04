import Foundation
import KeelBase
import KeelTransport

/// Runs the validate command (normally `haproxy -c -f %s`) against candidate text without installing
/// it: in a temporary file beside the real one (relative paths in the file resolve as they will), or in
/// /tmp when that directory does not exist yet. The file is always removed.
enum HAProxyValidation {
    static func check(_ text: String, beside path: String, command: String, on host: HostContext) async throws {
        let script = """
            dir=$(dirname -- \(ShellQuote.quote(path)))
            tmp=$(mktemp "$dir/.keel-check.XXXXXXXX" 2>/dev/null || mktemp)
            trap 'rm -f -- "$tmp"' EXIT
            cat > "$tmp"
            \(command.replacingOccurrences(of: "%s", with: "\"$tmp\"")) 2>&1
            """
        let result = try await host.run(script, stdin: Data(text.utf8))
        guard result.status == 0 else {
            let message = (result.stdoutText + result.stderrText).trimmingCharacters(in: .whitespacesAndNewlines)
            throw KeelError("\(host.name): HAProxy refuses the new \(path); the current file stays in place:\n\(message)",
                            expected: "a configuration that passes `\(command)`")
        }
    }
}
