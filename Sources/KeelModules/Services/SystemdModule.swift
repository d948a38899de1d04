import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `systemd` / `systemd_service`: a unit is started, stopped, restarted or reloaded, enabled or not,
/// masked or not (ansible.builtin.systemd_service). The unit's state and enablement are read in one
/// round trip; the changes run in a second, which also reads the state they left.
public struct SystemdModule: Module {
    public static let name = "systemd_service"
    public static let aliases = ["systemd"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["state", "enabled", "masked", "daemon_reload", "daemon_reexec"]])
    public static let documentation = ModuleDocumentation(
        summary: "Manage systemd units: start, stop, restart, reload, enable, mask",
        description: """
            Reads the unit with one `systemctl show` + `systemctl is-enabled` round trip and changes only what differs: \
            `started` starts an inactive unit, `stopped` stops a running one, `enabled` enables or disables, `masked` masks \
            or unmasks. `restarted` and `reloaded` always act. Changes run in the order daemon-reload, unmask, enable/disable, \
            mask, start/stop/restart/reload. Fails with a clear message on hosts where systemd is not PID 1.
            """,
        examples: """
            - name: Cron runs and starts at boot
              systemd_service:
                name: cron
                state: started
                enabled: true
            - name: Pick up a new unit file and start it
              systemd:
                name: myapp.service
                daemon_reload: true
                state: restarted
            - systemd: name=apt-daily.timer masked=yes
            """,
        deviations: [
            "daemon_reload runs only when systemd reports that the unit (or, without a name, any loaded unit) changed on disk, and is then reported as changed; Ansible runs it every time and does not report it.",
            "scope=user and scope=global are not supported.",
            "Static, generated and transient units satisfy both enabled=true and enabled=false (they cannot be enabled or disabled); Ansible reports a change for enabled=false on them every run.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, aliases: ["service", "unit"], help: "The unit, e.g. `cron` or `cron.service` (no suffix means .service); templated instances such as `getty@tty2` work.") var name: String?
        @Option("state", choices: ServiceState.self, help: "`started`/`stopped` change the unit only when needed; `restarted` and `reloaded` always act (a stopped unit is started).") var state: ServiceState?
        @Option("enabled", .bool, help: "Whether the unit starts at boot (`systemctl enable/disable`).") var enabled: Bool?
        @Option("masked", .bool, help: "Whether the unit is masked (cannot be started at all).") var masked: Bool?
        @Option("daemon_reload", .bool, default: false, aliases: ["daemon-reload"], help: "Reload systemd's configuration before anything else, when systemd reports a changed unit file.") var daemon_reload: Bool
        @Option("daemon_reexec", .bool, default: false, aliases: ["daemon-reexec"], help: "Re-execute the systemd manager first (always runs, so always reported changed).") var daemon_reexec: Bool
        @Option("force", .bool, help: "Pass --force to enable/disable/mask (overrides conflicting symlinks).") var force: Bool?
        @Option("no_block", .bool, default: false, help: "Do not wait for start/stop jobs to finish (--no-block).") var no_block: Bool
        @Option("scope", choices: UnitScope.self, default: .system, help: "Only `system` is supported by Keel.") var scope: UnitScope

        public init() {}
    }

    public enum UnitScope: String, OptionChoice { case system, user, global }

    public struct State: Equatable, Sendable {
        var unit: UnitStatus?
        /// Without a name: whether any loaded unit needs a daemon-reload.
        var anyUnitNeedsReload: Bool
    }

    public enum Action: String, Sendable, Equatable, Codable {
        case daemonReexec = "daemon-reexec", daemonReload = "daemon-reload"
        case unmask, enable, disable, mask, start, stop, restart, reload
    }

    /// One systemctl call: the action, the task's unit (whose state is read back after the calls; the
    /// manager's own actions ignore it) and its flags.
    public struct Step: Sendable, Equatable, Codable, CustomStringConvertible {
        var action: Action
        var unit: String?
        /// --force for enable/disable/mask.
        var force = false
        /// --no-block for start/stop/restart/reload.
        var noBlock = false

        public var description: String {
            let manager = action == .daemonReload || action == .daemonReexec
            return "systemctl \(action.rawValue)" + (manager ? "" : unit.map { " \($0)" } ?? "")
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard a.scope == .system else {
            throw KeelError("systemd_service: scope '\(a.scope.rawValue)' is not supported by Keel", expected: "scope: system", found: "scope: \(a.scope.rawValue)")
        }
        if let name = a.name {
            return State(unit: try await UnitStatus.observe(name, on: host), anyUnitNeedsReload: false)
        }
        guard a.daemon_reload else { return State(unit: nil, anyUnitNeedsReload: false) }
        if a.state != nil || a.enabled != nil || a.masked != nil {
            throw KeelError("systemd_service: state, enabled and masked need a unit name", expected: "name: UNIT", found: "no name")
        }
        let script = """
            if ! command -v systemctl >/dev/null 2>&1 || [ ! -d /run/systemd/system ]; then echo \(UnitStatus.noSystemd); exit 0; fi
            systemctl list-units --all --plain --no-legend --full | awk '{print $1}' | xargs -r systemctl show -p NeedDaemonReload -- | grep -qx NeedDaemonReload=yes && echo yes || echo no
            """
        let out = try await host.run(script).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        if out == UnitStatus.noSystemd {
            throw KeelError("\(host.name): systemd is not running on this host, so it cannot be reloaded", expected: "a host booted with systemd", found: "another init")
        }
        return State(unit: nil, anyUnitNeedsReload: out == "yes")
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var steps: [Action] = []
        if a.daemon_reexec { steps.append(.daemonReexec) }
        func planned(_ actions: [Action]) -> [Step] {
            actions.map { Step(action: $0, unit: a.name, force: a.force == true, noBlock: a.no_block) }
        }
        guard let name = a.name, let unit = observed.unit else {
            if a.daemon_reload && observed.anyUnitNeedsReload { steps.append(.daemonReload) }
            return Plan(steps: planned(steps), diffs: [], values: [:])
        }
        let unitOnDiskButNotLoaded = unit.loadState == "not-found" && unit.exists
        if a.daemon_reload && (unit.needsDaemonReload || unitOnDiskButNotLoaded) { steps.append(.daemonReload) }
        if !unit.exists && a.masked != true && (a.state != nil || a.enabled != nil) {
            throw KeelError("\(host.name): could not find the requested service \(name)",
                            expected: "a unit file in /etc/systemd/system, /lib/systemd/system or /run/systemd/system", found: "no unit named \(name)")
        }
        if a.masked == false && unit.isMasked { steps.append(.unmask) }
        var enabledAfter = unit.isEnabled
        if let enabled = a.enabled, !unit.enablementIsFixed, enabled != unit.isEnabled {
            steps.append(enabled ? .enable : .disable)
            enabledAfter = enabled
        }
        if a.masked == true && !unit.isMasked { steps.append(.mask) }
        var activeAfter = unit.activeState
        switch a.state {
        case .started where !unit.isRunning: steps.append(.start); activeAfter = "active"
        case .stopped where unit.isRunning || unit.activeState == "deactivating": steps.append(.stop); activeAfter = "inactive"
        case .restarted: steps.append(unit.isRunning ? .restart : .start); activeAfter = "active"
        case .reloaded: steps.append(unit.isRunning ? .reload : .start); activeAfter = "active"
        case .started, .stopped, nil: break   // already so, or not asked
        }
        let maskedAfter = a.masked ?? unit.isMasked
        var values: OrderedDictionary<String, Value> = ["name": .string(name), "changed_unit": .string(unit.properties["Id"] ?? name),
                                                        "status": unit.statusValue]
        if let state = a.state { values["state"] = .string(state.rawValue) }
        if let enabled = a.enabled { values["enabled"] = .bool(enabled) }
        if steps.isEmpty { return .unchanged(values: values) }
        let before = "unit: \(name)\nenabled: \(unit.isEnabled)\nmasked: \(unit.isMasked)\nstate: \(unit.activeState)\n"
        var after = "unit: \(name)\nenabled: \(enabledAfter)\nmasked: \(maskedAfter)\nstate: \(activeAfter)\n"
        if steps.contains(.restart) || steps.contains(.reload) { after += "action: \(steps.contains(.restart) ? "restart" : "reload")\n" }
        return Plan(steps: planned(steps), diffs: [Diff(label: "systemd unit \(name)", before: before, after: after)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let name = plan.steps.first?.unit
        var lines: [String] = []
        for step in plan.steps {
            let unit = step.unit.map(ShellQuote.quote) ?? ""
            let force = step.force ? " --force" : ""
            let noBlock = step.noBlock ? " --no-block" : ""
            // Each command stops the script on failure with systemd's own account of the unit on stderr
            // (not `set -e`, which a subshell inside `||` would ignore).
            let onFailure = " || { rc=$?; " + (step.unit != nil ? "systemctl status --no-pager -n 10 -- \(unit) >&2; " : "") + "exit $rc; }"
            switch step.action {
            case .daemonReexec, .daemonReload: lines.append("systemctl \(step.action.rawValue)" + onFailure)
            case .enable, .disable, .mask, .unmask: lines.append("systemctl\(force) \(step.action.rawValue) -- \(unit)" + onFailure)
            case .start, .stop, .restart, .reload: lines.append("systemctl\(noBlock) \(step.action.rawValue) -- \(unit)" + onFailure)
            }
        }
        if let name {
            // The state the changes left, in the same round trip.
            lines.append("echo KEEL_AFTER")
            lines.append(UnitStatus.observationScript(unit: name))
        }
        let script = lines.joined(separator: "\n")
        let result = try await host.runChecked(script, failure: "systemctl failed for \(name ?? "the manager")")
        guard name != nil, let marker = result.stdoutText.range(of: "KEEL_AFTER\n") else { return .changed() }
        return .changed(["status": UnitStatus.parse(result.stdoutText[marker.upperBound...].split(separator: "\n")[...]).statusValue])
    }
}
