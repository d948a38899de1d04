import KeelBase

/// A firewalld rich rule, parsed so that two spellings of the same rule compare equal: firewalld lists
/// rules in its own canonical form (`rule family="ipv4" source address="10.0.0.0/8" service name="ssh" accept`),
/// while playbooks write them as they like (other attribute order, unquoted values, `not`, `1/minute`).
/// The parts keep firewalld's order (priority, family, source, destination, element, log, audit, action),
/// which is also the order of the zone XML's `<rule>` children.
public struct RichRule: Sendable, Equatable, Hashable {
    /// One element of a rule (`source`, `port`, `log`, `accept`, ...) with its attributes in canonical order.
    public struct Part: Sendable, Equatable, Hashable {
        public var name: String
        public var attributes: [(String, String)]
        public var inverted = false
        /// `limit value="1/m" [burst=N]` attached to log, audit and actions.
        public var limit: [(String, String)]?

        public func value(_ key: String) -> String? { attributes.first { $0.0 == key }?.1 }

        public static func == (a: Part, b: Part) -> Bool {
            a.name == b.name && a.inverted == b.inverted && a.attributes.elementsEqual(b.attributes, by: ==)
                && (a.limit ?? []).elementsEqual(b.limit ?? [], by: ==) && (a.limit == nil) == (b.limit == nil)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            for (k, v) in attributes { hasher.combine(k); hasher.combine(v) }
        }
    }

    public var family: String?
    public var priority: Int = 0
    public var source: Part?
    public var destination: Part?
    public var element: Part?
    public var log: Part?
    public var audit: Part?
    public var action: Part?

    static let elementNames: Set<String> = ["service", "port", "protocol", "icmp-block", "icmp-type", "masquerade",
                                            "forward-port", "source-port", "tcp-mss-clamp"]
    static let logNames: Set<String> = ["log", "nflog"]
    static let actionNames: Set<String> = ["accept", "reject", "drop", "mark"]
    /// The attributes each part may carry, in the order firewalld prints them.
    static let attributeOrder: [String: [String]] = [
        "source": ["address", "mac", "ipset"], "destination": ["address", "ipset"],
        "service": ["name"], "port": ["port", "protocol"], "source-port": ["port", "protocol"],
        "protocol": ["value"], "icmp-block": ["name"], "icmp-type": ["name"], "masquerade": [],
        "forward-port": ["port", "protocol", "to-port", "to-addr"], "tcp-mss-clamp": ["value"],
        "log": ["prefix", "level"], "nflog": ["group", "prefix", "queue-size"], "audit": [],
        "accept": [], "drop": [], "reject": ["type"], "mark": ["set"],
    ]

    /// Parses a rule as firewall-cmd accepts it; the error names the rule and what was wrong.
    public init(parsing text: String) throws {
        let tokens = try Self.tokens(text)
        guard tokens.first?.key == "rule", tokens.first?.value == nil else {
            throw Self.error(text, "a rich rule starts with 'rule'")
        }
        var index = 1
        // Attributes of `rule` itself.
        while index < tokens.count, let value = tokens[index].value {
            switch tokens[index].key {
            case "family":
                guard value == "ipv4" || value == "ipv6" else { throw Self.error(text, "family is ipv4 or ipv6, not '\(value)'") }
                family = value
            case "priority":
                guard let number = Int(value) else { throw Self.error(text, "priority is a number, not '\(value)'") }
                priority = number
            default:
                throw Self.error(text, "'\(tokens[index].key)=' belongs to an element, not to 'rule'")
            }
            index += 1
        }
        while index < tokens.count {
            let name = tokens[index].key
            guard tokens[index].value == nil, let allowed = Self.attributeOrder[name] else {
                throw Self.error(text, "unknown element '\(tokens[index].raw)'")
            }
            index += 1
            var part = Part(name: name, attributes: [])
            var given: [String: String] = [:]
            while index < tokens.count {
                let token = tokens[index]
                if token.value == nil, token.key == "not" || token.key == "NOT", name == "source" || name == "destination" {
                    part.inverted = true
                } else if let value = token.value, token.key == "invert", name == "source" || name == "destination" {
                    part.inverted = ["true", "yes", "1"].contains(value.lowercased())
                } else if let value = token.value, allowed.contains(token.key) {
                    given[token.key] = value
                } else if token.value == nil, token.key == "limit" {
                    index += 1
                    var limit: [(String, String)] = []
                    while index < tokens.count, let value = tokens[index].value, ["value", "burst"].contains(tokens[index].key) {
                        limit.append((tokens[index].key, tokens[index].key == "value" ? Self.normalizedRate(value) : value))
                        index += 1
                    }
                    part.limit = limit.sorted { $0.0 == "value" && $1.0 != "value" }
                    continue
                } else {
                    break
                }
                index += 1
            }
            part.attributes = allowed.compactMap { key in given[key].map { (key, $0) } }
            try place(part, in: text)
        }
        if family == nil, source?.value("address") != nil || destination?.value("address") != nil {
            throw Self.error(text, "a rule with a source or destination address needs family=ipv4 or family=ipv6")
        }
    }

    private mutating func place(_ part: Part, in text: String) throws {
        func set(_ slot: inout Part?, _ what: String) throws {
            if let existing = slot { throw Self.error(text, "more than one \(what) ('\(existing.name)' and '\(part.name)')") }
            slot = part
        }
        switch part.name {
        case "source": try set(&source, "source")
        case "destination": try set(&destination, "destination")
        case _ where Self.elementNames.contains(part.name): try set(&element, "element")
        case _ where Self.logNames.contains(part.name): try set(&log, "log element")
        case "audit": try set(&audit, "audit")
        default: try set(&action, "action")
        }
    }

    /// `1/minute` and `1/m` are the same limit; firewalld prints the one-letter unit.
    static func normalizedRate(_ value: String) -> String {
        let pieces = value.split(separator: "/", maxSplits: 1).map(String.init)
        guard pieces.count == 2 else { return value }
        let unit = pieces[1].trimmingCharacters(in: .whitespaces)
        let short = ["second": "s", "minute": "m", "hour": "h", "day": "d"][unit] ?? unit
        return "\(pieces[0])/\(short)"
    }

    public var parts: [Part] { [source, destination, element, log, audit, action].compactMap { $0 } }

    /// The rule as firewalld prints it (`firewall-cmd --list-rich-rules`).
    public var canonical: String {
        var words = ["rule"]
        if priority != 0 { words.append("priority=\"\(priority)\"") }
        if let family { words.append("family=\"\(family)\"") }
        for part in parts {
            var text = part.name + (part.inverted ? " NOT" : "")
            for (key, value) in part.attributes {
                // firewalld prints mark's set unquoted and every other attribute quoted.
                text += part.name == "mark" ? " \(key)=\(value)" : " \(key)=\"\(value)\""
            }
            if let limit = part.limit {
                text += " limit" + limit.map { $0.0 == "value" ? " value=\"\($0.1)\"" : " \($0.0)=\($0.1)" }.joined()
            }
            words.append(text)
        }
        return words.joined(separator: " ")
    }

    static func error(_ rule: String, _ problem: String) -> KeelError {
        KeelError("invalid rich rule: \(problem)", expected: "rule [family=ipv4|ipv6] [source ...] [service|port|... ] [log ...] accept|reject|drop",
                  found: rule)
    }

    struct Token { var key: String; var value: String?; var raw: String }

    /// Words split on blanks, with `key="quoted value"` kept whole (firewalld's lexer rules).
    static func tokens(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var quote: Character?
        var sawQuote = false
        func flush() throws {
            defer { current = ""; sawQuote = false }
            guard !current.isEmpty || sawQuote else { return }
            if let equals = current.firstIndex(of: "=") {
                let key = String(current[..<equals])
                let value = String(current[current.index(after: equals)...])
                guard !key.isEmpty, !value.isEmpty else { throw error(text, "'\(current)' needs a name and a value") }
                tokens.append(Token(key: key, value: value, raw: current))
            } else {
                tokens.append(Token(key: current, value: nil, raw: current))
            }
        }
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                sawQuote = true
            } else if character.isWhitespace {
                try flush()
            } else {
                current.append(character)
            }
        }
        if quote != nil { throw error(text, "a quote is not closed") }
        try flush()
        return tokens
    }
}
