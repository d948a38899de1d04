import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `ufw` (community.general.ufw): the firewall's state, default policies, logging and rules, through the
/// ufw command. A rule's effect is predicted as Ansible's check mode predicts it, by asking
/// `ufw --dry-run RULE` (read-only) for the rule tuples it would leave and comparing them with the saved ones,
/// so check mode and the run agree.
public struct UfwModule: Module {
    public static let name = "ufw"
    public static let aliases = ["community.general.ufw"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["state", "default", "rule", "logging"]])
    public static let documentation = ModuleDocumentation(
        summary: "Manage the ufw firewall",
        description: """
            state enables or disables ufw (reloaded and reset always run), default sets a default policy for a direction, \
            logging sets the log level, rule adds (or with delete removes) a rule built as Ansible builds it: \
            `ufw [route] [delete] [insert N] RULE [DIRECTION] [on IF] [log] from FROM [port P] to TO [port P] [proto P] \
            [app NAME] [comment C]`.
            """,
        examples: """
            - community.general.ufw: rule=allow port=22 proto=tcp comment=ssh
            - ufw: state=enabled policy=deny
            """,
        deviations: ["insert_relative_to other than zero is not supported.", "Check mode predicts state, default and logging from `ufw status verbose`, as Ansible's check mode."])

    public struct Arguments: ModuleArguments {
        @Option("state", .string, choices: ["enabled", "disabled", "reloaded", "reset"], help: "enabled, disabled, reloaded or reset.") var state: String?
        @Option("default", .string, choices: ["allow", "deny", "reject"], aliases: ["policy"], help: "Default policy (for direction, else incoming).") var `default`: String?
        @Option("logging", .string, choices: ["full", "high", "low", "medium", "off", "on"], help: "Log level.") var logging: String?
        @Option("direction", .string, choices: ["in", "incoming", "out", "outgoing", "routed"], help: "Direction of the rule or policy.") var direction: String?
        @Option("delete", .bool, default: false, help: "Remove the rule.") var delete: Bool
        @Option("route", .bool, default: false, help: "A routed (forwarding) rule.") var route: Bool
        @Option("insert", .int, help: "Insert the rule at this position.") var insert: Int?
        @Option("insert_relative_to", .string, default: "zero", choices: ["zero", "first-ipv4", "last-ipv4", "first-ipv6", "last-ipv6"], help: "Only zero is supported.") var insert_relative_to: String
        @Option("rule", .string, choices: ["allow", "deny", "limit", "reject"], help: "The rule's action.") var rule: String?
        @Option("interface", .string, aliases: ["if"], format: .word, help: "Interface (needs direction).") var interface: String?
        @Option("interface_in", .string, aliases: ["if_in"], format: .word, help: "Incoming interface.") var interface_in: String?
        @Option("interface_out", .string, aliases: ["if_out"], format: .word, help: "Outgoing interface.") var interface_out: String?
        @Option("log", .bool, default: false, help: "Log new connections matched by the rule.") var log: Bool
        @Option("from_ip", .string, default: "any", aliases: ["from", "src"], format: .word, help: "Source address.") var from_ip: String
        @Option("from_port", .string, format: .word, help: "Source port.") var from_port: String?
        @Option("to_ip", .string, default: "any", aliases: ["dest", "to"], format: .word, help: "Destination address.") var to_ip: String
        @Option("to_port", .string, aliases: ["port"], format: .word, help: "Destination port (or range).") var to_port: String?
        @Option("proto", .string, choices: ["ah", "any", "esp", "ipv6", "tcp", "udp", "gre", "igmp", "vrrp"], aliases: ["protocol"], help: "Protocol.") var proto: String?
        @Option("name", .string, aliases: ["app"], format: .singleLine, help: "An application profile.") var name: String?
        @Option("comment", .string, format: .singleLine, help: "A comment on the rule.") var comment: String?
        public init() {}
    }

    public struct State: Equatable, Sendable {
        var status: String
        var rules: [String]
        /// The rule tuples `ufw --dry-run RULE` would leave, or nil when it would skip (the rule is there).
        var dryRules: [String]?
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var arguments: [String]
        public var description: String { "ufw " + arguments.joined(separator: " ") }
    }

    public init() {}

    /// The rule's words after `ufw`, as Ansible joins them.
    func ruleArguments(_ a: Arguments) throws -> [String] {
        guard let rule = a.rule else { return [] }
        if let direction = a.direction, !["in", "out"].contains(direction) {
            throw KeelError("For rules, direction must be one of \"in\" and \"out\", or direction must not be specified.")
        }
        if !a.route && a.interface_in != nil && a.interface_out != nil { throw KeelError("Only route rules can combine interface_in and interface_out") }
        if a.insert_relative_to != "zero" && a.insert != nil { throw KeelError("ufw: insert_relative_to=\(a.insert_relative_to) is not supported by Keel", expected: "zero") }
        var words: [String] = []
        if a.route { words.append("route") }
        if a.delete { words.append("delete") }
        if let insert = a.insert, !a.delete { words += ["insert", String(insert)] }
        words.append(rule)
        if let direction = a.direction { words.append(direction) }
        if let interface = a.interface { words += ["on", interface] }
        if let i = a.interface_in { words += ["in", "on", i] }
        if let o = a.interface_out { words += ["out", "on", o] }
        if a.log { words.append("log") }
        words += ["from", a.from_ip]
        if let p = a.from_port { words += ["port", p] }
        words += ["to", a.to_ip]
        if let p = a.to_port { words += ["port", p] }
        if let p = a.proto { words += ["proto", p] }
        if let n = a.name { words += ["app", n] }
        if let c = a.comment { words += ["comment", c] }
        return words
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let rule = try ruleArguments(a)
        let files = ["/lib/ufw/user.rules", "/lib/ufw/user6.rules", "/etc/ufw/user.rules", "/etc/ufw/user6.rules", "/var/lib/ufw/user.rules", "/var/lib/ufw/user6.rules"]
        var script = """
            export LANG=C
            command -v ufw >/dev/null 2>&1 || { echo 'ufw: command not found' >&2; exit 127; }
            echo @@status; ufw status verbose
            echo @@rules; grep -h '^### tuple' \(files.joined(separator: " ")) 2>/dev/null

            """
        if !rule.isEmpty { script += "echo @@dry; ufw --dry-run \(rule.map(ShellQuote.quote).joined(separator: " ")) || echo @@dryfailed\n" }
        let text = try await host.runChecked(script + "true", failure: "cannot read ufw's state").stdoutText
        var sections: [String: [String]] = [:]
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@") { current = String(line.dropFirst(2)); sections[current, default: []] = []; continue }
            sections[current, default: []].append(String(line))
        }
        if sections["dryfailed"] != nil { throw KeelError("\(host.name): ufw \(rule.joined(separator: " ")): \((sections["dry"] ?? []).joined(separator: "\n"))") }
        var dry: [String]? = nil
        if let lines = sections["dry"] {
            let nonEmpty = lines.filter { !$0.isEmpty }
            let skipping = nonEmpty.filter { $0.contains("Skipping") }
            dry = !skipping.isEmpty && skipping.count == nonEmpty.count ? nil : lines.filter { $0.hasPrefix("### tuple") }
        }
        return State(status: (sections["status"] ?? []).joined(separator: "\n"), rules: (sections["rules"] ?? []).filter { !$0.isEmpty }, dryRules: dry)
    }

    static func isIPv4(_ s: String) -> Bool { s.range(of: #"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"#, options: .regularExpression) != nil }
    static func isIPv6(_ s: String) -> Bool { s.contains(":") }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var steps: [Step] = []
        if let state = a.state {
            let enabled = observed.status.contains(" active")
            let verb = ["enabled": "enable", "disabled": "disable", "reloaded": "reload", "reset": "reset"][state]!
            if state == "reloaded" || state == "reset" || (state == "disabled" && enabled) || (state == "enabled" && !enabled) {
                steps.append(Step(arguments: ["-f", verb]))
            }
        }
        if let policy = a.default {
            if let d = a.direction, !["outgoing", "incoming", "routed"].contains(d) {
                throw KeelError("For default, direction must be one of \"outgoing\", \"incoming\" and \"routed\", or direction must not be specified.")
            }
            var changed = true
            if let m = observed.status.range(of: #"Default: (deny|allow|reject) \(incoming\), (deny|allow|reject) \(outgoing\), (deny|allow|reject|disabled) \(routed\)"#, options: .regularExpression) {
                let words = observed.status[m].split(separator: " ")
                let current = ["incoming": String(words[1]), "outgoing": String(words[3]), "routed": String(words[5])][a.direction ?? "incoming"]!
                changed = !(current == policy || current == "disabled")
            }
            if changed { steps.append(Step(arguments: ["default", policy] + (a.direction.map { [$0] } ?? []))) }
        }
        if a.rule != nil {
            let rule = try ruleArguments(a)
            if let dry = observed.dryRules {
                let changed: Bool
                if Self.isIPv4(a.from_ip) || Self.isIPv4(a.to_ip) {
                    changed = observed.rules.filter { $0.range(of: #"\d+\.\d+\.\d+\.\d+"#, options: .regularExpression) != nil }
                        != dry.filter { $0.range(of: #"\d+\.\d+\.\d+\.\d+"#, options: .regularExpression) != nil }
                } else if Self.isIPv6(a.from_ip) || Self.isIPv6(a.to_ip) {
                    changed = observed.rules.filter { $0.contains(":") } != dry.filter { $0.contains(":") }
                } else {
                    changed = observed.rules != dry
                }
                if changed { steps.append(Step(arguments: rule)) }
            }
        }
        if let logging = a.logging {
            var changed = true
            if let m = observed.status.range(of: #"Logging: (on|off)( \([a-z]+\))?"#, options: .regularExpression) {
                let text = observed.status[m]
                let onOff = text.contains("Logging: on") ? "on" : "off"
                let level = text.firstIndex(of: "(").map { String(text[text.index(after: $0)...].dropLast()) }
                if logging != "off" { changed = onOff == "off" || (logging != "on" && logging != level) } else { changed = onOff != "off" }
            }
            if changed { steps.append(Step(arguments: ["logging", logging])) }
        }
        let values: OrderedDictionary<String, Value> = ["commands": .list(steps.map { .string($0.description) })]
        if steps.isEmpty { return .unchanged(values: values) }
        return Plan(steps: steps, diffs: [Diff(label: "ufw", before: "", after: steps.map(\.description).joined(separator: "\n") + "\n")], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            try await host.runChecked("LANG=C ufw " + step.arguments.map(ShellQuote.quote).joined(separator: " "), failure: "\(step) failed")
        }
        let status = try await host.run("LANG=C ufw status verbose").stdoutText
        return .changed(["msg": .string(status.trimmingCharacters(in: .whitespacesAndNewlines))])
    }
}
