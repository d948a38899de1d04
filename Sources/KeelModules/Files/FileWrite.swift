import Foundation
import KeelBase
import KeelTransport

/// The one way modules replace a file's content on a host: a temporary file in the destination's directory,
/// ownership and mode carried over from the old file (or the umask's for a new one) unless told otherwise,
/// the received bytes checked against what was sent (count and SHA-256), `validate` run against the temporary
/// file, an optional backup, then an atomic rename. If anything fails, or the transfer is cut short (the
/// controller or the connection dies), the temporary file is removed and the old file is untouched.
public struct FileWrite: Sendable, Codable, Equatable, CustomStringConvertible {
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

    public var description: String {
        "write \(destination) (\(content.count) bytes\(validate.map { ", validated by `\($0)`" } ?? "")\(backup ? ", with a backup" : ""))"
    }

    /// Writes the file; returns the backup's path when one was made.
    public func perform(on host: HostContext) async throws -> String? {
        // A rehearsal (ChainedChange) notes what this leaves at the destination, for the tasks after it.
        if let log = WriteLog.current {
            var mode: Int?, owner: String?, group: String?
            for attribute in attributes {
                switch attribute {
                case .mode(let bits): mode = bits
                case .owner(let name): owner = name
                case .group(let name): group = name
                }
            }
            log.record(WriteLog.Write(path: destination, content: content, mode: mode, owner: owner, group: group))
        }
        // Receive into a temporary file and verify it (AtomicReplacement: byte count and SHA-256 against what
        // was sent, so a transfer cut short never reaches the rename; the temporary file goes on any exit).
        var lines = AtomicReplacement(destination: destination, content: content, createParentDirectories: createParentDirectories).receive()
        // A replaced file keeps its mode and ownership unless the task sets them.
        let setsMode = attributes.contains { if case .mode = $0 { true } else { false } }
        let setsOwner = attributes.contains { if case .owner = $0 { true } else { false } }
        let setsGroup = attributes.contains { if case .group = $0 { true } else { false } }
        if !setsMode { lines.append(#"if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; fi"#) }
        if !(setsOwner && setsGroup) {
            // Mode, then ownership, as Ansible's atomic_move does (its chown, like this one, clears a
            // setuid or setgid bit the mode copied). The chown is left out only where it would change
            // nothing: the destination and the new file both belong to the shell's own user and group
            // (test's -O and -G, builtins) and the new file has no setuid or setgid bit. Each program
            // costs the host about a millisecond of CPU, and most writes replace the connecting user's file.
            lines.append(#"if [ -e "$dest" ]; then if [ -O "$dest" ] && [ -G "$dest" ] && [ -O "$tmp" ] && [ -G "$tmp" ] "#
                         + #"&& [ ! -u "$tmp" ] && [ ! -g "$tmp" ]; then :; else chown --reference="$dest" -- "$tmp" 2>/dev/null || true; fi; fi"#)
        }
        lines += attributes.map { $0.command(forShellWord: "\"$tmp\"") }
        if let validate {
            // Ansible splits the command into words (shlex), so the line breaks a folded, templated validate
            // keeps (willshersystems.sshd's `{% if %}` over several lines) are only spaces there.
            let oneLine = validate.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
            let command = oneLine.replacingOccurrences(of: "%s", with: "\"$tmp\"")
            lines.append("if ! out=$( { \(command) ; } 2>&1 ); then printf 'validation failed (%s):\\n%s\\n' \(ShellQuote.quote(validate)) \"$out\" >&2; exit 65; fi")
        }
        if backup {
            lines.append(#"if [ -e "$dest" ]; then b="$dest.$$.$(date +%Y-%m-%d@%H:%M:%S~)"; cp -p -- "$dest" "$b"; echo "KEEL_BACKUP=$b"; fi"#)
        }
        lines += AtomicReplacement.commit
        let result = try await host.run(lines.joined(separator: "\n"), stdin: content)
        guard result.status == 0 else {
            // Not runChecked: a failed validate (65) says what was expected.
            let detail = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw KeelError("\(host.name): cannot write \(destination): \(detail)",
                            expected: result.status == 65 ? "content that passes the validate command"
                                : result.status == AtomicReplacement.mismatchStatus ? "the whole content to arrive" : nil)
        }
        return result.stdoutText.split(separator: "\n").first { $0.hasPrefix("KEEL_BACKUP=") }.map { String($0.dropFirst(12)) }
    }
}
