import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `alternatives` (community.general.alternatives): an alternative of a Debian/RHEL alternatives group
/// is installed (with its priority and followers), selected, back in auto mode, or removed, through
/// update-alternatives. The decisions are Ansible's, made from one `--display` read.
public struct AlternativesModule: Module {
    public static let name = "alternatives"
    public static let aliases = ["community.general.alternatives"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["path", "family"]])
    public static let documentation = ModuleDocumentation(
        summary: "Manage alternatives with update-alternatives",
        description: """
            state=present installs `path` into the group `name` (with `link`, `priority`, default 50 or the current one, \
            and subcommands as followers) when it is missing or its priority or followers differ; selected (the default) \
            also selects it (`--set`) unless the current choice is that path or of that family; auto also puts a group in \
            manual mode back to auto; absent removes the path from the group.
            """,
        examples: """
            - community.general.alternatives:
                name: java
                path: /usr/lib/jvm/java-17-openjdk-amd64/bin/java
                link: /usr/bin/java
                priority: 1700
            - alternatives: name=editor path=/usr/bin/vim.basic
            """,
        deviations: [])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The generic name of the group (e.g. editor, java).") var name: String
        @Option("path", .path, help: "The alternative: the real executable.") var path: String?
        @Option("family", .string, help: "The family of the alternative (RHEL); selecting by family when no path is given.") var family: String?
        @Option("link", .path, help: "The generic link (e.g. /usr/bin/java); needed when the group does not exist yet.") var link: String?
        @Option("priority", .int, help: "The priority of the alternative (default: its current one, else 50).") var priority: Int?
        @Option("state", choices: AlternativeState.self, default: .selected, help: "present, selected, auto or absent.") var state: AlternativeState
        @Option("subcommands", .raw, aliases: ["slaves"], help: "Followers: a list of {name, path, link} installed with the alternative.") var subcommands: Value?
        public init() {}
    }

    public enum AlternativeState: String, OptionChoice { case present, selected, auto, absent }

    public struct State: Equatable, Sendable {
        var display: AlternativesDisplay
        var pathExists: Bool
    }

    /// One update-alternatives call, as its arguments.
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var arguments: [String]
        public var description: String { "update-alternatives " + arguments.joined(separator: " ") }
    }

    public init() {}

    static func followers(_ raw: Value?) throws -> [AlternativesDisplay.Follower]? {
        guard let raw, raw != .null else { return nil }
        guard case .list(let items) = raw else { throw KeelError("alternatives: subcommands must be a list", expected: "a list of {name, path, link}", found: raw.jsonString()) }
        return try items.map { item in
            guard let name = item["name"]?.stringValue, let path = item["path"]?.stringValue, let link = item["link"]?.stringValue else {
                throw KeelError("alternatives: each subcommand needs name, path and link", expected: "{name, path, link}", found: item.jsonString())
            }
            return .init(name: name, path: path, link: link)
        }
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script = """
            export LC_ALL=C
            command -v update-alternatives >/dev/null 2>&1 || { echo 'update-alternatives: command not found' >&2; exit 127; }
            if out=$(update-alternatives --display \(ShellQuote.quote(a.name)) 2>/dev/null); then echo KEEL_DISPLAY; printf '%s\\n' "$out"; fi
            \(a.path.map { "[ -e \(ShellQuote.quote($0)) ] && echo KEEL_PATH_EXISTS" } ?? "")
            true
            """
        let result = try await host.runChecked(script, failure: "cannot read alternatives \(a.name)")
        var text = result.stdoutText
        let exists = text.contains("KEEL_PATH_EXISTS\n")
        text = text.replacingOccurrences(of: "KEEL_PATH_EXISTS\n", with: "")
        let display = text.range(of: "KEEL_DISPLAY\n").map { String(text[$0.upperBound...]) }
        return State(display: AlternativesDisplay.parse(display, declaredFollowers: try Self.followers(a.subcommands)), pathExists: exists)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let display = observed.display
        let declared = try Self.followers(a.subcommands)
        var steps: [Step] = []
        var messages: [String] = []
        let current = a.path.flatMap { display.alternatives[$0] }
        let priority = a.priority ?? current?.priority ?? 50
        if a.state != .absent {
            if let path = a.path, current == nil || (a.priority != nil && current?.priority != a.priority)
                || (declared != nil && Set(declared!.map(\.key)) != Set(current!.followers.map(\.key))) {
                guard observed.pathExists else { throw KeelError("Specified path \(path) does not exist", expected: "an existing file", found: path) }
                guard let link = a.link ?? display.currentLink else {
                    throw KeelError("Needed to install the alternative, but unable to do so as we are missing the link", expected: "link", found: "none")
                }
                var arguments = ["--install", link, a.name, path, String(priority)]
                if let family = a.family { arguments += ["--family", family] }
                for follower in declared ?? [] { arguments += ["--slave", follower.link ?? "", follower.name, follower.path] }
                steps.append(Step(arguments: arguments))
                messages.append("Install alternative '\(path)' for '\(a.name)'.")
            }
            let samePath = a.path != nil && display.currentPath == a.path
            let sameFamily = display.currentPath.flatMap { display.alternatives[$0] }.map { $0.family == a.family } ?? false
            if a.state == .selected && !(samePath || sameFamily) {
                let argument = a.path ?? a.family ?? ""
                steps.append(Step(arguments: ["--set", a.name, argument]))
                messages.append("Set alternative '\(argument)' for '\(a.name)'.")
            }
            if a.state == .auto && display.mode == "manual" {
                steps.append(Step(arguments: ["--auto", a.name]))
                messages.append("Set alternative to auto for '\(a.name)'.")
            }
        } else if let path = a.path, current != nil {
            steps.append(Step(arguments: ["--remove", a.name, path]))
            messages.append("Remove alternative '\(path)' from '\(a.name)'.")
        }
        let values: OrderedDictionary<String, Value> = ["msg": .string(messages.joined(separator: " "))]
        if steps.isEmpty { return .unchanged(values: values) }
        func describe(_ state: String, _ path: String?, _ priority: Int?, _ link: String?) -> String {
            var text = "state: \(state)\n"
            if let path { text += "path: \(path)\n" }
            if let priority { text += "priority: \(priority)\n" }
            if let link { text += "link: \(link)\n" }
            return text
        }
        let beforeState = current == nil ? "absent" : (display.mode == "manual" && display.currentPath != a.path ? "selected" : "present")
        let afterState = a.state == .absent ? "absent" : a.state == .selected ? "selected" : "present"
        let diff = Diff(label: "alternatives \(a.name)",
                        before: describe(beforeState, current == nil ? nil : a.path, current?.priority, current == nil ? nil : display.currentLink),
                        after: a.state == .absent ? "state: absent\n" : describe(afterState, a.path, priority, a.link ?? display.currentLink))
        return Plan(steps: steps, diffs: [diff], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            try await host.runChecked("LC_ALL=C update-alternatives " + step.arguments.map(ShellQuote.quote).joined(separator: " "),
                                      failure: "\(step) failed")
        }
        return .changed()
    }
}

extension AlternativesDisplay.Follower {
    var key: String { "\(name)\u{0}\(path)\u{0}\(link ?? "")" }
}
