import KeelBase
import OrderedCollections

/// `group_by`: the current host joins a group named from its variables, for the plays that follow. Runs
/// per host (unlike add_host), in check mode too; `changed` only when the inventory changed.
public struct GroupByAction: ControlAction {
    public static let name = "group_by"
    public static let spec = ArgumentSpec([
        OptionSpec("key", .string, help: "The group's name (spaces become '-', as in ansible-core). Required."),
        OptionSpec("parents", .raw, help: "Parent group(s) of the group, created when new (default: all)."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Put the host in a group made from its variables",
        examples: """
            - group_by:
                key: os_{{ ansible_facts.distribution | lower }}
                parents: linux
            """)

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        guard let key = a["key"] else { return ControlOutcome(failed: true, message: "the 'key' param is required when using group_by") }
        let parents: [String]
        switch a["parents"] ?? ["all"] {
        case .list(let list): parents = list.map { $0.stringValue ?? $0.jsonString() }
        case let other: parents = [other.stringValue ?? other.jsonString()]
        }
        let group = (key.stringValue ?? key.jsonString()).replacingOccurrences(of: " ", with: "-")
        let parentGroups = parents.map { $0.replacingOccurrences(of: " ", with: "-") }
        return ControlOutcome(values: ["add_group": .string(group), "parent_groups": .list(parentGroups.map(Value.string))],
                              effects: [.addGroup(name: group, parents: parentGroups)])
    }
}
