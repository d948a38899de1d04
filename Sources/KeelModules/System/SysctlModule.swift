import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `sysctl`: a kernel parameter is persisted in a sysctl file and (optionally) set live
/// (ansible.posix.sysctl). The file and the live value are read in one round trip; the file is written
/// atomically, then reloaded (`sysctl -p FILE`) and/or the value set with `sysctl -w`.
public struct SysctlModule: Module {
    public static let name = "sysctl"
    public static let aliases = ["ansible.posix.sysctl"]
    public static let spec = ArgumentSpec(Arguments.self, requiredIf: [RequiredIf("state", is: "present", requires: ["value"])])
    public static let documentation = ModuleDocumentation(
        summary: "Persist and apply kernel parameters",
        description: """
            Keeps one `name=value` line in sysctl_file (replacing the key's existing lines), reloads that file after a \
            change and, with sysctl_set, also corrects a live value that differs even when the file is right. Values are \
            compared with whitespace normalised (`4096 87380 6291456` matches tabs). net.* keys are per network namespace.
            """,
        examples: """
            - sysctl:
                name: net.ipv4.ip_forward
                value: "1"
                sysctl_file: /etc/sysctl.d/60-forwarding.conf
                sysctl_set: true
            - sysctl: name=vm.swappiness value=10 state=present
            - sysctl: name=kernel.panic state=absent sysctl_file=/etc/sysctl.d/99-old.conf
            """,
        deviations: ["Keys are not translated between `/` and `.` separators.", "state=absent removes the line but leaves the live value as it is (as Ansible does)."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, aliases: ["key"], format: .word, help: "The parameter, e.g. net.ipv4.ip_forward.") var name: String
        @Option("value", .string, aliases: ["val"], format: .singleLine, help: "Its value (yes/no and true/false become 1/0). Required with state=present.") var value: String?
        @Option("state", choices: EntryState.self, default: .present, help: "Whether the entry is in sysctl_file.") var state: EntryState
        @Option("sysctl_file", .path, default: "/etc/sysctl.conf", help: "The file that persists the value, e.g. /etc/sysctl.d/60-forwarding.conf.") var sysctl_file: String
        @Option("reload", .bool, default: true, help: "After the file changed, load it with `sysctl -p FILE` (which also sets the live value).") var reload: Bool
        @Option("sysctl_set", .bool, default: false, help: "Also compare the live value and set it with `sysctl -w` when it differs.") var sysctl_set: Bool
        @Option("ignoreerrors", .bool, default: false, help: "Ignore unknown keys while reloading (`sysctl -e`).") var ignoreerrors: Bool
        var wantedValue: String? { value.map(SysctlModule.normalize) }

        public init() {}
    }

    public enum EntryState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var file: String?
        var live: String?
    }

    public enum Step: Sendable, Codable, Equatable { case writeFile(path: String, content: String, create: Bool), reload(file: String, ignoreErrors: Bool), setLive(name: String, value: String) }

    public init() {}

    static func normalize(_ value: String) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        switch trimmed.lowercased() {
        case "yes", "true", "on": return "1"
        case "no", "false", "off": return "0"
        default: return trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        }
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script = """
            k=\(ShellQuote.quote(a.name))
            v=$(sysctl -n -- "$k" 2>/dev/null) && printf 'live=%s\\n' "$(echo "$v" | tr '\\t\\n' '  ')"
            f=\(ShellQuote.quote(a.sysctl_file))
            if [ -f "$f" ]; then echo KEEL_FILE; cat -- "$f"; fi
            """
        let result = try await host.run(script)
        let text = result.stdoutText
        var state = State()
        let head: Substring
        if let marker = text.range(of: "KEEL_FILE\n") {
            head = text[..<marker.lowerBound]
            state.file = String(text[marker.upperBound...])
        } else { head = text[...] }
        state.live = AccountDatabase.fields(String(head))["live"]?.first.map { Self.normalize($0) }
        return state
    }

    /// The key a sysctl.conf line sets, or nil for comments and blank lines.
    static func key(of line: Substring) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";"), let equals = trimmed.firstIndex(of: "=") else { return nil }
        return trimmed[..<equals].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        if a.state == .present, observed.live == nil, a.sysctl_set || a.reload, !a.ignoreerrors {
            throw KeelError("\(host.name): sysctl: unknown key \(a.name)", expected: "a key under /proc/sys", found: "no such key",
                            suggestion: nil)
        }
        let before = observed.file ?? ""
        var lines = before.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        // Booleans are written as 1/0 (the kernel takes no yes/no), other values as given, trimmed.
        let written = a.wantedValue.flatMap { ["0", "1"].contains($0) ? $0 : nil } ?? (a.value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let line = "\(a.name)=\(written)"
        if a.state == .present {
            let indices = lines.indices.filter { Self.key(of: Substring(lines[$0])) == a.name }
            if let first = indices.first {
                let current = lines[first].split(separator: "=", maxSplits: 1).last.map { Self.normalize(String($0)) }
                if current != a.wantedValue || indices.count > 1 { lines[first] = line }
                for index in indices.dropFirst().reversed() { lines.remove(at: index) }
            } else {
                lines.append(line)
            }
        } else {
            lines.removeAll { Self.key(of: Substring($0)) == a.name }
        }
        let after = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        var steps: [Step] = []
        var diffs: [Diff] = []
        let fileChanges = after != before && !(observed.file == nil && after.isEmpty)
        if fileChanges {
            steps.append(.writeFile(path: a.sysctl_file, content: after, create: observed.file == nil))
            diffs.append(Diff(label: a.sysctl_file, before: before, after: after))
            if a.reload { steps.append(.reload(file: a.sysctl_file, ignoreErrors: a.ignoreerrors)) }
        }
        if a.state == .present, a.sysctl_set, let wanted = a.wantedValue, observed.live != wanted {
            steps.append(.setLive(name: a.name, value: wanted))
            diffs.append(Diff(label: "\(a.name) (live)", before: (observed.live ?? "") + "\n", after: wanted + "\n"))
        }
        let values: OrderedDictionary<String, Value> = ["name": .string(a.name), "value": a.value.map(Value.string) ?? .null, "state": .string(a.state.rawValue)]
        if steps.isEmpty { return .unchanged(values: values) }
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            let command: String
            switch step {
            case .writeFile(let path, let content, let create):
                let directory = (path as NSString).deletingLastPathComponent
                if create { _ = try await host.run("mkdir -p -- \(ShellQuote.quote(directory))") }
                _ = try await FileWrite(destination: path, content: Data(content.utf8), attributes: create ? [.mode(0o644)] : []).perform(on: host)
                continue
            case .setLive(let name, let value): command = "sysctl -w -- \(ShellQuote.quote("\(name)=\(value)"))"
            case .reload(let file, let ignoreErrors): command = "sysctl \(ignoreErrors ? "-e " : "")-p \(ShellQuote.quote(file))"
            }
            try await host.runChecked(command + " >/dev/null", failure: "\(command) failed")
        }
        return .changed()
    }
}
