import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `iptables` (ansible.builtin.iptables): one rule of a chain is present (appended or inserted) or absent,
/// a chain's policy is set, a chain is flushed, created or deleted. Presence is asked with `iptables -C`
/// and the rule's arguments are Ansible's, in Ansible's order, so both find each other's rules. Changes are
/// live only (as Ansible's): saving them is the job of iptables-persistent or a role's own task.
public struct IptablesModule: Module {
    public static let name = "iptables"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["set_dscp_mark", "set_dscp_mark_class"], ["flush", "policy"]],
                                          requiredIf: [RequiredIf("jump", is: "TEE", requires: ["gateway"]), RequiredIf("jump", is: "tee", requires: ["gateway"])])
    public static let documentation = ModuleDocumentation(
        summary: "Manage iptables rules, policies and chains",
        description: """
            With a rule (any of protocol, source, destination, jump, ports, ctstate, comment, ...) state=present adds it \
            unless `iptables -C` finds it (action=append at the end, insert at rule_num or the top), state=absent deletes \
            it. `policy` sets the chain's policy when it differs; `flush` flushes the chain (or the table) and always \
            reports a change, as Ansible does; without a rule, state=present/absent with chain_management creates or \
            deletes the chain. ip_version=both does the same with iptables and ip6tables.
            """,
        examples: """
            - iptables:
                chain: INPUT
                protocol: tcp
                destination_port: "22"
                ctstate: [NEW]
                jump: ACCEPT
                comment: ssh
            - iptables: chain=INPUT policy=DROP
            """,
        deviations: ["The iptables version is not read: `wait` is always passed as `-w SECONDS`."])

    public struct Arguments: ModuleArguments {
        @Option("table", choices: Table.self, default: .filter, help: "The table.") var table: Table
        @Option("state", choices: RuleState.self, default: .present, help: "Whether the rule (or chain) is there.") var state: RuleState
        @Option("action", choices: RuleAction.self, default: .append, help: "Where a new rule goes: append (end) or insert (top or rule_num).") var action: RuleAction
        @Option("ip_version", choices: IPVersion.self, default: .ipv4, help: "ipv4 (iptables), ipv6 (ip6tables) or both.") var ip_version: IPVersion
        @Option("chain", .string, format: .word, help: "The chain (INPUT, FORWARD, OUTPUT, PREROUTING, POSTROUTING or a user chain).") var chain: String?
        @Option("rule_num", .string, help: "With action=insert: the position.") var rule_num: String?
        @Option("protocol", .string, format: .word, help: "tcp, udp, icmp, all, ... (`!tcp` negates).") var `protocol`: String?
        @Option("wait", .string, help: "Seconds to wait for the xtables lock (`-w`).") var wait: String?
        @Option("source", .string, format: .word, help: "Source address or network (`!` negates).") var source: String?
        @Option("to_source", .string, format: .word, help: "SNAT address.") var to_source: String?
        @Option("destination", .string, format: .word, help: "Destination address or network.") var destination: String?
        @Option("to_destination", .string, format: .word, help: "DNAT address.") var to_destination: String?
        @Option("match", .list(.string), default: [], help: "Match extensions (`-m`), e.g. [conntrack, comment].") var match: [String]
        @Option("tcp_flags", .dict, help: "{flags: [...], flags_set: [...]}: `--tcp-flags`.") var tcp_flags: OrderedDictionary<String, Value>?
        @Option("jump", .string, format: .word, help: "The target: ACCEPT, DROP, REJECT, LOG, a chain, ...") var jump: String?
        @Option("gateway", .string, format: .word, help: "TEE's gateway.") var gateway: String?
        @Option("log_prefix", .string, format: .singleLine, help: "LOG's prefix.") var log_prefix: String?
        @Option("log_level", .string, choices: ["0", "1", "2", "3", "4", "5", "6", "7", "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"],
                help: "LOG's level.") var log_level: String?
        @Option("goto", .string, format: .word, help: "Continue in this chain (`-g`).") var goto: String?
        @Option("in_interface", .string, format: .word, help: "Incoming interface (`-i`).") var in_interface: String?
        @Option("out_interface", .string, format: .word, help: "Outgoing interface (`-o`).") var out_interface: String?
        @Option("fragment", .string, help: "`-f`.") var fragment: String?
        @Option("set_counters", .string, help: "`-c PACKETS BYTES`.") var set_counters: String?
        @Option("source_port", .string, format: .word, help: "Source port or range.") var source_port: String?
        @Option("destination_port", .string, format: .word, help: "Destination port or range (`22`, `8000:8100`).") var destination_port: String?
        @Option("destination_ports", .list(.string), default: [], help: "Several destination ports (multiport).") var destination_ports: [String]
        @Option("to_ports", .string, format: .word, help: "REDIRECT/MASQUERADE ports.") var to_ports: String?
        @Option("set_dscp_mark", .string, help: "DSCP mark.") var set_dscp_mark: String?
        @Option("set_dscp_mark_class", .string, help: "DSCP class.") var set_dscp_mark_class: String?
        @Option("comment", .string, format: .singleLine, help: "A comment on the rule (comment match).") var comment: String?
        @Option("ctstate", .list(.string), default: [], help: "Connection states: NEW, ESTABLISHED, RELATED, INVALID, ...") var ctstate: [String]
        @Option("src_range", .string, help: "Source address range (iprange).") var src_range: String?
        @Option("dst_range", .string, help: "Destination address range (iprange).") var dst_range: String?
        @Option("match_set", .string, help: "An ipset (set match).") var match_set: String?
        @Option("match_set_flags", .string, choices: ["src", "dst", "src,dst", "dst,src", "src,src", "dst,dst"], help: "The set's flags.") var match_set_flags: String?
        @Option("limit", .string, help: "Rate limit, e.g. 5/min.") var limit: String?
        @Option("limit_burst", .string, help: "Burst of the limit.") var limit_burst: String?
        @Option("uid_owner", .string, help: "Owner uid or name (OUTPUT).") var uid_owner: String?
        @Option("gid_owner", .string, help: "Owner gid or name (OUTPUT).") var gid_owner: String?
        @Option("reject_with", .string, help: "REJECT's ICMP answer (implies -j REJECT).") var reject_with: String?
        @Option("icmp_type", .string, help: "ICMP type.") var icmp_type: String?
        @Option("syn", choices: SynMatch.self, default: .ignore, help: "Match (or not) TCP SYN packets.") var syn: SynMatch
        @Option("flush", .bool, default: false, help: "Flush the chain (all chains of the table when no chain).") var flush: Bool
        @Option("policy", .string, choices: ["ACCEPT", "DROP", "QUEUE", "RETURN"], help: "The chain's policy.") var policy: String?
        @Option("chain_management", .bool, default: false, help: "Without a rule: create (present) or delete (absent) the chain.") var chain_management: Bool
        @Option("numeric", .bool, default: false, help: "List numerically when reading the policy.") var numeric: Bool
        public init() {}

        /// LOG options imply `-j LOG`, as in Ansible.
        var effectiveJump: String? {
            if jump == nil && (log_prefix != nil || log_level != nil) { return "LOG" }
            return jump
        }
    }

    public enum Table: String, OptionChoice { case filter, nat, mangle, raw, security }
    public enum RuleState: String, OptionChoice { case absent, present }
    public enum RuleAction: String, OptionChoice { case append, insert }
    public enum IPVersion: String, OptionChoice { case ipv4, ipv6, both }
    public enum SynMatch: String, OptionChoice { case ignore, match, negate }

    /// What one binary (iptables or ip6tables) says.
    public struct Observation: Equatable, Sendable {
        var binary: String
        var rulePresent: Bool
        var chainPresent: Bool
        var policy: String?
    }

    public struct State: Equatable, Sendable { var observations: [Observation] }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var arguments: [String]
        /// A change Ansible reports without doing anything (a missing chain without chain_management).
        var reportOnly: Bool = false
        public var description: String { reportOnly ? "report: \(arguments.joined(separator: " "))" : arguments.joined(separator: " ") }
    }

    public init() {}

    func binaries(_ a: Arguments) -> [String] {
        switch a.ip_version { case .ipv4: ["iptables"]; case .ipv6: ["ip6tables"]; case .both: ["iptables", "ip6tables"] }
    }

    /// `BINARY -t TABLE ACTION CHAIN [rule_num] [-w wait] [rule]`, as Ansible's push_arguments.
    func command(_ binary: String, _ action: String, _ a: Arguments, rule: Bool = true) -> [String] {
        var cmd = [binary, "-t", a.table.rawValue, action]
        if let chain = a.chain { cmd.append(chain) }
        if action == "-I", let number = a.rule_num, !number.isEmpty { cmd.append(number) }
        if let wait = a.wait { cmd += ["-w", wait] }
        if rule { cmd += IptablesRule(a: a).arguments }
        return cmd
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if a.flush == false && a.chain == nil { throw KeelError("iptables: flush is False but all of the following are missing: chain", expected: "chain") }
        if (a.log_prefix != nil || a.log_level != nil), let jump = a.jump, jump != "LOG" {
            throw KeelError("Logging options can only be used with the LOG jump target.", expected: "jump: LOG", found: jump)
        }
        var script = ""
        for binary in binaries(a) {
            script += "command -v \(binary) >/dev/null 2>&1 || { echo '\(binary): command not found' >&2; exit 127; }\n"
            let list = command(binary, "-L", a, rule: false) + (a.numeric ? ["--numeric"] : [])
            script += "if out=$(\(list.map(ShellQuote.quote).joined(separator: " ")) 2>/dev/null); then echo \"@@chain \(binary)\"; printf '%s\\n' \"$out\" | head -n 1 | sed 's/^/@@head \(binary) /'; fi\n"
            script += "\(command(binary, "-C", a).map(ShellQuote.quote).joined(separator: " ")) >/dev/null 2>&1 && echo \"@@rule \(binary)\"\n"
        }
        let text = try await host.runChecked(script + "true", failure: "cannot read iptables rules").stdoutText
        var observations: [Observation] = []
        for binary in binaries(a) {
            var o = Observation(binary: binary, rulePresent: false, chainPresent: false, policy: nil)
            for line in text.split(separator: "\n") {
                if line == "@@chain \(binary)" { o.chainPresent = true }
                if line == "@@rule \(binary)" { o.rulePresent = true }
                if line.hasPrefix("@@head \(binary) "), let range = line.range(of: "(policy ") {
                    o.policy = String(line[range.upperBound...].prefix(while: { $0.isUppercase }))
                }
            }
            observations.append(o)
        }
        return State(observations: observations)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let rule = IptablesRule(a: a).arguments
        var steps: [Step] = []
        for o in observed.observations {
            if a.flush {
                steps.append(Step(arguments: command(o.binary, "-F", a, rule: false)))
            } else if let policy = a.policy {
                guard let current = o.policy else { throw KeelError("\(host.name): Can't detect current policy", expected: "a built-in chain", found: a.chain ?? "") }
                if current != policy { steps.append(Step(arguments: command(o.binary, "-P", a, rule: false) + [policy])) }
            } else if a.state == .absent && rule.isEmpty {
                if o.chainPresent { steps.append(Step(arguments: command(o.binary, "-X", a, rule: false), reportOnly: !a.chain_management)) }
            } else if a.state == .present && rule.isEmpty {
                if !o.chainPresent { steps.append(Step(arguments: command(o.binary, "-N", a, rule: false), reportOnly: !a.chain_management)) }
            } else if o.rulePresent != (a.state == .present) {
                let action = a.state == .absent ? "-D" : a.action == .insert ? "-I" : "-A"
                steps.append(Step(arguments: command(o.binary, action, a)))
            }
        }
        let values: OrderedDictionary<String, Value> = [
            "ip_version": .string(a.ip_version.rawValue), "table": .string(a.table.rawValue), "chain": a.chain.map(Value.string) ?? .null,
            "flush": .bool(a.flush), "rule": .string(rule.joined(separator: " ")), "state": .string(a.state.rawValue),
            "chain_management": .bool(a.chain_management), "wait": a.wait.map(Value.string) ?? .null]
        if steps.isEmpty { return .unchanged(values: values) }
        let diff = Diff(label: "iptables -t \(a.table.rawValue) \(a.chain ?? "")", before: "", after: steps.map(\.description).joined(separator: "\n") + "\n")
        return Plan(steps: steps, diffs: [diff], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps where !step.reportOnly {
            try await host.runChecked(step.arguments.map(ShellQuote.quote).joined(separator: " "), failure: "\(step) failed")
        }
        return .changed()
    }
}
