import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `service`: the generic service module (ansible.builtin.service). On systemd hosts it is exactly the
/// systemd module; elsewhere it drives the SysV script in /etc/init.d (state via the script's `status`
/// or a `pattern` looked up with pgrep, enablement via the rc?.d links that update-rc.d manages).
/// Which one is chosen: `use`, else `ansible_facts.service_mgr` when facts were gathered, else the host
/// is asked in the same round trip that observes the service.
public struct ServiceModule: Module {
    public static let name = "service"
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["state", "enabled"]])
    public static let documentation = ModuleDocumentation(
        summary: "Manage services on systemd or SysV-init hosts",
        description: """
            Picks the service manager from `use`, else from `ansible_facts.service_mgr`, else by asking the host (in the \
            same round trip that reads the service). With systemd it behaves exactly like the systemd_service module. \
            Without systemd it runs `/etc/init.d/NAME start|stop|restart|reload` and reads the state from the script's \
            `status` (or `pgrep -f PATTERN` when `pattern` is given); `enabled` uses `update-rc.d NAME defaults|disable` \
            and reads the S links in /etc/rc[2-5].d.
            """,
        examples: """
            - service: name=cron state=started enabled=yes
            - name: Reload haproxy after its configuration changed
              service:
                name: haproxy
                state: reloaded
            """,
        deviations: [
            "Only systemd and SysV init scripts (Debian's update-rc.d for enabled) are supported: no upstart, OpenRC, BSD rc or launchd.",
            "runlevel is accepted but ignored.",
            "On systemd hosts the systemd_service deviations apply.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, help: "The service, e.g. `cron`.") var name: String
        @Option("state", choices: ServiceState.self, help: "`started`/`stopped` act only when needed; `restarted`/`reloaded` always act.") var state: ServiceState?
        @Option("enabled", .bool, help: "Whether the service starts at boot.") var enabled: Bool?
        @Option("pattern", .string, help: "SysV only: a pattern (pgrep -f) that finds the running process when the script has no usable `status`.") var pattern: String?
        @Option("arguments", .string, default: "", aliases: ["args"], help: "SysV only: extra words passed to the init script.") var arguments: String
        @Option("sleep", .int, help: "SysV only: seconds to wait between stop and start on restart.") var sleep: Int?
        @Option("runlevel", .string, default: "default", help: "Accepted for compatibility; update-rc.d's default runlevels are used.") var runlevel: String
        @Option("use", .string, default: "auto", help: "`auto` (facts or the host decide), `systemd`, or `sysvinit`/`service`.") var use: String

        public init() {}
    }

    public struct SysV: Equatable, Sendable {
        var scriptExists: Bool
        var running: Bool
        var enabled: Bool
    }

    public enum State: Equatable, Sendable {
        case systemd(SystemdModule.State)
        case sysv(SysV)
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case systemd(SystemdModule.Step)
        case sysv(SysVStep)

        public var description: String {
            switch self {
            case .systemd(let step): return step.description
            case .sysv(let step): return "/etc/init.d/\(step.name) \(step.action)"
            }
        }
    }

    /// One SysV init action on a service, with the task's extra script arguments and restart pause.
    public struct SysVStep: Sendable, Codable, Equatable {
        var action: String   // start, stop, restart, reload, enable, disable
        var name: String
        var arguments: String
        var sleep: Int?
    }

    public init() {}

    func manager(_ a: Arguments, on host: HostContext) -> String {
        switch a.use {
        case "systemd": return "systemd"
        case "sysvinit", "service", "sysv": return "sysvinit"
        default:
            if case .string(let fact)? = host.facts["service_mgr"] { return fact == "systemd" ? "systemd" : "sysvinit" }
            return "auto"
        }
    }

    /// systemd_service's arguments for the same unit, everything else at their defaults.
    func systemdArguments(_ a: Arguments) throws -> SystemdModule.Arguments {
        var raw: OrderedDictionary<String, Value> = ["name": .string(a.name)]
        if let state = a.state { raw["state"] = .string(state.rawValue) }
        if let enabled = a.enabled { raw["enabled"] = .bool(enabled) }
        return try SystemdModule.arguments(raw)
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let manager = manager(a, on: host)
        if manager == "systemd" { return .systemd(try await SystemdModule().observe(try systemdArguments(a), on: host)) }
        let script = "/etc/init.d/" + a.name
        var probe = """
            s=\(ShellQuote.quote(script))
            if [ -x "$s" ]; then echo exists=1; else echo exists=0; fi
            """
        if let pattern = a.pattern {
            probe += "\nif pgrep -f -- \(ShellQuote.quote(pattern)) >/dev/null 2>&1; then echo running=1; else echo running=0; fi"
        } else {
            probe += "\nif [ -x \"$s\" ] && \"$s\" status >/dev/null 2>&1; then echo running=1; else echo running=0; fi"
        }
        probe += "\nif ls /etc/rc[2345].d/S[0-9][0-9]\(ShellQuote.quote(a.name)) >/dev/null 2>&1; then echo enabled=1; else echo enabled=0; fi"
        let result: CommandResult
        if manager == "auto" {
            // Ask the host which manager runs, and read the service for either answer.
            result = try await host.run(UnitStatus.observationScript(unit: a.name, otherwise: probe))
            if !result.stdoutText.hasPrefix(UnitStatus.noSystemd) {
                let unit = UnitStatus.parse(result.stdoutText.split(separator: "\n")[...])
                return .systemd(SystemdModule.State(unit: unit, anyUnitNeedsReload: false))
            }
        } else {
            result = try await host.run(probe)
        }
        var fields: [String: String] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return .sysv(SysV(scriptExists: fields["exists"] == "1", running: fields["running"] == "1", enabled: fields["enabled"] == "1"))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        switch observed {
        case .systemd(let state):
            let plan = try SystemdModule().plan(try systemdArguments(a), observed: state, on: host)
            return Plan(steps: plan.steps.map { .systemd($0) }, diffs: plan.diffs, values: plan.values)
        case .sysv(let sysv):
            guard sysv.scriptExists else {
                throw KeelError("\(host.name): could not find the requested service \(a.name)",
                                expected: "systemd running, or an executable /etc/init.d/\(a.name)", found: "neither")
            }
            var steps: [String] = []
            var runningAfter = sysv.running, enabledAfter = sysv.enabled
            if let enabled = a.enabled, enabled != sysv.enabled { steps.append(enabled ? "enable" : "disable"); enabledAfter = enabled }
            switch a.state {
            case .started where !sysv.running: steps.append("start"); runningAfter = true
            case .stopped where sysv.running: steps.append("stop"); runningAfter = false
            case .restarted: steps.append(sysv.running ? "restart" : "start"); runningAfter = true
            case .reloaded: steps.append(sysv.running ? "reload" : "start"); runningAfter = true
            case .started, .stopped, nil: break   // already so, or not asked
            }
            var values: OrderedDictionary<String, Value> = ["name": .string(a.name)]
            if let state = a.state { values["state"] = .string(state.rawValue) }
            if let enabled = a.enabled { values["enabled"] = .bool(enabled) }
            guard !steps.isEmpty else { return .unchanged(values: values) }
            func text(_ running: Bool, _ enabled: Bool) -> String {
                "service: \(a.name)\nenabled: \(enabled)\nstate: \(running ? "running" : "stopped")\n"
            }
            return Plan(steps: steps.map { .sysv(SysVStep(action: $0, name: a.name, arguments: a.arguments, sleep: a.sleep)) },
                        diffs: [Diff(label: "service \(a.name)", before: text(sysv.running, sysv.enabled), after: text(runningAfter, enabledAfter))],
                        values: values)
        }
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let systemdSteps = plan.steps.compactMap { if case .systemd(let s) = $0 { return s }; return nil }
        if !systemdSteps.isEmpty {
            return try await SystemdModule().apply(Plan(steps: systemdSteps, diffs: plan.diffs, values: plan.values), on: host)
        }
        var lines = ["set -e"]
        var serviceName = ""
        for case .sysv(let a) in plan.steps {
            serviceName = a.name
            let name = ShellQuote.quote(a.name)
            let script = ShellQuote.quote("/etc/init.d/" + a.name)
            switch a.action {
            case "enable": lines.append("update-rc.d \(name) defaults >/dev/null; update-rc.d \(name) enable >/dev/null")
            case "disable": lines.append("update-rc.d \(name) disable >/dev/null")
            case "restart" where a.sleep != nil:
                lines.append("\(script) stop \(a.arguments)"); lines.append("sleep \(a.sleep!)"); lines.append("\(script) start \(a.arguments)")
            default: lines.append("\(script) \(a.action) \(a.arguments)")
            }
        }
        try await host.runChecked(lines.joined(separator: "\n"), failure: "service \(serviceName) failed", detail: .combined)
        return .changed()
    }
}
