import Foundation
import KeelBase

/// The systemd service that runs a container (podman_container's `systemd` option): Keel renders the
/// unit itself, in the shape of `podman generate systemd` without --new (the unit starts and stops the
/// container podman_container converged), because Debian 12's podman 4.3 has no quadlet.
///
/// The service runs `podman start --attach`, so the container's exit status is the service's: systemd
/// restarts it on failure, and `podman stop` (or a recreate) is a clean stop, not a failure.
public struct PodmanSystemdUnit: Sendable, Equatable, Codable {
    var container: String
    var enabled = true
    var restart = "on-failure"
    var restartSeconds = 5
    var stopTimeout = 10
    var after: [String] = []
    var wants: [String] = []
    var requires: [String] = []
    var directory = "/etc/systemd/system"
    /// `unit_dir` was given (else the directory follows the scope).
    var directoryGiven = false
    var executable = "/usr/bin/podman"
    /// A rootless container's unit: a user unit, run by the user's systemd manager (lingering starts it at boot).
    var userScope = false

    /// `container-NAME.service`, the name `podman generate systemd` gives.
    var name: String { "container-\(container).service" }
    var path: String { "\(directory)/\(name)" }

    static let header = "# Written by Keel's podman_container"
    static let restartChoices = ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"]

    /// Reads the `systemd` option ({} for every default); nil when the option is not given.
    init?(option: Value?, container: String, executable: String) throws {
        guard let option, !option.isNull else { return nil }
        guard let dict = option.dictValue else {
            throw KeelError("podman_container: systemd must be a mapping (use {} for the defaults)", expected: "a dict", found: option.typeName)
        }
        self.container = container
        self.executable = executable.hasPrefix("/") ? executable : "/usr/bin/\(executable)"
        let known: Set<String> = ["enabled", "restart", "restart_policy", "restart_sec", "stop_timeout", "after", "wants", "requires", "unit_dir", "path"]
        for key in dict.keys where !known.contains(key) {
            throw KeelError("podman_container: unknown systemd option '\(key)'", expected: known.sorted().joined(separator: ", "), found: key)
        }
        if let value = dict["enabled"] { enabled = value.isTruthy }
        if let value = (dict["restart"] ?? dict["restart_policy"])?.scalarText {
            guard Self.restartChoices.contains(value) else {
                throw KeelError("podman_container: systemd restart '\(value)' is not a systemd restart setting", expected: Self.restartChoices.joined(separator: ", "), found: value)
            }
            restart = value
        }
        if let value = dict["restart_sec"]?.integer { restartSeconds = value }
        if let value = dict["stop_timeout"]?.integer { stopTimeout = value }
        after = dict["after"]?.stringList ?? []
        wants = dict["wants"]?.stringList ?? []
        requires = dict["requires"]?.stringList ?? []
        if let value = (dict["unit_dir"] ?? dict["path"])?.stringValue { directory = value; directoryGiven = true }
    }

    init(container: String) { self.container = container }

    /// For a task whose commands run as `uid` (become_user): a user unit in ~/.config/systemd/user.
    mutating func scope(uid: Int?, home: String) {
        guard let uid, uid != 0 else { return }
        userScope = true
        if !directoryGiven { directory = "\(home)/.config/systemd/user" }
    }

    /// systemctl for the unit's manager: the user's needs XDG_RUNTIME_DIR, which sudo does not pass.
    static func systemctl(userScope: Bool) -> String {
        userScope ? "XDG_RUNTIME_DIR=/run/user/$(id -u) systemctl --user" : "systemctl"
    }

    /// The unit file's text: what is compared with the file on the host and written when it differs.
    var content: String {
        let quotedName = container.contains(where: { $0 == " " || $0 == "\"" }) ? "\"\(container)\"" : container
        var unit = """
            \(Self.header) for the container \(container); changes here are overwritten.
            [Unit]
            Description=Podman container \(container)
            Wants=network-online.target\(wants.map { " " + $0 }.joined())
            After=network-online.target\(after.map { " " + $0 }.joined())

            """
        if !userScope { unit += "RequiresMountsFor=/var/lib/containers/storage\n" }
        if !requires.isEmpty { unit += "Requires=\(requires.joined(separator: " "))\n" }
        unit += """

            [Service]
            Environment=PODMAN_SYSTEMD_UNIT=%n
            Restart=\(restart)
            RestartSec=\(restartSeconds)
            TimeoutStopSec=\(stopTimeout + 30)
            ExecStart=\(executable) start --attach \(quotedName)
            ExecStop=\(executable) stop --ignore -t \(stopTimeout) \(quotedName)
            # podman stop's SIGTERM ends the container with 143: a stop, not a failure to restart.
            SuccessExitStatus=143
            Type=simple

            [Install]
            WantedBy=\(userScope ? "default.target" : "multi-user.target default.target")

            """
        return unit
    }

    /// The shell lines that read the unit's file, enablement and activity into sections: the system unit
    /// when the task runs as root, else the user's (in `directory` when it was given).
    static func observation(name: String, directory: String?) -> [(name: String, script: String)] {
        let system = directory ?? "/etc/systemd/system"
        let user = directory.map(shellQuoted) ?? "\"$HOME/.config/systemd/user\""
        let pick = """
            if [ "$(id -u)" = 0 ]; then unitdir=\(shellQuoted(system)); sc=systemctl
            else unitdir=\(user); export XDG_RUNTIME_DIR=/run/user/$(id -u); sc="systemctl --user"; fi
            """
        return [("unit-file", "\(pick)\ncat \"$unitdir\"/\(shellQuoted(name)) 2>/dev/null || echo '@@no-unit-file@@'"),
                ("unit-enabled", "$sc is-enabled \(shellQuoted(name)) 2>/dev/null"),
                ("unit-active", "$sc is-active \(shellQuoted(name)) 2>/dev/null")]
    }

    private static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// What the host has of a container's unit.
struct PodmanUnitObserved: Sendable, Equatable {
    var content: String?
    var enabled: Bool
    var active: Bool
    /// The file carries Keel's header (so `state: absent` may remove it).
    var writtenByKeel: Bool { content?.hasPrefix(PodmanSystemdUnit.header) ?? false }

    init(sections: [String: String]) {
        let file = sections["unit-file"] ?? ""
        content = file.hasPrefix("@@no-unit-file@@") ? nil : file + (file.hasSuffix("\n") ? "" : "\n")
        enabled = (sections["unit-enabled"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) == "enabled"
        active = ["active", "activating", "reloading"].contains((sections["unit-active"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
