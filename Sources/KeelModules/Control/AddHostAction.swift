import KeelBase
import OrderedCollections

/// `add_host`: a host (and groups) in the run's inventory, for the plays that follow. As in ansible-core it
/// runs once for all the hosts at the task (a loop adds one host per item), in check mode too, and reports
/// `changed` only when the inventory changed.
public struct AddHostAction: ControlAction {
    public static let name = "add_host"
    public static let spec = ArgumentSpec([
        OptionSpec("name", .string, required: true, aliases: ["host", "hostname"],
                   help: "The host's name, optionally with a port (`web9:2222`, `[2001:db8::1]:2222` sets ansible_ssh_port)."),
        OptionSpec("groups", .list(.string), aliases: ["group", "groupname"],
                   help: "Groups to add the host to (a list or a comma-separated string), created when new."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Add a host (and groups) to the inventory for later plays",
        examples: """
            - add_host:
                name: "{{ new_ip }}"
                groups: [just_created]
                ansible_user: admin
                app_role: worker
            """,
        deviations: ["As in ansible-core, every other argument becomes a host variable, `host` and `group` included (ansible-core "
                     + "reads them as aliases and keeps them as variables too)."])
    public static let acceptsAnyArguments = true
    public static let bypassesHostLoop = true

    /// Ansible's own arguments: every other key becomes a host variable.
    static let reserved: Set<String> = ["name", "hostname", "groupname", "groups"]

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        var arguments = OrderedDictionary<String, Value>()
        if let raw = a["_raw_params"] {
            guard let mapping = raw.dictValue else {
                return ControlOutcome(failed: true, message: "Invalid raw parameters passed, requires a dictionary/mapping got a  \(raw.typeName)")
            }
            arguments = mapping
        }
        for (key, value) in a where key != "_raw_params" { arguments[key] = value }
        guard let written = arguments["name"] ?? arguments["hostname"] ?? arguments["host"] else {
            return ControlOutcome(failed: true, message: "name, host or hostname needs to be provided")
        }
        let (name, port) = Self.hostAndPort(written.stringValue ?? written.jsonString())
        if let port { arguments["ansible_ssh_port"] = .int(port) }
        var groups: [String] = []
        switch arguments["groupname"] ?? arguments["groups"] ?? arguments["group"] ?? "" {
        case .list(let list):
            for group in list.map({ $0.stringValue ?? $0.jsonString() }) where !groups.contains(group) { groups.append(group) }
        case .string(let text) where !text.isEmpty:
            for group in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) })
                where !groups.contains(group) { groups.append(group) }
        case .string, .null:
            break
        default:
            return ControlOutcome(failed: true, message: "Groups must be specified as a list.")
        }
        let variables = arguments.filter { !Self.reserved.contains($0.key) }
        return ControlOutcome(values: ["add_host": ["host_name": .string(name), "groups": .list(groups.map(Value.string)),
                                                    "host_vars": .dict(variables)]],
                              effects: [.addHost(name: name, groups: groups, variables: variables)])
    }

    /// Ansible's parse_address without ranges: `[v6]:port`, `name:port` and `v4:port` give a port; a bare
    /// IPv6 address or anything else is the whole name.
    static func hostAndPort(_ written: String) -> (String, Int?) {
        if written.hasPrefix("["), let close = written.lastIndex(of: "]") {
            let inner = String(written[written.index(after: written.startIndex)..<close])
            let rest = written[written.index(after: close)...]
            if rest.isEmpty { return (inner, nil) }
            if rest.hasPrefix(":"), let port = Int(rest.dropFirst()), rest.dropFirst().allSatisfy { $0.isASCII && $0.isNumber } { return (inner, port) }
            return (written, nil)
        }
        let parts = written.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[1].allSatisfy { $0.isASCII && $0.isNumber }, let port = Int(parts[1]) {
            return (String(parts[0]), port)
        }
        return (written, nil)
    }
}
