/// The iptables arguments of a rule, built from the module's options in exactly ansible.builtin.iptables'
/// order (construct_rule), so `-C` finds a rule Ansible added and the reported `rule` text is the same.
struct IptablesRule {
    var a: IptablesModule.Arguments

    /// `!value` negates: `! -s 10.0.0.1`.
    static func param(_ rule: inout [String], _ value: String?, _ flag: String) {
        guard let value, !value.isEmpty else { return }
        if value.hasPrefix("!") { rule += ["!", flag, String(value.dropFirst())] } else { rule += [flag, value] }
    }

    static func matchFlag(_ rule: inout [String], _ value: String?, _ flag: String, negatable: Bool) {
        if value == "match" { rule.append(flag) } else if negatable && value == "negate" { rule += ["!", flag] }
    }

    static func csv(_ rule: inout [String], _ values: [String], _ flag: String) {
        if !values.isEmpty { rule += [flag, values.joined(separator: ",")] }
    }

    static func match(_ rule: inout [String], _ present: Bool, _ name: String) {
        if present { rule += ["-m", name] }
    }

    static func nonEmpty(_ s: String?) -> Bool { !(s ?? "").isEmpty }

    var arguments: [String] {
        var r: [String] = []
        let matches = a.match
        let jump = a.effectiveJump
        Self.param(&r, a.protocol, "-p")
        Self.param(&r, a.source, "-s")
        Self.param(&r, a.destination, "-d")
        for m in matches { Self.param(&r, m, "-m") }
        if let flags = a.tcp_flags?["flags"], let set = a.tcp_flags?["flags_set"], case .list(let f) = flags, case .list(let s) = set {
            r += ["--tcp-flags", f.compactMap(\.stringValue).joined(separator: ","), s.compactMap(\.stringValue).joined(separator: ",")]
        }
        Self.param(&r, jump, "-j")
        if jump?.lowercased() == "tee" { Self.param(&r, a.gateway, "--gateway") }
        Self.param(&r, a.log_prefix, "--log-prefix")
        Self.param(&r, a.log_level, "--log-level")
        Self.param(&r, a.to_destination, "--to-destination")
        Self.match(&r, !a.destination_ports.isEmpty, "multiport")
        Self.csv(&r, a.destination_ports, "--dports")
        Self.param(&r, a.to_source, "--to-source")
        Self.param(&r, a.goto, "-g")
        Self.param(&r, a.in_interface, "-i")
        Self.param(&r, a.out_interface, "-o")
        Self.param(&r, a.fragment, "-f")
        Self.param(&r, a.set_counters, "-c")
        Self.param(&r, a.source_port, "--source-port")
        Self.param(&r, a.destination_port, "--destination-port")
        Self.param(&r, a.to_ports, "--to-ports")
        Self.param(&r, a.set_dscp_mark, "--set-dscp")
        if Self.nonEmpty(a.set_dscp_mark) && jump?.lowercased() != "dscp" { r += ["-j", "DSCP"] }
        Self.param(&r, a.set_dscp_mark_class, "--set-dscp-class")
        if Self.nonEmpty(a.set_dscp_mark_class) && jump?.lowercased() != "dscp" { r += ["-j", "DSCP"] }
        Self.matchFlag(&r, a.syn.rawValue, "--syn", negatable: true)
        if matches.contains("conntrack") {
            Self.csv(&r, a.ctstate, "--ctstate")
        } else if matches.contains("state") {
            Self.csv(&r, a.ctstate, "--state")
        } else if !a.ctstate.isEmpty {
            r += ["-m", "conntrack"]
            Self.csv(&r, a.ctstate, "--ctstate")
        }
        if matches.contains("iprange") {
            Self.param(&r, a.src_range, "--src-range")
            Self.param(&r, a.dst_range, "--dst-range")
        } else if Self.nonEmpty(a.src_range) || Self.nonEmpty(a.dst_range) {
            r += ["-m", "iprange"]
            Self.param(&r, a.src_range, "--src-range")
            Self.param(&r, a.dst_range, "--dst-range")
        }
        if matches.contains("set") {
            Self.param(&r, a.match_set, "--match-set")
            if let flags = a.match_set_flags { r.append(flags) }
        } else if Self.nonEmpty(a.match_set) {
            r += ["-m", "set"]
            Self.param(&r, a.match_set, "--match-set")
            if let flags = a.match_set_flags { r.append(flags) }
        }
        Self.match(&r, Self.nonEmpty(a.limit) || Self.nonEmpty(a.limit_burst), "limit")
        Self.param(&r, a.limit, "--limit")
        Self.param(&r, a.limit_burst, "--limit-burst")
        Self.match(&r, Self.nonEmpty(a.uid_owner), "owner")
        Self.param(&r, a.uid_owner, "--uid-owner")
        Self.match(&r, Self.nonEmpty(a.gid_owner), "owner")
        Self.param(&r, a.gid_owner, "--gid-owner")
        if jump == nil {
            if Self.nonEmpty(a.reject_with) { r += ["-j", "REJECT"] }
            if Self.nonEmpty(a.set_dscp_mark_class) { r += ["-j", "DSCP"] }
            if Self.nonEmpty(a.set_dscp_mark) { r += ["-j", "DSCP"] }
        }
        Self.param(&r, a.reject_with, "--reject-with")
        if let icmp = a.icmp_type {
            switch a.ip_version {
            case .ipv4: Self.param(&r, icmp, "--icmp-type")
            case .ipv6: Self.param(&r, icmp, "--icmpv6-type")
            case .both: Self.param(&r, icmp, "--icmp-type --icmpv6-type")
            }
        }
        Self.match(&r, Self.nonEmpty(a.comment), "comment")
        Self.param(&r, a.comment, "--comment")
        return r
    }
}
