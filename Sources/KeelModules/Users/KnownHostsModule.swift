import Crypto
import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `known_hosts`: a host's public key is (or is not) in an SSH known_hosts file
/// (ansible.builtin.known_hosts). The file is read in one round trip and matched in Swift, hashed
/// entries included (HMAC-SHA1 of the name, as OpenSSH hashes them), so the host needs no ssh-keygen.
public struct KnownHostsModule: Module {
    public static let name = "known_hosts"
    public static let spec = ArgumentSpec(Arguments.self, requiredIf: [RequiredIf("state", is: "present", requires: ["key"])])
    public static let documentation = ModuleDocumentation(
        summary: "Add or remove a host's keys in known_hosts",
        description: """
            Matches entries by host name (plain or hashed) and key type: the same key already there is left alone, another \
            key of the same type for the host is replaced, a key of a new type is added. state=absent removes all the host's \
            keys. The file is written atomically; a missing ~/.ssh is created with mode 0700 and a new file gets 0644.
            """,
        examples: """
            - known_hosts:
                name: github.com
                key: "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
            - known_hosts: name=old.example.com state=absent path=/etc/ssh/ssh_known_hosts
            """,
        deviations: ["Lines with @cert-authority or @revoked markers are never changed."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, aliases: ["host"], help: "The host as ssh looks it up: `git.example.com`, `10.0.0.5` or `[git.example.com]:2222`.") var name: String
        @Option("key", .string, help: "The known_hosts line(s) for the host: `NAME TYPE BASE64` (as ssh-keyscan prints). Required with state=present.") var key: String?
        @Option("path", .path, default: "~/.ssh/known_hosts", help: "The file (~ is the connecting user's home).") var path: String
        @Option("hash_host", .bool, default: false, help: "Write the host name hashed (`|1|salt|hash`), as HashKnownHosts does.") var hash_host: Bool
        @Option("state", choices: KnownHostState.self, default: .present, help: "`absent` removes every key of the host.") var state: KnownHostState

        public init() {}
    }

    public enum KnownHostState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var path: String
        var content: String?
        var directoryExists: Bool
    }

    /// `hashHost`: the placeholder host fields in `content` get this name, hashed with a salt drawn at write time.
    public enum Step: Sendable, Codable, Equatable { case makeDirectory(String), write(path: String, content: String, create: Bool, hashHost: String?) }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let path = a.path.hasPrefix("~/") ? "\"$HOME\"/" + ShellQuote.quote(String(a.path.dropFirst(2))) : ShellQuote.quote(a.path)
        let script = """
            p=\(path)
            echo "path=$p"
            [ -d "$(dirname -- "$p")" ] && echo direxists=1
            if [ -f "$p" ]; then echo KEEL_CONTENT; cat -- "$p"; fi
            true
            """
        let text = try await host.run(script).stdoutText
        let head: Substring, content: String?
        if let marker = text.range(of: "KEEL_CONTENT\n") { head = text[..<marker.lowerBound]; content = String(text[marker.upperBound...]) }
        else { head = text[...]; content = nil }
        let f = AccountDatabase.fields(String(head))
        return State(path: f["path"]?.first ?? a.path, content: content, directoryExists: f["direxists"] != nil)
    }

    /// Whether a known_hosts host field (comma-separated names or one hashed name) names `host`.
    static func hostField(_ field: Substring, matches host: String) -> Bool {
        if field.hasPrefix("|1|") {
            let parts = field.split(separator: "|")
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])), let hash = Data(base64Encoded: String(parts[2])) else { return false }
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(host.utf8), using: SymmetricKey(data: salt))
            return Data(mac) == hash
        }
        return field.split(separator: ",").contains { $0 == host }
    }

    static func hashed(_ host: String) -> String {
        var salt = Data(count: 20)
        for i in 0..<20 { salt[i] = UInt8.random(in: 0...255) }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(host.utf8), using: SymmetricKey(data: salt))
        return "|1|\(salt.base64EncodedString())|\(Data(mac).base64EncodedString())"
    }

    static let hashPlaceholder = "|1|(salt)|(hashed host)"

    /// (host field, type, key) of an entry line, or nil for comments, blanks and marker lines.
    static func entry(_ line: Substring) -> (host: Substring, type: Substring, key: Substring)? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 3, !words[0].hasPrefix("#"), !words[0].hasPrefix("@") else { return nil }
        return (words[0], words[1], words[2])
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let before = observed.content ?? ""
        var lines = before.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        func isHost(_ line: String) -> Bool { Self.entry(Substring(line)).map { Self.hostField($0.host, matches: a.name) } ?? false }
        if a.state == .absent {
            lines.removeAll(where: isHost)
        } else {
            for keyLine in (a.key ?? "").split(whereSeparator: \.isNewline) where !keyLine.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let wanted = Self.entry(keyLine) else {
                    throw KeelError("known_hosts: the key is not a known_hosts line", expected: "`\(a.name) TYPE BASE64`", found: String(keyLine.prefix(60)))
                }
                guard Self.hostField(wanted.host, matches: a.name) else {
                    throw KeelError("known_hosts: the key's host field does not name \(a.name)", expected: "a line starting with \(a.name)", found: String(wanted.host))
                }
                let sameType = lines.indices.filter { i in Self.entry(Substring(lines[i])).map { Self.hostField($0.host, matches: a.name) && $0.type == wanted.type } ?? false }
                if sameType.contains(where: { Self.entry(Substring(lines[$0]))?.key == wanted.key }) { continue }
                // The salt is drawn when the file is written, so a check run and the real run show the same diff.
                let newLine = a.hash_host ? ([Self.hashPlaceholder] + keyLine.split(separator: " ").dropFirst().map(String.init)).joined(separator: " ") : String(keyLine)
                if let first = sameType.first {
                    lines[first] = newLine
                    for i in sameType.dropFirst().reversed() { lines.remove(at: i) }
                } else {
                    lines.append(newLine)
                }
            }
        }
        let after = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        let values: OrderedDictionary<String, Value> = ["name": .string(a.name), "path": .string(observed.path), "hash_host": .bool(a.hash_host), "state": .string(a.state.rawValue)]
        guard after != before, !(observed.content == nil && after.isEmpty) else { return .unchanged(values: values) }
        var steps: [Step] = []
        if !observed.directoryExists { steps.append(.makeDirectory((observed.path as NSString).deletingLastPathComponent)) }
        steps.append(.write(path: observed.path, content: after, create: observed.content == nil, hashHost: a.hash_host ? a.name : nil))
        return Plan(steps: steps, diffs: [Diff(label: observed.path, before: before, after: after)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .makeDirectory(let directory):
                try await host.runChecked("mkdir -p -m 700 -- \(ShellQuote.quote(directory))", failure: "cannot create \(directory)")
            case .write(let path, let content, let create, let hashHost):
                let content = hashHost.map { content.replacingOccurrences(of: Self.hashPlaceholder, with: Self.hashed($0)) } ?? content
                _ = try await FileWrite(destination: path, content: Data(content.utf8), attributes: create ? [.mode(0o644)] : []).perform(on: host)
            }
        }
        return .changed()
    }
}
