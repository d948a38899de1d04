import Foundation
import KeelBase
import KeelTransport

/// The one way modules replace a file's content on a host: a temporary file in the destination's directory,
/// ownership and mode carried over from the old file (or the umask's for a new one) unless told otherwise,
/// `validate` run against the temporary file, an optional backup, then an atomic rename. If anything
/// fails the temporary file is removed and the old file is untouched.
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
        // Builtins where the shell has them: a first run writes many files, and each program started on the
        // host costs about a millisecond of its CPU. The temporary name is random from the controller and is
        // created exclusively (noclobber), as mktemp would, with the mode the umask gives a new file.
        var lines = [
            "set -e",
            "dest=\(ShellQuote.quote(destination))",
            #"case $dest in */*) dir=${dest%/*}; dir=${dir:-/};; *) dir=.;; esac"#,
            createParentDirectories ? #"mkdir -p -- "$dir""# : ":",
            #"tmp="$dir/.keel-tmp.\#(FileWrite.randomSuffix())""#,
            #"set -C; : > "$tmp"; set +C"#,
            #"trap 'rm -f -- "$tmp"' EXIT"#,
            #"cat > "$tmp""#,
        ]
        // A replaced file keeps its mode and ownership unless the task sets them.
        let setsMode = attributes.contains { if case .mode = $0 { true } else { false } }
        let setsOwner = attributes.contains { if case .owner = $0 { true } else { false } }
        let setsGroup = attributes.contains { if case .group = $0 { true } else { false } }
        if !setsMode { lines.append(#"if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; fi"#) }
        if !(setsOwner && setsGroup) {
            lines.append(#"if [ -e "$dest" ]; then chown --reference="$dest" -- "$tmp" 2>/dev/null || true; fi"#)
        }
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
            // Not runChecked: a failed validate (65) says what was expected.
            let detail = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw KeelError("\(host.name): cannot write \(destination): \(detail)",
                            expected: result.status == 65 ? "content that passes the validate command" : nil)
        }
        return result.stdoutText.split(separator: "\n").first { $0.hasPrefix("KEEL_BACKUP=") }.map { String($0.dropFirst(12)) }
    }

    /// 16 random hex digits for a temporary file's name.
    static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return hexString((0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
