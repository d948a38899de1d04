import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `apt`: Debian packages are installed, at their newest version, or removed (ansible.builtin.apt).
/// Every named package's dpkg status, its candidate version and the cache's age are read in one round
/// trip; all installs (or all removals) run as ONE apt-get transaction.
public struct AptModule: Module {
    public static let name = "apt"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["deb", "name"]])
    public static let documentation = ModuleDocumentation(
        summary: "Manage Debian packages with apt",
        description: """
            Reads every named package's dpkg status and apt candidate plus the age of the package lists in one round trip. \
            All missing packages are installed in one `apt-get install` transaction (all removals in one `apt-get remove`), \
            non-interactively, keeping changed configuration files (dpkg_options). `latest` upgrades a package when \
            apt's candidate is newer than the installed version. A name apt does not know fails before anything runs, with \
            the name, unless the cache is about to be updated.
            """,
        examples: """
            - name: Web stack in one transaction
              apt:
                name: [nginx, certbot, python3-certbot-nginx]
                state: present
                update_cache: true
                cache_valid_time: 3600
            - apt: name=telnet state=absent purge=yes
            - apt: deb=/tmp/myapp_1.2_amd64.deb
            - apt: update_cache=yes cache_valid_time=86400
            """,
        deviations: [
            "With names, update_cache updates only when the lists are older than cache_valid_time and something is to be installed or upgraded (or state=latest); alone (no name) it updates when the lists are older than cache_valid_time and then reports changed, as Ansible does. Ansible updates on every run with names too.",
            "state=latest predicts upgrades from the package lists as they are before the update, so check mode cannot see versions that only an update_cache in the same task would reveal.",
            "After a successful update Keel touches /var/lib/apt/periodic/update-success-stamp so cache_valid_time works without update-notifier.",
            "state build-dep and fixed, upgrade (dist/full/safe), autoclean, clean, fail_on_autoremove, lock_timeout, policy_rc_d and deb from a URL are not implemented.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .list(.string), aliases: ["package", "pkg"], help: "Packages, optionally with a version (`nginx=1.22*`) or architecture (`libc6:i386`).") var name: [String]?
        @Option("state", choices: PackageState.self, default: .present, help: "`present` installs missing packages, `latest` also upgrades installed ones to the candidate, `absent` removes.") var state: PackageState
        @Option("update_cache", .bool, default: false, aliases: ["update-cache"], help: "Run `apt-get update` first (see cache_valid_time).") var update_cache: Bool
        @Option("cache_valid_time", .int, default: 0, help: "Seconds the package lists stay fresh: update only when they are older.") var cache_valid_time: Int
        @Option("purge", .bool, default: false, help: "With state=absent, remove configuration files too (also of packages already removed).") var purge: Bool
        @Option("autoremove", .bool, default: false, help: "Remove packages that were installed as dependencies and are no longer needed.") var autoremove: Bool
        @Option("deb", .path, help: "A .deb file on the host to install (its dependencies come from the repositories).") var deb: String?
        @Option("install_recommends", .bool, aliases: ["install-recommends"], help: "Install recommended packages (default: apt's configuration).") var install_recommends: Bool?
        @Option("default_release", .string, aliases: ["default-release"], help: "Install from this release (-t), e.g. bookworm-backports.") var default_release: String?
        @Option("allow_downgrade", .bool, default: false, aliases: ["allow-downgrade", "allow_downgrades", "allow-downgrades"], help: "Allow installing an older version than the installed one.") var allow_downgrade: Bool
        @Option("force", .bool, default: false, help: "Pass --force-yes style options (allow unauthenticated, downgrades, removal of essential packages).") var force: Bool
        @Option("dpkg_options", .string, default: "force-confdef,force-confold", help: "dpkg options, comma separated, each passed as -o Dpkg::Options::=--OPTION.") var dpkg_options: String
        @Option("policy_rc_d", .int, help: "While apt-get runs, /usr/sbin/policy-rc.d exits with this code (101: installed services are not started); the file is restored afterwards.") var policy_rc_d: Int?
        @Option("only_upgrade", .bool, default: false, help: "Only upgrade packages that are already installed; never install new ones.") var only_upgrade: Bool
        var wantedState: PackageGoal {
            switch state {
            case .present, .installed: return .present
            case .latest: return .latest
            case .absent, .removed: return .absent
            }
        }

        public init() {}
    }

    /// Apt's states, in the order keel doc lists them (dnf's and package's differ), with Ansible's synonyms.
    public enum PackageState: String, OptionChoice { case absent, latest, present, installed, removed }

    /// A name as written: package, optional architecture qualifier and version (`nginx=1.22*`).
    struct Request: Equatable, Sendable {
        var written: String
        var package: String
        var version: String?

        init(_ written: String) {
            self.written = written
            if let equals = written.firstIndex(of: "=") {
                package = String(written[..<equals])
                version = String(written[written.index(after: equals)...])
            } else {
                package = written
                version = nil
            }
        }

        /// True when the installed version satisfies the requested one (a trailing * is a prefix match).
        func accepts(_ installed: String) -> Bool {
            guard let version else { return true }
            if version.hasSuffix("*") { return installed.hasPrefix(String(version.dropLast())) }
            return installed == version
        }
    }

    public struct Package: Equatable, Sendable {
        /// dpkg's status: "installed", "config-files", "not-installed", ... ("" when dpkg has never heard of it).
        var status: String = ""
        var installed: String?
        var candidate: String?
        /// The candidate is newer than the installed version (dpkg --compare-versions).
        var upgradable = false
    }

    public struct Removal: Equatable, Sendable { var package: String, version: String }

    public struct State: Equatable, Sendable {
        var packages: [String: Package]
        var cacheAge: Int
        /// Packages an autoremove would take away (name -> version), beyond the ones named.
        var autoremovable: [Removal]
        /// For deb=: the file's package name and version.
        var debPackage: String?
        var debVersion: String?
    }

    /// One apt-get call, with the options the task gives every call.
    public struct Step: Sendable, Equatable, Codable, CustomStringConvertible {
        var action: Action
        /// apt-get's options (-y, -q, dpkg options, -t release, downgrades, --only-upgrade for installs).
        var options: [String]
        /// autoremove with --purge.
        var purge: Bool
        /// The exit code /usr/sbin/policy-rc.d gives while this call runs (policy_rc_d).
        var policyRcD: Int? = nil

        public var description: String {
            switch action {
            case .updateCache: return "apt-get update"
            case .install(let names): return "apt-get install " + names.joined(separator: " ")
            case .remove(let names, let purge): return "apt-get \(purge ? "purge" : "remove") " + names.joined(separator: " ")
            case .installDeb(let path): return "apt-get install \(path)"
            case .autoremove: return "apt-get autoremove"
            }
        }
    }

    public enum Action: Sendable, Equatable, Codable {
        case updateCache
        case install([String])
        case remove([String], purge: Bool)
        case installDeb(String)
        case autoremove
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let requests = (a.name ?? []).map(Request.init)
        var script = """
            command -v apt-get >/dev/null 2>&1 || { echo KEEL_NO_APT; exit 0; }
            now=$(date +%s)
            t=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)
            echo "age=$((now - t))"

            """
        if let deb = a.deb {
            script += """
                d=\(ShellQuote.quote(deb))
                [ -f "$d" ] || { echo "KEEL_NO_DEB"; exit 0; }
                echo "debpkg=$(dpkg-deb -f "$d" Package)"
                echo "debver=$(dpkg-deb -f "$d" Version)"
                set -- "$(dpkg-deb -f "$d" Package)"

                """
        } else {
            script += "set -- " + requests.map { ShellQuote.quote($0.package) }.joined(separator: " ") + "\n"
        }
        script += #"""
            for p in "$@"; do
              s=$(dpkg-query -W -f='${db:Status-Status}|${Version}' -- "$p" 2>/dev/null | head -n 1)
              [ -n "$s" ] || s='|'
              c=$(apt-cache policy -- "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n 1)
              i=${s#*|}; u=0
              if [ "${s%%|*}" = installed ] && [ -n "$c" ] && [ "$c" != "(none)" ] && dpkg --compare-versions "$i" lt "$c"; then u=1; fi
              echo "pkg=$p|$s|$c|$u"
            done

            """#
        if a.autoremove {
            // What apt would take away: with state=absent, simulate the removal itself with --autoremove, so the
            // dependencies that only the removed packages needed are known before anything runs.
            let simulation = a.wantedState == .absent && !requests.isEmpty
                ? "apt-get -s --autoremove remove -- " + requests.map { ShellQuote.quote($0.package) }.joined(separator: " ")
                : "apt-get -s autoremove"
            script += simulation + " 2>/dev/null | sed -n 's/^Remv \\([^ ]*\\) \\[\\([^]]*\\)\\].*/autoremovable=\\1|\\2/p'\n"
        }
        let result = try await host.run(script)
        let text = result.stdoutText
        if text.hasPrefix("KEEL_NO_APT") {
            throw KeelError("\(host.name): apt-get is not available on this host", expected: "a Debian or Ubuntu host", found: "no apt-get",
                            suggestion: "package")
        }
        if text.contains("KEEL_NO_DEB") {
            throw KeelError("\(host.name): apt: deb file \(a.deb ?? "") does not exist on the host", expected: "a .deb file on the host", found: "no such file")
        }
        guard result.status == 0 else { throw KeelError("\(host.name): cannot read package state: \(result.stderrText)") }
        let f = AccountDatabase.fields(text)
        var packages: [String: Package] = [:]
        for line in f["pkg"] ?? [] {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 5 else { continue }
            let version = parts[2]
            packages[parts[0]] = Package(status: parts[1], installed: version.isEmpty || parts[1] == "not-installed" ? nil : version,
                                         candidate: parts[3].isEmpty || parts[3] == "(none)" ? nil : parts[3], upgradable: parts[4] == "1")
        }
        let named = Set(requests.map(\.package))
        let autoremovable = (f["autoremovable"] ?? []).compactMap { line -> Removal? in
            let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
            return parts.count == 2 && !named.contains(parts[0]) ? Removal(package: parts[0], version: parts[1]) : nil
        }
        return State(packages: packages, cacheAge: Int(f["age"]?.first ?? "") ?? Int.max, autoremovable: autoremovable,
                     debPackage: f["debpkg"]?.first, debVersion: f["debver"]?.first)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let requests = (a.name ?? []).map(Request.init)
        let cacheStale = a.update_cache && (a.cache_valid_time == 0 || observed.cacheAge > a.cache_valid_time)
        var steps: [Action] = []
        var before: [String] = [], after: [String] = []
        func describe(_ p: String, _ v: String?) -> String { "\(p): \(v ?? "(not installed)")" }

        if let deb = a.deb, let name = observed.debPackage {
            let current = observed.packages[name]
            if current?.status != "installed" || current?.installed != observed.debVersion {
                steps.append(.installDeb(deb))
                before.append(describe(name, current?.status == "installed" ? current?.installed : nil))
                after.append(describe(name, observed.debVersion))
            }
        }
        switch a.wantedState {
        case .absent:
            var remove: [String] = []
            for r in requests {
                let p = observed.packages[r.package] ?? Package()
                let present = !["", "not-installed", "config-files"].contains(p.status)
                if present || (a.purge && p.status == "config-files") {
                    remove.append(r.package)
                    before.append(describe(r.package, p.status == "config-files" ? "(configuration files)" : p.installed))
                    after.append(describe(r.package, nil))
                }
            }
            if !remove.isEmpty { steps.append(.remove(remove, purge: a.purge)) }
        case .present, .latest:
            var install: [String] = []
            for r in requests {
                let p = observed.packages[r.package] ?? Package()
                let isInstalled = p.status == "installed"
                if a.only_upgrade && !isInstalled { continue }
                var target: String?
                if !isInstalled {
                    // No candidate yet but the lists are about to be updated: the update may bring it
                    // (a source added just before), so apt decides after updating ("" = the candidate then).
                    target = r.version ?? p.candidate ?? ""
                    if p.candidate == nil && r.version == nil && !cacheStale {
                        throw KeelError("\(host.name): no package matching '\(r.package)' is available",
                                        expected: "a package name known to apt (apt-cache policy \(r.package))", found: "no candidate",
                                        suggestion: a.update_cache ? nil : "update_cache: true")
                    }
                } else if let installed = p.installed, !r.accepts(installed) {
                    target = r.version
                } else if a.wantedState == .latest && r.version == nil && p.upgradable {
                    target = p.candidate
                }
                if let target {
                    install.append(r.version != nil ? r.written : r.package)
                    before.append(describe(r.package, isInstalled ? p.installed : nil))
                    after.append(describe(r.package, target.isEmpty ? "(candidate)" : target))
                } else if a.wantedState == .latest && cacheStale {
                    // The update may reveal a newer version: let apt decide after updating.
                    install.append(r.package)
                }
            }
            if !install.isEmpty { steps.append(.install(install)) }
        }
        if a.autoremove && !observed.autoremovable.isEmpty {
            steps.append(.autoremove)
            for removal in observed.autoremovable { before.append(describe(removal.package, removal.version)); after.append(describe(removal.package, nil)) }
        }
        let needsLists = steps.contains { if case .install = $0 { return true }; if case .installDeb = $0 { return true }; return false }
        if cacheStale && (requests.isEmpty && a.deb == nil || needsLists) { steps.insert(.updateCache, at: 0) }
        var values: OrderedDictionary<String, Value> = ["cache_updated": .bool(steps.first == .updateCache)]
        if steps.isEmpty { return .unchanged(values: values) }
        // The lists' exact age is not in the diff: it ticks between a check run and the real one.
        if steps.first == .updateCache { before.insert("package lists: \(observed.cacheAge == Int.max ? "never updated" : "older than \(a.cache_valid_time) s")", at: 0); after.insert("package lists: updated", at: 0) }
        values["packages"] = .list(requests.map { .string($0.written) })
        return Plan(steps: steps.map { Step(action: $0, options: aptOptions(a, $0), purge: a.purge, policyRcD: a.policy_rc_d) }, diffs: [Diff(label: "apt packages", before: before.joined(separator: "\n") + "\n", after: after.joined(separator: "\n") + "\n")],
                    values: values)
    }

    /// apt-get's options for one action, from the task's arguments.
    func aptOptions(_ a: Arguments, _ action: Action) -> [String] {
        var options = ["-y", "-q"]
        for option in a.dpkg_options.split(separator: ",") where !option.isEmpty { options += ["-o", "Dpkg::Options::=--\(option.trimmingCharacters(in: .whitespaces))"] }
        if let recommends = a.install_recommends { options += ["-o", "APT::Install-Recommends=\(recommends ? "true" : "false")"] }
        if let release = a.default_release { options += ["-t", release] }
        if a.allow_downgrade || a.force { options.append("--allow-downgrades") }
        if a.force { options += ["--allow-unauthenticated", "--allow-remove-essential", "--allow-change-held-packages"] }
        if a.only_upgrade, case .install = action { options.append("--only-upgrade") }
        return options
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var lines = ["set -e", "export DEBIAN_FRONTEND=noninteractive"]
        if let code = plan.steps.compactMap(\.policyRcD).first {
            // As Ansible: the host's own policy-rc.d (if any) is kept aside and put back, whatever happens.
            lines += ["prc=/usr/sbin/policy-rc.d; keep=$(mktemp -d)",
                      "[ -e \"$prc\" ] && mv -f \"$prc\" \"$keep/policy-rc.d\"",
                      "trap 'rm -f \"$prc\"; [ -e \"$keep/policy-rc.d\" ] && mv -f \"$keep/policy-rc.d\" \"$prc\"; rmdir \"$keep\"' EXIT",
                      "printf '#!/bin/sh\\nexit %d\\n' \(code) > \"$prc\"; chmod 0755 \"$prc\""]
        }
        for step in plan.steps {
            let apt = "DEBIAN_FRONTEND=noninteractive apt-get " + step.options.map(ShellQuote.quote).joined(separator: " ")
            switch step.action {
            case .updateCache:
                lines.append("apt-get -q update")
                lines.append("mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp")
            case .install(let names):
                lines.append("\(apt) install -- " + names.map(ShellQuote.quote).joined(separator: " "))
            case .remove(let names, let purge):
                lines.append("\(apt) \(purge ? "purge" : "remove") -- " + names.map(ShellQuote.quote).joined(separator: " "))
            case .installDeb(let path):
                lines.append("d=\(ShellQuote.quote(path)); case \"$d\" in /*) ;; *) d=\"$PWD/$d\";; esac")
                lines.append("\(apt) install -- \"$d\"")
            case .autoremove:
                lines.append("\(apt) autoremove\(step.purge ? " --purge" : "")")
            }
        }
        let result = try await host.runChecked(lines.joined(separator: "\n"), failure: "apt-get failed", detail: .tail(lines: 15))
        return .changed(["stdout": .string(result.stdoutText), "stderr": .string(result.stderrText)])
    }
}
