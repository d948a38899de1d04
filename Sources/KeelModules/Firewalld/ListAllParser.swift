import KeelBase

/// Reads `firewall-cmd [--permanent] --zone=Z --list-all`: a title line, then `  key: value value ...`
/// lines, and after `rich rules:` one rule per line, indented with a tab. One call gives the whole zone,
/// where the per-setting `--list-*` queries would cost a firewall-cmd start (a Python start) each.
enum ListAllParser {
    static func parse(_ text: String) throws -> ZoneSettings {
        var settings = ZoneSettings()
        var inRichRules = false
        var sawTarget = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true).dropFirst() {
            let line = String(rawLine)
            if inRichRules, line.hasPrefix("\t") || line.hasPrefix("        ") {
                let rule = line.trimmingCharacters(in: .whitespaces)
                if !rule.isEmpty {
                    // firewalld prints its canonical form; reparse so it compares with what playbooks write.
                    settings.insert((try? RichRule(parsing: rule).canonical) ?? rule, into: .richRule)
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let words = line[line.index(after: colon)...].split(separator: " ").map(String.init)
            inRichRules = key == "rich rules"
            switch key {
            case "target": settings.target = words.first ?? "default"; sawTarget = true
            case "interfaces": settings[.interface] = words
            case "sources": settings[.source] = words
            case "services": settings[.service] = words
            case "ports": settings[.port] = words
            case "protocols": settings[.protocol] = words
            case "icmp-blocks": settings[.icmpBlock] = words
            case "icmp-block-inversion": settings.icmpBlockInversion = words.first == "yes"
            case "masquerade": settings.masquerade = words.first == "yes"
            default: break
            }
        }
        guard sawTarget else {
            throw KeelError("unexpected output of firewall-cmd --list-all", expected: "a zone listing with a 'target:' line",
                            found: String(text.prefix(300)))
        }
        return settings
    }
}
