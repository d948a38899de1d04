import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `apt_repository`: a one-line APT source is (or is not) configured (ansible.builtin.apt_repository).
/// All one-line source files are read in one round trip; the line is added to its own file in
/// /etc/apt/sources.list.d (written atomically) or removed from every file that has it, and the package
/// lists are updated when something changed.
public struct AptRepositoryModule: Module {
    public static let name = "apt_repository"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Add or remove an APT source line",
        description: """
            Lines are compared with their whitespace normalised, in /etc/apt/sources.list and every \
            /etc/apt/sources.list.d/*.list file; a commented-out copy of the line does not count. A new line goes into \
            FILENAME.list (atomic write, mode 0644 unless told otherwise); state=absent removes the line from every file and \
            deletes a file left empty. With update_cache (the default) a change runs `apt-get update`.
            """,
        examples: """
            - name: Local package repository
              apt_repository:
                repo: "deb [trusted=yes] file:/srv/debs ./"
                filename: local-debs
            - apt_repository:
                repo: deb http://deb.debian.org/debian bookworm-backports main
                state: present
            """,
        deviations: [
            "PPAs (ppa:user/name) and deb822 .sources files are not supported.",
            "A commented-out line is not re-enabled in place: the line is added to FILENAME.list.",
            "update_cache_retries and the retry delay are accepted and ignored (one apt-get update).",
        ])

    public struct Arguments: ModuleArguments {
        @Option("repo", .string, required: true, help: "The source line, e.g. `deb [trusted=yes] file:/srv/repo ./` or `deb http://deb.debian.org/debian bookworm-backports main`.") var repo: String
        @Option("state", choices: RepositoryState.self, default: .present, help: "Whether the line is configured.") var state: RepositoryState
        @Option("filename", .string, help: "File name in /etc/apt/sources.list.d without `.list`. Default: derived from the URI (as Ansible does).") var filename: String?
        @Option("mode", .mode, help: "Mode of a new sources file (default 0644).") var mode: Value?
        @Option("update_cache", .bool, default: true, aliases: ["update-cache"], help: "Run `apt-get update` after a change.") var update_cache: Bool
        @Option("update_cache_retries", .int, default: 5, help: "Accepted for compatibility; Keel runs apt-get update once.") var update_cache_retries: Int
        @Option("update_cache_retry_max_delay", .int, default: 12, help: "Accepted for compatibility.") var update_cache_retry_max_delay: Int
        @Option("validate_certs", .bool, default: true, help: "Accepted for compatibility (no PPA lookups).") var validate_certs: Bool
        @Option("codename", .string, help: "Accepted for compatibility (only used for PPAs, which Keel does not support).") var codename: String?
        @Option("install_python_apt", .bool, default: true, help: "Ignored: Keel needs no Python on the host.") var install_python_apt: Bool

        public init() {}
    }

    public enum RepositoryState: String, OptionChoice { case present, absent }

    /// Each sources file and its content.
    public typealias State = [SourcesFile]

    public struct SourcesFile: Equatable, Sendable {
        var path: String
        var content: String
    }

    /// `mode`: the mode a new sources file gets.
    public enum Step: Sendable, Codable, Equatable {
        case write(path: String, content: String, create: Bool, mode: Int)
        case delete(path: String)
        case updateCache
    }

    public init() {}

    static func normalized(_ line: Substring) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// Ansible's default file name: the first word after the type and options, without the protocol or
    /// credentials, with every run of other characters than letters and digits turned into `_`.
    static func suggestedFilename(_ repo: String) -> String {
        var line = repo.replacingOccurrences(of: #"\[[^\]]+\]"#, with: "", options: .regularExpression)
        line = line.replacingOccurrences(of: #"\w+://"#, with: "", options: .regularExpression)
        var words = line.split(separator: " ").map(String.init).filter { !["deb", "deb-src"].contains($0) }
        guard !words.isEmpty else { return "keel" }
        if let at = words[0].firstIndex(of: "@") { words[0] = String(words[0][words[0].index(after: at)...]) }
        return words[0].split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }).joined(separator: "_")
    }

    func targetPath(_ a: Arguments) -> String {
        "/etc/apt/sources.list.d/\(a.filename ?? Self.suggestedFilename(a.repo)).list"
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script = """
            for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
              [ -f "$f" ] || continue
              printf 'KEEL_FILE %s\\n' "$f"; cat -- "$f"; echo
            done
            """
        let result = try await host.runChecked(script, failure: "cannot read APT sources")
        var files: [SourcesFile] = []
        for chunk in result.stdoutText.components(separatedBy: "KEEL_FILE ").dropFirst() {
            guard let newline = chunk.firstIndex(of: "\n") else { continue }
            var content = String(chunk[chunk.index(after: newline)...])
            content.removeLast()   // the echo after cat
            files.append(SourcesFile(path: String(chunk[..<newline]), content: content))
        }
        return files
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let wanted = Self.normalized(Substring(a.repo))
        guard wanted.hasPrefix("deb ") || wanted.hasPrefix("deb-src ") else {
            throw KeelError("apt_repository: not a one-line source", expected: "`deb URI SUITE [COMPONENT...]` or deb-src", found: a.repo)
        }
        func matches(_ line: Substring) -> Bool { Self.normalized(line) == wanted }
        let target = targetPath(a)
        var steps: [Step] = []
        var diffs: [Diff] = []
        if a.state == .present {
            if !observed.contains(where: { $0.content.split(separator: "\n").contains(where: matches) }) {
                let existing = observed.first { $0.path == target }
                var content = existing?.content ?? ""
                if !content.isEmpty && !content.hasSuffix("\n") { content += "\n" }
                content += wanted + "\n"
                steps.append(.write(path: target, content: content, create: existing == nil, mode: newFileMode(a)))
                diffs.append(Diff(label: target, before: existing?.content ?? "", after: content))
            }
        } else {
            for file in observed {
                let lines = file.content.split(separator: "\n", omittingEmptySubsequences: false)
                guard lines.contains(where: matches) else { continue }
                let kept = lines.filter { !matches($0) }.joined(separator: "\n")
                let empty = kept.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                steps.append(empty && file.path != "/etc/apt/sources.list" ? .delete(path: file.path) : .write(path: file.path, content: kept, create: false, mode: newFileMode(a)))
                diffs.append(Diff(label: file.path, before: file.content, after: empty ? "" : kept))
            }
        }
        let values: OrderedDictionary<String, Value> = ["repo": .string(a.repo), "state": .string(a.state.rawValue), "sources_added": .list(a.state == .present && !steps.isEmpty ? [.string(target)] : []),
                                                        "sources_removed": .list(a.state == .absent ? steps.compactMap { if case .delete(let p) = $0 { return .string(p) }; return nil } : [])]
        if steps.isEmpty { return .unchanged(values: values) }
        if a.update_cache { steps.append(.updateCache) }
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    /// The mode a new sources file gets: the task's, or 0644.
    func newFileMode(_ a: Arguments) -> Int {
        FileAttributes(mode: a.mode, owner: nil, group: nil).wantedMode(current: 0o644, isDirectory: false) ?? 0o644
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .write(let path, let content, let create, let mode):
                let attributes: [AttributeChange] = create ? [.mode(mode)] : []
                _ = try await FileWrite(destination: path, content: Data(content.utf8), attributes: attributes).perform(on: host)
            case .delete(let path):
                try await host.runChecked("rm -f -- \(ShellQuote.quote(path))", failure: "cannot remove \(path)")
            case .updateCache:
                try await host.runChecked("apt-get -q update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp",
                                          failure: "apt-get update failed after changing the sources", detail: .tail(lines: 10))
            }
        }
        return .changed()
    }
}
