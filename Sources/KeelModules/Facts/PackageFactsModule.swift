import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `package_facts`: the installed packages as `ansible_facts.packages` (name -> list of installed
/// versions), read from dpkg/apt or rpm in one round trip, as ansible.builtin.package_facts reports them.
/// It only reads, so it never changes anything.
public struct PackageFactsModule: Module {
    public static let name = "package_facts"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Return the installed packages as facts",
        description: """
            Sets `ansible_facts.packages`: each installed package's name maps to a list of its installed versions. apt \
            entries carry name, version, arch, category (section), origin (the Release origin of the first package \
            file that has the version, empty for local ones) and source `apt`; rpm entries name, version, release, \
            epoch, arch and source `rpm`. With strategy `first` the first manager (in the order asked, `auto` = \
            apt then rpm) that lists packages wins; `all` merges every manager's lists.
            """,
        examples: """
            - package_facts:
            - debug: msg="nginx {{ ansible_facts.packages['nginx'][0].version }}"
              when: "'nginx' in ansible_facts.packages"
            """,
        deviations: ["Only apt (dpkg-query and apt-cache, no python3-apt needed) and rpm (the rpm command, no python rpm bindings) are read; apk, pacman, pkg, pkg_info and portage fail as not supported.",
                     "An rpm package without an epoch has epoch null."])

    public struct Arguments: ModuleArguments {
        @Option("manager", .list(.string), default: ["auto"], help: "Package managers to read, in order: `auto`, `apt`, `rpm` (also named dnf, dnf5, yum, zypper).") var manager: [String]
        @Option("strategy", choices: Strategy.self, default: .first, help: "`first`: the first manager that lists packages; `all`: every manager's packages.") var strategy: Strategy
        public init() {}
    }

    public enum Strategy: String, OptionChoice { case first, all }

    public struct State: Equatable, Sendable {
        var managers: [PackageListing.Manager]
        var found: OrderedDictionary<PackageListing.Manager, OrderedDictionary<String, [Value]>>
    }

    public enum Step: Sendable, Codable, Equatable { case none }

    /// Ansible's manager names (aliases folded), including those Keel cannot read.
    static let ansibleManagers = ["apk", "apt", "pacman", "pkg", "pkg_info", "portage", "rpm"]
    static let aliases: [String: String] = ["dnf": "rpm", "dnf5": "rpm", "yum": "rpm", "zypper": "rpm", "pkg5": "pkg", "pkgng": "pkg", "openbsd_pkg": "pkg_info"]

    public init() {}

    /// The managers to read, in order, deduplicated; fails on names Ansible does not know and on those
    /// Keel does not read.
    static func managers(_ requested: [String]) throws -> [PackageListing.Manager] {
        var names = requested.map { $0.lowercased() }
        if let auto = names.firstIndex(of: "auto") {
            names.remove(at: auto)
            names += ansibleManagers + aliases.keys.sorted()
        }
        let unknown = names.filter { !ansibleManagers.contains($0) && aliases[$0] == nil }
        guard unknown.isEmpty else {
            throw KeelError("package_facts: Unsupported package managers requested: \(unknown.joined(separator: ", "))",
                            expected: "auto, apt or rpm (dnf, yum, zypper)", found: unknown.joined(separator: ", "))
        }
        var managers: [PackageListing.Manager] = []
        for name in names {
            let canonical = aliases[name] ?? name
            guard let manager = PackageListing.Manager(rawValue: canonical) else {
                if requested.contains("auto") { continue }
                throw KeelError("package_facts: the \(canonical) package manager is not supported by Keel", expected: "apt or rpm", found: canonical)
            }
            if !managers.contains(manager) { managers.append(manager) }
        }
        return managers
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let managers = try Self.managers(a.manager)
        let result = try await host.run(PackageListing.observationScript(managers))
        return State(managers: managers, found: PackageListing.parse(result.stdoutText))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var packages: OrderedDictionary<String, [Value]> = [:]
        var found = 0
        for manager in observed.managers {
            if a.strategy == .first && found > 0 { break }
            guard let listed = observed.found[manager], !listed.isEmpty else { continue }
            found += 1
            for (name, versions) in listed { packages[name, default: []] += versions }
        }
        guard found > 0 else {
            throw KeelError("\(host.name): package_facts: Could not detect a supported package manager from the following list: \(observed.managers.map(\.rawValue))",
                            expected: "dpkg-query with apt, or rpm, listing packages", found: "no packages")
        }
        return .unchanged(values: ["ansible_facts": ["packages": .dict(packages.mapValues { .list($0) })]])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .unchanged() }
}
