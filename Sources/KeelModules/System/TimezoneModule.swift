import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `timezone`: the system time zone (community.general.timezone): /etc/localtime points into
/// /usr/share/zoneinfo and /etc/timezone names the zone (Debian), through timedatectl when systemd runs.
/// One round trip reads the link, the file, whether the zone exists and whether systemd runs.
public struct TimezoneModule: Module {
    public static let name = "timezone"
    public static let aliases = ["community.general.timezone"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["name", "hwclock"]])
    public static let documentation = ModuleDocumentation(
        summary: "Set the system time zone",
        description: """
            Compares the target of /etc/localtime and the content of /etc/timezone with `name`. On systemd hosts it runs \
            `timedatectl set-timezone` (and writes /etc/timezone if it still differs); elsewhere it relinks /etc/localtime \
            and writes /etc/timezone atomically. An unknown zone fails before anything changes.
            """,
        examples: "- timezone: name=Europe/Berlin",
        deviations: ["hwclock is not supported.", "Only zoneinfo-based Linux hosts (/usr/share/zoneinfo) are supported."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, help: "The zone, e.g. Europe/Berlin or Etc/UTC.") var name: String?
        @Option("hwclock", .string, choices: ["local", "UTC"], help: "Not supported by Keel (fails when given).") var hwclock: String?

        public init() {}
    }

    public struct State: Equatable, Sendable {
        var link: String?
        var file: String?
        var zoneExists: Bool
        var systemd: Bool
    }

    public enum Step: Sendable, Equatable, Codable { case timedatectl(String), link(String), writeFile(String) }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard a.hwclock == nil, let name = a.name else {
            throw KeelError("timezone: hwclock is not supported by Keel", expected: "only name", found: "hwclock")
        }
        let script = """
            echo "link=$(readlink /etc/localtime 2>/dev/null)"
            [ -f /etc/timezone ] && echo "file=$(head -n 1 /etc/timezone)"
            [ -f /usr/share/zoneinfo/\(ShellQuote.quote(name)) ] && echo exists=1
            [ -d /run/systemd/system ] && command -v timedatectl >/dev/null 2>&1 && echo systemd=1
            true
            """
        let f = AccountDatabase.fields(try await host.run(script).stdoutText)
        return State(link: f["link"]?.first.flatMap { $0.isEmpty ? nil : $0 }, file: f["file"]?.first, zoneExists: f["exists"] != nil, systemd: f["systemd"] != nil)
    }

    static func zone(ofLink link: String?) -> String? {
        guard let link, let range = link.range(of: "zoneinfo/") else { return nil }
        return String(link[range.upperBound...])
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let name = a.name ?? ""
        guard !name.contains(".."), observed.zoneExists else {
            throw KeelError("\(host.name): timezone: unknown zone \(name)", expected: "a zone in /usr/share/zoneinfo (e.g. Europe/Berlin)", found: name)
        }
        let current = Self.zone(ofLink: observed.link)
        var steps: [Step] = []
        if current != name { steps.append(observed.systemd ? .timedatectl(name) : .link(name)) }
        if observed.file != nil && observed.file != name || observed.file == nil && !observed.systemd { steps.append(.writeFile(name)) }
        let values: OrderedDictionary<String, Value> = ["name": .string(name)]
        if steps.isEmpty { return .unchanged(values: values) }
        func text(_ zone: String?, _ file: String?) -> String { "/etc/localtime: \(zone ?? "(none)")\n/etc/timezone: \(file ?? "(none)")\n" }
        return Plan(steps: steps, diffs: [Diff(label: "timezone", before: text(current, observed.file),
                                               after: text(name, steps.contains(.writeFile(name)) ? name : observed.file))], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            let command: String
            switch step {
            case .timedatectl(let name): command = "timedatectl set-timezone -- \(ShellQuote.quote(name))"
            case .link(let name): command = "ln -sfn -- \(ShellQuote.quote("/usr/share/zoneinfo/" + name)) /etc/.keel-localtime && mv -Tf /etc/.keel-localtime /etc/localtime"
            case .writeFile(let name):
                _ = try await FileWrite(destination: "/etc/timezone", content: Data((name + "\n").utf8), attributes: []).perform(on: host)
                continue
            }
            try await host.runChecked(command, failure: "cannot set the time zone")
        }
        return .changed()
    }
}
