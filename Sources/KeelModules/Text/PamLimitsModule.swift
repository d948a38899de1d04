import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `pam_limits` (community.general.pam_limits): one limit of /etc/security/limits.conf (or a file in
/// limits.d) has the given value. The edit is the module's (PamLimitsEdit); the file is read with its
/// attributes in one round trip and written atomically, only when a line changes.
public struct PamLimitsModule: Module {
    public static let name = "pam_limits"
    public static let aliases = ["community.general.pam_limits"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["use_max", "use_min"]])
    public static let documentation = ModuleDocumentation(
        summary: "Set a PAM limit (ulimit) for a user, group or everyone",
        description: """
            The line of `dest` with the same domain, limit_type and limit_item gets `value` (with use_max or use_min: the \
            larger or smaller of the two, unlimited winning as in the module); without one, \
            `domain<TAB>limit_type<TAB>limit_item<TAB>value` (and `<TAB>#comment`) is appended. Other lines are kept as \
            they are, and the module's quirks are kept (no comment given: the first commented limit line's comment is \
            reused, newline included). A missing dest is created when its directory exists.
            """,
        examples: """
            - community.general.pam_limits:
                dest: /etc/security/limits.d/10.hardcore.conf
                domain: "*"
                limit_type: hard
                limit_item: core
                value: "0"
                comment: no core dumps
            - pam_limits: domain=app limit_type=- limit_item=nofile value=65536 use_max=true
            """,
        deviations: ["No `attributes`, `unsafe_writes` or SELinux options."])

    public struct Arguments: ModuleArguments {
        @Option("domain", .string, required: true, help: "A user name, @group, `*` or a uid/gid range.") var domain: String
        @Option("limit_type", choices: LimitType.self, required: true, help: "hard, soft, or - (both).") var limit_type: LimitType
        @Option("limit_item", choices: LimitItem.self, required: true, help: "The resource limited (core, nofile, nproc, ...).") var limit_item: LimitItem
        @Option("value", .string, required: true, help: "A number, or unlimited / infinity / -1 (nice and priority: -20 to 19).") var value: String
        @Option("use_max", .bool, default: false, help: "Keep the larger of the current and the given value.") var use_max: Bool
        @Option("use_min", .bool, default: false, help: "Keep the smaller of the current and the given value.") var use_min: Bool
        @Option("dest", .path, default: "/etc/security/limits.conf", help: "The limits file.") var dest: String
        @Option("comment", .string, default: "", help: "A comment written after the limit.") var comment: String
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file before changing it.") var backup: Bool

        public init() {}
    }

    public enum LimitType: String, OptionChoice { case hard, soft, both = "-" }
    public enum LimitItem: String, OptionChoice {
        case core, data, fsize, memlock, nofile, rss, stack, cpu, nproc, `as`, maxlogins, maxsyslogins, priority, locks,
             sigpending, msgqueue, nice, rtprio, chroot
    }

    public struct State: Equatable, Sendable {
        var file: RemotePath
        var directoryExists: Bool
    }

    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let directory = (a.dest as NSString).deletingLastPathComponent
        let file = try await TextFile.observe(a.dest, on: host)
        let exists = file.kind != .absent
            ? true
            : try await host.run("[ -d \(ShellQuote.quote(directory.isEmpty ? "." : directory)) ]").status == 0
        return State(file: file, directoryExists: exists)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        try PamLimitsEdit.check(item: a.limit_item.rawValue, value: a.value)
        let exists = observed.file.kind != .absent
        if !exists && !observed.directoryExists {
            throw KeelError("directory \((a.dest as NSString).deletingLastPathComponent) is not writable (check presence, access rights, use sudo)")
        }
        let original = exists ? TextFile.splitLines(try TextFile.text(of: observed.file, path: a.dest)) : []
        let edit = PamLimitsEdit(domain: a.domain, type: a.limit_type.rawValue, item: a.limit_item.rawValue, value: a.value,
                                 useMax: a.use_max, useMin: a.use_min, comment: a.comment)
        let outcome = try edit.apply(to: original, path: a.dest)
        let values: OrderedDictionary<String, Value> = ["msg": .string(outcome.message)]
        let desired = outcome.changed ? Data(outcome.lines.joined().utf8) : (observed.file.content ?? Data())
        let convergence = ContentConvergence(path: a.dest, current: observed.file, desired: desired,
                                             attributes: FileAttributes(mode: nil, owner: nil, group: nil), validate: nil, backup: a.backup)
        return try convergence.plan(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await ContentConvergence.apply(plan, on: host)
    }
}
