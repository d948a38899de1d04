import Foundation
import KeelBase
import KeelTransport

/// What systemd says about one unit, read in one round trip: `systemctl show` for the runtime state and
/// `systemctl is-enabled` for the enablement (it reads the unit files on disk, so it is right even before
/// a daemon-reload picks up a freshly written unit).
struct UnitStatus: Sendable, Equatable {
    var properties: [String: String]
    /// `systemctl is-enabled`'s word: enabled, disabled, static, masked, indirect, alias, generated, ... or "" when unknown.
    var enablement: String

    var activeState: String { properties["ActiveState"] ?? "" }
    var loadState: String { properties["LoadState"] ?? "" }
    var needsDaemonReload: Bool { properties["NeedDaemonReload"] == "yes" }
    /// systemd knows the unit (loaded, or at least has a file for it on disk).
    var exists: Bool {
        (loadState != "" && loadState != "not-found") || !["", "not-found"].contains(enablement)
    }
    var isMasked: Bool { enablement.hasPrefix("masked") || loadState == "masked" }
    /// Running, or on its way there: Ansible's idea of "started".
    var isRunning: Bool { ["active", "activating", "reloading"].contains(activeState) }
    /// Enabled in the sense of `systemctl is-enabled` succeeding (static and generated units count:
    /// there is nothing to enable), but, as ansible-core's systemd module decides, not indirect, alias or
    /// enabled-runtime units (enabled for this boot only: `enabled: true` asks for the lasting enablement;
    /// Debian's postgresql@15-main is one).
    var isEnabled: Bool { ["enabled", "static", "generated", "transient"].contains(enablement) }
    /// Units whose enablement `systemctl enable/disable` cannot change.
    var enablementIsFixed: Bool { ["static", "generated", "transient"].contains(enablement) }

    static let shownProperties = ["Id", "Names", "Description", "LoadState", "ActiveState", "SubState", "UnitFileState",
                                  "NeedDaemonReload", "FragmentPath", "MainPID"]

    /// Marker printed when the host has no running systemd.
    static let noSystemd = "KEEL_NO_SYSTEMD"

    /// `otherwise` runs (after the marker and PID 1's name) on hosts without systemd.
    static func observationScript(unit: String, otherwise: String = "") -> String {
        let u = ShellQuote.quote(unit)
        return """
            if ! command -v systemctl >/dev/null 2>&1 || [ ! -d /run/systemd/system ]; then echo \(noSystemd); cat /proc/1/comm 2>/dev/null; echo
            \(otherwise)
            exit 0; fi
            systemctl show --no-pager -p \(shownProperties.joined(separator: ",")) -- \(u)
            echo "KEEL_IS_ENABLED=$(systemctl is-enabled -- \(u) 2>/dev/null | head -n 1)"
            """
    }

    /// Observes the unit; throws a clear error on a host without systemd.
    static func observe(_ unit: String, on host: HostContext) async throws -> UnitStatus {
        let result = try await host.run(observationScript(unit: unit))
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.first == noSystemd {
            let pid1 = lines.count > 1 ? lines[1] : "unknown"
            throw KeelError("\(host.name): systemd is not running on this host, so unit \(unit) cannot be managed "
                            + "(guard the task with `when: ansible_facts.service_mgr == 'systemd'`, or use the service module, which falls back to /etc/init.d scripts)",
                            expected: "a host booted with systemd", found: "PID 1 is '\(pid1)'")
        }
        guard result.status == 0 else {
            throw KeelError("\(host.name): cannot read the state of \(unit): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return parse(lines[...])
    }

    /// Reads `Key=Value` lines of `systemctl show` and the KEEL_IS_ENABLED line.
    static func parse<S: StringProtocol>(_ lines: ArraySlice<S>) -> UnitStatus {
        var properties: [String: String] = [:]
        var enablement = ""
        for line in lines {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]), value = String(line[line.index(after: equals)...])
            if key == "KEEL_IS_ENABLED" { enablement = value } else { properties[key] = value }
        }
        return UnitStatus(properties: properties, enablement: enablement)
    }

    /// The unit's properties as the module's `status` result.
    var statusValue: Value {
        var dict: [(String, Value)] = Self.shownProperties.compactMap { key in properties[key].map { (key, .string($0)) } }
        dict.append(("UnitFileEnablement", .string(enablement)))
        return .dict(.init(uniqueKeysWithValues: dict))
    }
}
