import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `authorized_key`: SSH public keys are (or are not) in a user's authorized_keys
/// (ansible.posix.authorized_key). The account, the file and its directory are read in one round trip;
/// the new file is written atomically (temporary file + rename) owned by the user with mode 0600, in a
/// directory with mode 0700 when Keel creates it.
public struct AuthorizedKeyModule: Module {
    public static let name = "authorized_key"
    public static let aliases = ["ansible.posix.authorized_key"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Add or remove SSH authorized keys",
        description: """
            Keys are matched by type and key material; a key that is present with other options or another comment is \
            rewritten in place. Comment lines and blank lines are kept (also with exclusive). The file is written atomically; \
            a new file gets mode 0600 and the user's ownership, an existing one keeps its mode and owner.
            """,
        examples: """
            - authorized_key:
                user: deploy
                key: "{{ lookup('file', 'files/deploy.pub') }}"
            - name: Only these two keys may log in as root
              authorized_key:
                user: root
                exclusive: true
                key: |
                  ssh-ed25519 AAAAC3Nza...one admin@laptop
                  ssh-ed25519 AAAAC3Nza...two ci@build
            - authorized_key: user=backup key="{{ backup_key }}" key_options='from="10.0.0.5",no-pty,command="/usr/bin/rrsync /srv"'
            """,
        deviations: [
            "Keys cannot be fetched from URLs (https://github.com/USER.keys); pass the key text.",
            "`follow` is ignored: a symlinked file is replaced by a regular file.",
            "With exclusive=true comment lines are kept.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("user", .string, required: true, help: "Whose authorized_keys to edit.") var user: String
        @Option("key", .string, required: true, help: "One or more public keys, one per line (`ssh-ed25519 AAAA... comment`, options allowed in front).") var key: String
        @Option("path", .path, help: "The file to edit. Default: ~USER/.ssh/authorized_keys.") var path: String?
        @Option("manage_dir", .bool, default: true, help: "Keep the key file's directory at mode 0700 owned by the user, creating it when missing. Set false for a shared directory given with path.") var manage_dir: Bool
        @Option("state", choices: KeyState.self, default: .present, help: "Whether the keys are in the file.") var state: KeyState
        @Option("key_options", .string, help: "Options put in front of every key (`from=\"10.0.0.0/8\",no-pty`), replacing those written in `key`.") var key_options: String?
        @Option("exclusive", .bool, default: false, help: "Remove every other key from the file.") var exclusive: Bool
        @Option("comment", .string, help: "Comment to put after every key, replacing the key's own.") var comment: String?
        @Option("follow", .bool, default: false, help: "Accepted for compatibility: the file is replaced by rename, so a symlinked authorized_keys becomes a regular file.") var follow: Bool
        @Option("validate_certs", .bool, default: true, help: "Unused: keys from URLs are not supported.") var validate_certs: Bool

        public init() {}
    }

    public enum KeyState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var account: AccountDatabase.Passwd
        var path: String
        var directoryExists: Bool
        /// The directory has mode 0700 and belongs to the user (what manage_dir keeps it at).
        var directoryRight: Bool
        var content: String?
    }

    public enum Step: Sendable, Codable, Equatable {
        case makeDirectory(String, owner: Int, group: Int)
        /// `create`: the file is new and gets mode 0600 and the user's ownership.
        case write(path: String, content: String, create: Bool, owner: Int, group: Int)
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script = """
            pw=$(getent passwd \(ShellQuote.quote(a.user)) | head -n 1)
            echo "passwd=$pw"
            [ -n "$pw" ] || exit 0
            p=\(a.path.map(ShellQuote.quote) ?? "\"$(echo \"$pw\" | cut -d: -f6)/.ssh/authorized_keys\"")
            echo "path=$p"
            d=$(dirname -- "$p")
            [ -d "$d" ] && echo "dir=$(stat -c '%a|%u|%g' -- "$d")"
            if [ -f "$p" ]; then echo KEEL_CONTENT; cat -- "$p"; fi
            """
        let result = try await host.runChecked(script, failure: "cannot read keys of \(a.user)")
        let text = result.stdoutText
        let head: Substring, content: String?
        if let marker = text.range(of: "KEEL_CONTENT\n") {
            head = text[..<marker.lowerBound]
            content = String(text[marker.upperBound...])
        } else {
            head = text[...]
            content = nil
        }
        let f = AccountDatabase.fields(String(head))
        guard let account = f["passwd"]?.first.flatMap(AccountDatabase.Passwd.init) else {
            throw KeelError("\(host.name): authorized_key: user \(a.user) does not exist", expected: "an existing account", found: "no passwd entry for \(a.user)")
        }
        let dir = f["dir"]?.first?.split(separator: "|").map(String.init)
        return State(account: account, path: f["path"]?.first ?? "", directoryExists: dir != nil,
                     directoryRight: dir.map { $0 == ["700", String(account.uid), String(account.gid)] } ?? false, content: content)
    }

    /// One line of an authorized_keys file, split as sshd reads it: options, type, key material, comment.
    struct KeyLine: Equatable {
        var options: String?
        var type: String
        var blob: String
        var comment: String?

        static let types = ["ssh-rsa", "ssh-dss", "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
                            "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"]

        static func isType(_ word: Substring) -> Bool { types.contains(String(word)) || word.hasPrefix("ecdsa-sha2-") }

        /// nil for blank lines, comments and lines that are not keys.
        init?(_ line: Substring) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            // Options come first and may contain quoted spaces: find the first word that is a key type.
            var words: [Substring] = []
            var current = "", quoted = false
            for ch in trimmed {
                if ch == "\"" { quoted.toggle() }
                if ch == " " && !quoted { if !current.isEmpty { words.append(Substring(current)); current = "" } } else { current.append(ch) }
            }
            if !current.isEmpty { words.append(Substring(current)) }
            guard let typeIndex = words.firstIndex(where: KeyLine.isType), typeIndex <= 1, typeIndex + 1 < words.count else { return nil }
            options = typeIndex == 1 ? String(words[0]) : nil
            type = String(words[typeIndex])
            blob = String(words[typeIndex + 1])
            let rest = words[(typeIndex + 2)...].joined(separator: " ")
            comment = rest.isEmpty ? nil : rest
        }

        var text: String { [options, type, blob, comment].compactMap { $0 }.joined(separator: " ") }
        func sameKey(_ other: KeyLine) -> Bool { type == other.type && blob == other.blob }
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var wanted: [KeyLine] = []
        for line in a.key.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard var key = KeyLine(line) else {
                throw KeelError("authorized_key: not a public key", expected: "`TYPE BASE64 [comment]`, e.g. ssh-ed25519 AAAA... user@host",
                                found: String(line.prefix(40)) + (line.count > 40 ? "..." : ""))
            }
            if let options = a.key_options { key.options = options }
            if let comment = a.comment { key.comment = comment }
            wanted.append(key)
        }
        let before = observed.content ?? ""
        var lines = before.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if a.state == .absent {
            lines.removeAll { line in KeyLine(Substring(line)).map { existing in wanted.contains { $0.sameKey(existing) } } ?? false }
        } else {
            for key in wanted {
                if let index = lines.firstIndex(where: { KeyLine(Substring($0)).map(key.sameKey) ?? false }) {
                    let existing = KeyLine(Substring(lines[index]))!
                    // A key written without options or comment keeps the file's: only what the task says changes.
                    var merged = key
                    if a.key_options == nil && key.options == nil { merged.options = existing.options }
                    if a.comment == nil && key.comment == nil { merged.comment = existing.comment }
                    lines[index] = merged.text
                } else {
                    lines.append(key.text)
                }
            }
            if a.exclusive {
                lines.removeAll { line in KeyLine(Substring(line)).map { existing in !wanted.contains { $0.sameKey(existing) } } ?? false }
            }
        }
        let after = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        let values: OrderedDictionary<String, Value> = ["user": .string(a.user), "key": .string(a.key), "keyfile": .string(observed.path),
                                                        "exclusive": .bool(a.exclusive), "state": .string(a.state.rawValue), "manage_dir": .bool(a.manage_dir)]
        let contentChanges = after != before && !(observed.content == nil && after.isEmpty)
        var steps: [Step] = []
        var diffs: [Diff] = []
        let directory = (observed.path as NSString).deletingLastPathComponent
        if !observed.directoryExists && contentChanges && !a.manage_dir {
            throw KeelError("\(host.name): authorized_key: \(directory) does not exist", expected: "an existing directory, or manage_dir: true", found: "no directory")
        }
        // manage_dir (as in Ansible): the directory exists with mode 0700, owned by the user.
        if a.manage_dir && (observed.directoryExists ? !observed.directoryRight : contentChanges) {
            steps.append(.makeDirectory(directory, owner: observed.account.uid, group: observed.account.gid))
            if observed.directoryExists { diffs.append(Diff(label: directory, before: "directory: not 0700 \(a.user)\n", after: "directory: 0700 \(a.user)\n")) }
        }
        if contentChanges {
            steps.append(.write(path: observed.path, content: after, create: observed.content == nil, owner: observed.account.uid, group: observed.account.gid))
            diffs.append(Diff(label: observed.path, before: before, after: after))
        }
        if steps.isEmpty { return .unchanged(values: values) }
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .makeDirectory(let directory, let owner, let group):
                let d = ShellQuote.quote(directory)
                try await host.runChecked("set -e\nmkdir -p -- \(d)\nchown \(owner):\(group) -- \(d)\nchmod 700 -- \(d)",
                                          failure: "cannot create \(directory)")
            case .write(let path, let content, let create, let owner, let group):
                let attributes: [AttributeChange] = create ? [.mode(0o600), .owner(String(owner)), .group(String(group))] : []
                _ = try await FileWrite(destination: path, content: Data(content.utf8), attributes: attributes).perform(on: host)
            }
        }
        return .changed()
    }
}
