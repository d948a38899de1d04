import Foundation
import KeelBase
import KeelTransport

/// The one way modules replace a file's content on a host: a temporary file in the destination's directory,
/// ownership and mode carried over from the old file (or the umask's for a new one) unless told otherwise,
/// `validate` run against the temporary file, an optional backup, then an atomic rename. If anything
/// fails the temporary file is removed and the old file is untouched.
public struct FileWrite: Sendable {
    public var destination: String
    public var content: Data
    public var attributes: [AttributeChange]
    /// A command with `%s` for the path to check, e.g. `haproxy -c -f %s`, `visudo -cf %s`.
    public var validate: String?
    public var backup: Bool
    /// Make the destination's directory (with parents) when it is missing.
    public var createParentDirectories: Bool

    public init(destination: String, content: Data, attributes: [AttributeChange] = [], validate: String? = nil, backup: Bool = false,
                createParentDirectories: Bool = false) {
        self.createParentDirectories = createParentDirectories
        self.destination = destination
        self.content = content
        self.attributes = attributes
        self.validate = validate
        self.backup = backup
    }

    /// Writes the file; returns the backup's path when one was made.
    public func perform(on host: HostContext) async throws -> String? {
        var lines = [
            "set -e",
            "dest=\(ShellQuote.quote(destination))",
            createParentDirectories ? #"mkdir -p -- "$(dirname -- "$dest")""# : ":",
            #"tmp=$(mktemp "$(dirname -- "$dest")/.keel-tmp.XXXXXXXX")"#,
            #"trap 'rm -f -- "$tmp"' EXIT"#,
            #"cat > "$tmp""#,
            #"if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; chown --reference="$dest" -- "$tmp" 2>/dev/null || true; "#
                + #"else chmod "$(printf %o $((0666 & ~$(umask))))" -- "$tmp"; fi"#,
        ]
        lines += attributes.map { $0.command(forShellWord: "\"$tmp\"") }
        if let validate {
            let command = validate.replacingOccurrences(of: "%s", with: "\"$tmp\"")
            lines.append("if ! out=$( { \(command) ; } 2>&1 ); then printf 'validation failed (%s):\\n%s\\n' \(ShellQuote.quote(validate)) \"$out\" >&2; exit 65; fi")
        }
        if backup {
            lines.append(#"if [ -e "$dest" ]; then b="$dest.$$.$(date +%Y-%m-%d@%H:%M:%S~)"; cp -p -- "$dest" "$b"; echo "KEEL_BACKUP=$b"; fi"#)
        }
        lines += [#"mv -f -- "$tmp" "$dest""#, "trap - EXIT"]
        let result = try await host.run(lines.joined(separator: "\n"), stdin: content)
        guard result.status == 0 else {
            let detail = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw KeelError("\(host.name): cannot write \(destination): \(detail)",
                            expected: result.status == 65 ? "content that passes the validate command" : nil)
        }
        return result.stdoutText.split(separator: "\n").first { $0.hasPrefix("KEEL_BACKUP=") }.map { String($0.dropFirst(12)) }
    }
}
