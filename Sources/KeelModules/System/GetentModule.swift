import KeelBase
import KeelTransport
import OrderedCollections

/// `getent`: reads a name service database (passwd, group, hosts, services, ...) with getent(1) on the
/// host and returns it as the fact `getent_<database>` (ansible.builtin.getent): each record's first
/// field is the key of a list of the remaining fields; a key seen twice gets a list of those lists.
public struct GetentModule: Module {
    public static let name = "getent"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Read a name service database (getent) into the fact getent_<database>",
        description: """
            Runs `getent DATABASE [KEY]` on the host. passwd, shadow, group and gshadow split on ':', others on \
            whitespace unless split says otherwise. The result is `ansible_facts.getent_DATABASE`: {first field: \
            [other fields]}. A missing key fails unless fail_key is false (the key then maps to null).
            """,
        examples: """
            - getent:
                database: passwd
                key: www-data
            - debug:
                msg: "home is {{ getent_passwd['www-data'][4] }}"
            """)

    public struct Arguments: ModuleArguments {
        @Option("database", .string, required: true, format: .word, help: "The database: passwd, group, shadow, hosts, services, ...") var database: String
        @Option("key", .string, help: "One key to look up (a name or an id); the whole database when omitted.") var key: String?
        @Option("service", .string, format: .word, help: "The NSS service to ask (getent -s).") var service: String?
        @Option("split", .string, help: "Field separator (default ':' for passwd, shadow, group, gshadow; whitespace otherwise).") var split: String?
        @Option("fail_key", .bool, default: true, help: "Fail when the key is not found.") var fail_key: Bool
        public init() {}
    }

    public typealias State = OrderedDictionary<String, Value>
    public typealias Step = Never

    public init() {}

    static let colonDatabases: Set<String> = ["passwd", "shadow", "group", "gshadow"]

    public func observe(_ a: Arguments, on host: HostContext) async throws -> OrderedDictionary<String, Value> {
        var command = "getent"
        if let service = a.service { command += " -s \(ShellQuote.quote(service))" }
        command += " -- \(ShellQuote.quote(a.database))"
        if let key = a.key { command += " \(ShellQuote.quote(key))" }
        let result = try await host.run("command -v getent >/dev/null 2>&1 || exit 127\n" + command)
        let tree = "getent_\(a.database)"
        switch result.status {
        case 0:
            let split = a.split ?? (Self.colonDatabases.contains(a.database) ? ":" : nil)
            return ["ansible_facts": .dict([tree: .dict(Self.parse(result.stdoutText, split: split))])]
        case 2 where !a.fail_key:
            let key = a.key ?? ""
            return ["ansible_facts": .dict([tree: .dict([key: .null])]), "msg": "One or more supplied key could not be found in the database."]
        case 1: throw ModuleFailure(message: "Missing arguments, or database unknown.", changed: false)
        case 2: throw ModuleFailure(message: "One or more supplied key could not be found in the database.", changed: false)
        case 3: throw ModuleFailure(message: "Enumeration not supported on this database.", changed: false)
        case 127: throw KeelError("\(host.name): getent is not installed", expected: "getent (libc-bin) on the host")
        default: throw ModuleFailure(message: "Unexpected failure!", changed: false)
        }
    }

    public func plan(_ a: Arguments, observed: OrderedDictionary<String, Value>, on host: HostContext) throws -> Plan<Never> {
        .unchanged(values: observed)
    }

    public func apply(_ plan: Plan<Never>, on host: HostContext) async throws -> Applied { .unchanged() }

    /// Python's `line.split(split)` per line (whitespace runs when split is nil), keyed by the first field.
    static func parse(_ output: String, split: String?) -> OrderedDictionary<String, Value> {
        var tree: OrderedDictionary<String, Value> = [:]
        var seen: [String: Int] = [:]
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).dropLast(output.hasSuffix("\n") ? 1 : 0) {
            let record: [String] = if let split, !split.isEmpty {
                line.components(separatedBy: split)
            } else {
                line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }).map(String.init)
            }
            guard let key = record.first else { continue }
            let rest = Value.list(record.dropFirst().map(Value.string))
            if let count = seen[key] {
                if count == 1, let first = tree[key] { tree[key] = .list([first]) }
                if case .list(var all)? = tree[key] { all.append(rest); tree[key] = .list(all) }
                seen[key] = count + 1
            } else {
                tree[key] = rest
                seen[key] = 1
            }
        }
        return tree
    }
}
