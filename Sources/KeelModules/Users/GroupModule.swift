import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `group`: a local group exists with this gid, or does not (ansible.builtin.group), via
/// groupadd/groupmod/groupdel; one `getent group` round trip to observe.
public struct GroupModule: Module {
    public static let name = "group"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Manage local groups",
        description: "Reads the group with `getent group` and runs groupadd, groupmod -g or groupdel only when something differs.",
        examples: """
            - group: name=deploy gid=1500
            - group:
                name: prometheus
                system: true
            - group: name=old state=absent
            """,
        deviations: ["local (lgroupadd) and gid_min/gid_max are not supported; `local` is accepted and ignored."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, help: "The group's name.") var name: String
        @Option("gid", .int, help: "The group id.") var gid: Int?
        @Option("state", choices: GroupState.self, default: .present, help: "Whether the group exists.") var state: GroupState
        @Option("system", .bool, default: false, help: "Create a system group (gid below GID_MIN). Only used on creation.") var system: Bool
        @Option("non_unique", .bool, default: false, help: "Allow a gid that another group already has (-o); needs gid.") var non_unique: Bool
        @Option("force", .bool, default: false, help: "With state=absent, delete the group even when it is a user's primary group (groupdel -f).") var force: Bool
        @Option("local", .bool, default: false, help: "Accepted for compatibility; Keel always uses groupadd/groupmod/groupdel.") var local: Bool

        public init() {}
    }

    public enum GroupState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable { var group: AccountDatabase.Group? }

    public enum Action: Sendable, Equatable, Codable {
        case add([String]), modify([String]), delete([String])
    }

    /// groupadd, groupmod or groupdel with its flags, on the named group.
    public struct Step: Sendable, Equatable, Codable, CustomStringConvertible {
        var group: String
        var action: Action

        public var description: String {
            switch action {
            case .add(let flags): return (["groupadd"] + flags + [group]).joined(separator: " ")
            case .modify(let flags): return (["groupmod"] + flags + [group]).joined(separator: " ")
            case .delete(let flags): return (["groupdel"] + flags + [group]).joined(separator: " ")
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let result = try await host.runChecked(AccountDatabase.groupLookup(a.name, key: "group"), failure: "cannot read group \(a.name)")
        // getent also answers a numeric name with the group of that gid: only an entry of this name counts.
        return State(group: AccountDatabase.fields(result.stdoutText)["group"]?.first.flatMap(AccountDatabase.Group.init).flatMap { $0.name == a.name ? $0 : nil })
    }

    public func plan(_ a: Arguments, observed state: State, on host: HostContext) throws -> Plan<Step> {
        let observed = state.group
        var values: OrderedDictionary<String, Value> = ["name": .string(a.name), "state": .string(a.state.rawValue), "system": .bool(a.system)]
        if let gid = observed?.gid ?? a.gid { values["gid"] = .int(gid) }
        func text(_ gid: String?) -> String { gid.map { "group: \(a.name)\nstate: present\ngid: \($0)\n" } ?? "group: \(a.name)\nstate: absent\n" }
        let before = text(observed.map { String($0.gid) })
        var step: Action?
        var after = before
        switch (a.state, observed) {
        case (.absent, .some):
            step = .delete(a.force ? ["-f"] : [])
            after = text(nil)
        case (.present, .none):
            var flags: [String] = []
            if let gid = a.gid { flags += ["-g", String(gid)] + (a.non_unique ? ["-o"] : []) }
            if a.system { flags.append("-r") }
            step = .add(flags)
            after = text(a.gid.map(String.init) ?? "(next free)")
        case (.present, .some(let group)):
            if let gid = a.gid, gid != group.gid {
                step = .modify(["-g", String(gid)] + (a.non_unique ? ["-o"] : []))
                after = text(String(gid))
            }
        default: break
        }
        guard let step else { return .unchanged(values: values) }
        return Plan(steps: [Step(group: a.name, action: step)], diffs: [Diff(label: "group \(a.name)", before: before, after: after)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var command: [String] = []
        let name = plan.steps[0].group
        switch plan.steps[0].action {
        case .add(let flags): command = ["groupadd"] + flags
        case .modify(let flags): command = ["groupmod"] + flags
        case .delete(let flags): command = ["groupdel"] + flags
        }
        let script = (command.map(ShellQuote.quote) + ["--", ShellQuote.quote(name)]).joined(separator: " ")
            + "\necho \"group=$(getent group \(ShellQuote.quote(name)) | head -n 1)\""
        let result = try await host.runChecked(script, failure: "\(command[0]) \(name) failed")
        guard let group = AccountDatabase.fields(result.stdoutText)["group"]?.first.flatMap(AccountDatabase.Group.init) else { return .changed() }
        return .changed(["gid": .int(group.gid)])
    }
}
