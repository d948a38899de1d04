import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `package`: the generic package module (ansible.builtin.package). It runs `apt` or `dnf` with the
/// same name and state, picked by `use`, else `ansible_facts.pkg_mgr`, else by asking the host.
public struct PackageModule: Module {
    public static let name = "package"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Install or remove packages with the host's package manager",
        description: """
            Uses `use`, else `ansible_facts.pkg_mgr` from gathered facts, else one extra round trip asking the host whether \
            apt-get or dnf exists, then behaves exactly like the apt or dnf module with `name` and `state`.
            """,
        examples: "- package: name=[git, rsync] state=present\n- package:\n    name: telnet\n    state: absent",
        deviations: ["Only apt and dnf/yum hosts are supported (no apk, pacman, zypper, pkgng)."])

    public struct Arguments: ModuleArguments {
        @Option("name", .list(.string), required: true, help: "Packages to manage (the names the distribution uses).") var name: [String]
        @Option("state", choices: PackageState.self, required: true, help: "Whether the packages are installed (latest: and upgraded).") var state: PackageState
        @Option("use", .string, default: "auto", help: "`auto`, `apt` or `dnf` (yum is treated as dnf).") var use: String
        // Ansible's package hands every other argument to the backend: roles pass dnf's repository options
        // in tasks meant for RedHat hosts.
        @Option("enablerepo", .list(.string), default: [], help: "dnf/yum only: repositories to enable for this transaction (apt refuses it, as Ansible's apt does).") var enablerepo: [String]
        @Option("disablerepo", .list(.string), default: [], help: "dnf/yum only: repositories to disable for this transaction (apt refuses it).") var disablerepo: [String]

        public init() {}
    }

    /// The states apt and dnf take, in the order keel doc lists them here.
    public enum PackageState: String, OptionChoice { case present, installed, latest, absent, removed }

    public enum State: Equatable, Sendable { case apt(AptModule.State), dnf(DnfModule.State) }
    public enum Step: Sendable, Codable, Equatable { case apt(AptModule.Step), dnf(DnfModule.Step) }

    public init() {}

    /// apt's or dnf's arguments for the same packages, everything else at their defaults.
    func aptArguments(_ a: Arguments) throws -> AptModule.Arguments {
        if !a.enablerepo.isEmpty || !a.disablerepo.isEmpty {
            throw KeelError("package: enablerepo and disablerepo are dnf/yum options; this host uses apt",
                            expected: "no enablerepo/disablerepo on apt hosts (guard the task with a when on ansible_os_family)",
                            found: (a.enablerepo + a.disablerepo).joined(separator: ", "))
        }
        return try AptModule.arguments(["name": .list(a.name.map(Value.string)), "state": .string(a.state.rawValue)])
    }

    func dnfArguments(_ a: Arguments) throws -> DnfModule.Arguments {
        try DnfModule.arguments(["name": .list(a.name.map(Value.string)), "state": .string(a.state.rawValue),
                                 "enablerepo": .list(a.enablerepo.map(Value.string)), "disablerepo": .list(a.disablerepo.map(Value.string))])
    }

    func manager(_ a: Arguments, on host: HostContext) async throws -> String {
        var choice = a.use
        if choice == "auto", case .string(let fact)? = host.facts["pkg_mgr"] { choice = fact }
        if choice == "auto" {
            choice = try await host.run("for m in apt-get dnf yum; do command -v $m >/dev/null 2>&1 && { echo $m; exit 0; }; done; echo none")
                .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        switch choice {
        case "apt", "apt-get": return "apt"
        case "dnf", "yum", "dnf5": return "dnf"
        default:
            throw KeelError("\(host.name): package: no supported package manager", expected: "apt or dnf (use: apt|dnf, or gathered facts)", found: choice)
        }
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        try await manager(a, on: host) == "apt"
            ? .apt(try await AptModule().observe(try aptArguments(a), on: host))
            : .dnf(try await DnfModule().observe(try dnfArguments(a), on: host))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        switch observed {
        case .apt(let state):
            let plan = try AptModule().plan(try aptArguments(a), observed: state, on: host)
            return Plan(steps: plan.steps.map(Step.apt), diffs: plan.diffs, values: plan.values)
        case .dnf(let state):
            let plan = try DnfModule().plan(try dnfArguments(a), observed: state, on: host)
            return Plan(steps: plan.steps.map(Step.dnf), diffs: plan.diffs, values: plan.values)
        }
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let apt = plan.steps.compactMap { if case .apt(let s) = $0 { return s }; return nil }
        if !apt.isEmpty { return try await AptModule().apply(Plan(steps: apt, diffs: plan.diffs, values: plan.values), on: host) }
        let dnf = plan.steps.compactMap { if case .dnf(let s) = $0 { return s }; return nil }
        return try await DnfModule().apply(Plan(steps: dnf, diffs: plan.diffs, values: plan.values), on: host)
    }
}
