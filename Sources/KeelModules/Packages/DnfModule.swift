import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `dnf`: RPM packages are installed, at their newest version, or removed (ansible.builtin.dnf), with
/// the same shape as `apt`: one round trip reads every package's rpm state and the available
/// upgrades, one dnf transaction installs (or removes) them all.
public struct DnfModule: Module {
    public static let name = "dnf"
    public static let aliases = ["yum", "dnf5", "ansible.builtin.dnf5"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Manage RPM packages with dnf",
        description: """
            Reads `rpm -q` for every named package and `dnf check-update` for upgrades (state=latest) in one round trip, \
            then runs one `dnf install`, `dnf upgrade` or `dnf remove` transaction with everything that differs. \
            Tested with Debian's dnf, rpm and createrepo_c against a local repository on a lab host (no Fedora/RHEL host \
            is available here).
            """,
        examples: """
            - dnf:
                name: [nginx, certbot]
                state: present
            - dnf: name=telnet state=absent autoremove=yes
            """,
        deviations: [
            "Tested only with Debian's dnf 4.14 against a local file:// repository, not on Fedora/RHEL.",
            "With state=latest and update_cache, the metadata refresh happens while observing (also in check mode).",
            "Package groups (@group), modules, local .rpm paths and URLs, download_only, security/bugfix filters, releasever and installroot are not supported.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .list(.string), aliases: ["pkg"], help: "Packages (`nginx`, `nginx-1.24.0`, `@group` is not supported).") var name: [String]?
        @Option("state", choices: PackageState.self, default: .present, help: "`present` installs missing packages, `latest` also upgrades installed ones, `absent` removes.") var state: PackageState
        @Option("update_cache", .bool, default: false, aliases: ["expire-cache"], help: "Refresh the metadata (dnf makecache --refresh) before installing or upgrading.") var update_cache: Bool
        @Option("disable_gpg_check", .bool, default: false, help: "Install unsigned packages (--nogpgcheck).") var disable_gpg_check: Bool
        @Option("enablerepo", .list(.string), default: [], help: "Repositories to enable for this transaction.") var enablerepo: [String]
        @Option("disablerepo", .list(.string), default: [], help: "Repositories to disable for this transaction.") var disablerepo: [String]
        @Option("autoremove", .bool, default: false, help: "With state=absent, also remove dependencies nobody needs (dnf autoremove).") var autoremove: Bool
        @Option("allow_downgrade", .bool, default: false, help: "Allow installing an older version than the installed one.") var allow_downgrade: Bool
        @Option("install_weak_deps", .bool, default: true, help: "Install weak dependencies (Recommends).") var install_weak_deps: Bool
        var wantedState: PackageGoal {
            switch state {
            case .present, .installed: return .present
            case .latest: return .latest
            case .absent, .removed: return .absent
            }
        }

        public init() {}
    }

    /// Dnf's states, in the order keel doc lists them (apt's and package's differ), with Ansible's synonyms.
    public enum PackageState: String, OptionChoice { case absent, installed, latest, present, removed }

    public struct State: Equatable, Sendable {
        /// Installed packages by the name asked for: version-release.arch.
        var installed: [String: String]
        /// Packages with an upgrade available: name -> new version.
        var upgrades: [String: String]
    }

    public enum Action: Sendable, Equatable, Codable { case install([String]), upgrade([String]), remove([String]) }

    /// One dnf transaction, with the options the task gives every call.
    public struct Step: Sendable, Equatable, Codable, CustomStringConvertible {
        var action: Action
        /// dnf's options (-y, -q, repositories, gpg check, weak deps, --allowerasing).
        var options: [String]
        /// Refresh the metadata first (update_cache, for installs and upgrades).
        var refreshCache: Bool
        /// After a removal, remove what nothing needs any more.
        var autoremove: Bool

        public var description: String {
            switch action {
            case .install(let names): return "dnf install " + names.joined(separator: " ")
            case .upgrade(let names): return "dnf upgrade " + names.joined(separator: " ")
            case .remove(let names): return "dnf remove " + names.joined(separator: " ") + (autoremove ? " (then autoremove)" : "")
            }
        }
    }

    public init() {}

    func repoOptions(_ a: Arguments) -> [String] {
        var options: [String] = []
        if !a.enablerepo.isEmpty { options.append("--enablerepo=" + a.enablerepo.joined(separator: ",")) }
        if !a.disablerepo.isEmpty { options.append("--disablerepo=" + a.disablerepo.joined(separator: ",")) }
        return options
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let names = (a.name ?? []).map(ShellQuote.quote).joined(separator: " ")
        var script = """
            command -v rpm >/dev/null 2>&1 || { echo KEEL_NO_RPM; exit 0; }
            for p in \(names); do
              if rpm -q --quiet "$p" 2>/dev/null; then echo "installed=$p|$(rpm -q --qf '%{VERSION}-%{RELEASE}.%{ARCH}\\n' "$p" | head -n 1)"; fi
            done

            """
        if a.wantedState == .latest && !names.isEmpty {
            let options = repoOptions(a).map(ShellQuote.quote).joined(separator: " ")
            script += "dnf -q \(options) check-update \(a.update_cache ? "--refresh " : "")-- \(names) 2>/dev/null | awk 'NF == 3 && $1 !~ /^(Obsoleting|Security)/ { print \"upgrade=\" $1 \"|\" $2 }'\ntrue\n"
        }
        let result = try await host.run(script)
        if result.stdoutText.hasPrefix("KEEL_NO_RPM") {
            throw KeelError("\(host.name): rpm/dnf is not available on this host", expected: "a Fedora, RHEL or compatible host", found: "no rpm")
        }
        let f = AccountDatabase.fields(result.stdoutText)
        var installed: [String: String] = [:], upgrades: [String: String] = [:]
        for line in f["installed"] ?? [] {
            let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
            if parts.count == 2 { installed[parts[0]] = parts[1] }
        }
        for line in f["upgrade"] ?? [] {
            // check-update prints name.arch: match it back to the names asked for.
            let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let nameArch = parts[0]
            let name = nameArch.contains(".") ? String(nameArch[..<nameArch.lastIndex(of: ".")!]) : nameArch
            upgrades[name] = parts[1]
        }
        return State(installed: installed, upgrades: upgrades)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let names = a.name ?? []
        var steps: [Action] = []
        var before: [String] = [], after: [String] = []
        switch a.wantedState {
        case .absent:
            let remove = names.filter { observed.installed[$0] != nil }
            if !remove.isEmpty {
                steps.append(.remove(remove))
                for n in remove { before.append("\(n): \(observed.installed[n]!)"); after.append("\(n): (not installed)") }
            }
        case .present, .latest:
            let install = names.filter { observed.installed[$0] == nil }
            if !install.isEmpty {
                steps.append(.install(install))
                for n in install { before.append("\(n): (not installed)"); after.append("\(n): (candidate)") }
            }
            if a.wantedState == .latest {
                let upgrade = names.filter { observed.installed[$0] != nil && observed.upgrades[$0] != nil }
                if !upgrade.isEmpty {
                    steps.append(.upgrade(upgrade))
                    for n in upgrade { before.append("\(n): \(observed.installed[n]!)"); after.append("\(n): \(observed.upgrades[n]!)") }
                }
            }
        }
        let values: OrderedDictionary<String, Value> = ["packages": .list(names.map(Value.string)), "state": .string(a.state.rawValue)]
        if steps.isEmpty { return .unchanged(values: values) }
        var options = ["-y", "-q"] + repoOptions(a)
        if a.disable_gpg_check { options.append("--nogpgcheck") }
        if !a.install_weak_deps { options.append("--setopt=install_weak_deps=False") }
        if a.allow_downgrade { options.append("--allowerasing") }
        let planned = steps.map { action -> Step in
            let removes = { if case .remove = action { return true }; return false }()
            return Step(action: action, options: options, refreshCache: a.update_cache && !removes, autoremove: a.autoremove)
        }
        return Plan(steps: planned, diffs: [Diff(label: "dnf packages", before: before.joined(separator: "\n") + "\n", after: after.joined(separator: "\n") + "\n")], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var lines: [String] = ["set -e"]
        if plan.steps.contains(where: \.refreshCache) { lines.append("dnf -q makecache --refresh") }
        for step in plan.steps {
            let dnf = "dnf " + step.options.map(ShellQuote.quote).joined(separator: " ")
            switch step.action {
            case .install(let names): lines.append("\(dnf) install -- " + names.map(ShellQuote.quote).joined(separator: " "))
            case .upgrade(let names): lines.append("\(dnf) upgrade -- " + names.map(ShellQuote.quote).joined(separator: " "))
            case .remove(let names):
                lines.append("\(dnf) remove -- " + names.map(ShellQuote.quote).joined(separator: " "))
                if step.autoremove { lines.append("\(dnf) autoremove") }
            }
        }
        let result = try await host.runChecked(lines.joined(separator: "\n"), failure: "dnf failed", detail: .tail(lines: 15))
        return .changed(["stdout": .string(result.stdoutText), "stderr": .string(result.stderrText)])
    }
}
