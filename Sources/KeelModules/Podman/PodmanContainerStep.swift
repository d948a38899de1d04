import Foundation
import KeelBase
import KeelTransport

extension PodmanContainerModule {
    /// One change to a container or its service, carrying all its data.
    public enum Action: Sendable, Codable, Equatable {
        case pull(image: String)
        /// `podman create` under the container's name (none existed).
        case create(arguments: [String])
        /// Create the new container beside the old one, then swap them; see `replace`.
        case replace(arguments: [String], start: Bool)
        case start, stop, restart, remove
        case writeUnit(PodmanSystemdUnit)
        /// A quadlet file (its mode set when given).
        case writeFile(path: String, content: String, mode: String?)
        case removeUnit(path: String)
        case daemonReload
        case enableUnit, disableUnit
        case waitUntilReady(PodmanHealthGate)
    }

    /// An action on the task's container (and its service, when systemd runs it).
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var action: Action
        var container: String
        var executable: String
        /// The container's systemd service, when it has one: start/stop/restart go through systemctl.
        var unit: String?
        /// The service is a user unit (systemctl --user).
        var userScope = false
        /// The quadlet file the service is generated from (its start failure points at the generator).
        var quadletFile: String?

        var systemctl: String { PodmanSystemdUnit.systemctl(userScope: userScope) }

        private var shownSystemctl: String { userScope ? "systemctl --user" : "systemctl" }

        public var description: String {
            switch action {
            case .pull(let image): return "podman pull \(image)"
            case .create: return "podman create \(container)"
            case .replace(_, let start): return "recreate \(container)\(start ? " and start it" : "")"
            case .start: return unit.map { "\(shownSystemctl) start \($0)" } ?? "podman start \(container)"
            case .stop: return unit.map { "\(shownSystemctl) stop \($0)" } ?? "podman stop \(container)"
            case .restart: return unit.map { "\(shownSystemctl) restart \($0)" } ?? "podman restart \(container)"
            case .remove: return "podman rm -f \(container)"
            case .writeUnit(let unit): return "write \(unit.path)"
            case .writeFile(let path, _, let mode): return "write \(path)\(mode.map { " (mode \($0))" } ?? "")"
            case .removeUnit(let path): return "remove \(path)"
            case .daemonReload: return "\(shownSystemctl) daemon-reload"
            case .enableUnit: return "\(shownSystemctl) enable \(unit ?? "")"
            case .disableUnit: return "\(shownSystemctl) disable \(unit ?? "")"
            case .waitUntilReady(let gate): return gate.description
            }
        }

        /// A quadlet generator that rejects the file (a key this podman does not know: keys were added release by
        /// release) makes no service, and systemctl only says the unit was not found.
        private var generatorHint: String {
            guard let quadletFile, let unit else { return "" }
            return " (\(unit) is generated from \(quadletFile); if systemd does not know it, see why with `/usr/libexec/podman/quadlet -dryrun\(userScope ? " -user" : "")` on the host)"
        }

        func podman(_ arguments: [String]) -> String { PodmanCommand.line(arguments, executable: executable) }

        func perform(on host: HostContext) async throws {
            let name = container
            switch action {
            case .pull(let image):
                try await host.runPodmanChecked(podman(["pull", "--quiet", image]),
                                          failure: "podman_container: image \(image) is not on the host and cannot be pulled")
            case .create(let arguments):
                try await host.runPodmanChecked(podman(["create", "--name", name] + arguments), failure: "podman_container: cannot create the container \(name)")
            case .replace(let arguments, let start):
                try await replace(arguments: arguments, start: start, on: host)
            case .start:
                try await host.runPodmanChecked(unit.map { "\(systemctl) start \(ShellQuote.quote($0))" } ?? podman(["start", name]),
                                          failure: "podman_container: cannot start \(name)\(generatorHint)")
            case .stop:
                try await host.runPodmanChecked(unit.map { "\(systemctl) stop \(ShellQuote.quote($0))" } ?? podman(["stop", name]),
                                          failure: "podman_container: cannot stop \(name)")
            case .restart:
                try await host.runPodmanChecked(unit.map { "\(systemctl) restart \(ShellQuote.quote($0))" } ?? podman(["restart", name]),
                                          failure: "podman_container: cannot restart \(name)\(generatorHint)")
            case .remove:
                try await host.runPodmanChecked(podman(["rm", "--force", "--ignore", name]), failure: "podman_container: cannot remove \(name)")
            case .writeUnit(let unit):
                _ = try await FileWrite(destination: unit.path, content: Data(unit.content.utf8), createParentDirectories: true).perform(on: host)
            case .writeFile(let path, let content, let mode):
                _ = try await FileWrite(destination: path, content: Data(content.utf8), createParentDirectories: true).perform(on: host)
                if let mode { try await host.runPodmanChecked("chmod \(ShellQuote.quote(mode)) -- \(ShellQuote.quote(path))", failure: "podman_container: cannot set the mode of \(path)") }
            case .removeUnit(let path):
                try await host.runPodmanChecked("rm -f -- \(ShellQuote.quote(path))", failure: "podman_container: cannot remove \(path)")
            case .daemonReload:
                try await host.runPodmanChecked("\(systemctl) daemon-reload", failure: "podman_container: systemctl daemon-reload failed")
            case .enableUnit:
                try await host.runPodmanChecked("\(systemctl) enable \(ShellQuote.quote(unit ?? ""))", failure: "podman_container: cannot enable \(unit ?? "")")
            case .disableUnit:
                try await host.runPodmanChecked("\(systemctl) disable \(ShellQuote.quote(unit ?? ""))", failure: "podman_container: cannot disable \(unit ?? "")")
            case .waitUntilReady(let gate):
                try await gate.perform(on: host)
            }
        }

        /// Recreates the container so that a failure leaves the old one as it was: the new container is
        /// created under a temporary name first (a bad image, option or env file fails here, before the
        /// old one is touched); only then is the old one stopped and renamed aside, the new one takes the
        /// name and is started; if that start fails (a port taken by something else), the new one is
        /// removed and the old one gets its name back and is started again.
        func replace(arguments: [String], start: Bool, on host: HostContext) async throws {
            let name = container
            let fresh = "\(name)-keel-new"
            let old = "\(name)-keel-old"
            let q = ShellQuote.quote
            let created = try await host.runPodman("\(podman(["rm", "--force", "--ignore", fresh])) >/dev/null 2>&1; \(podman(["create", "--name", fresh] + arguments))")
            guard created.status == 0 else {
                _ = try? await host.runPodman(podman(["rm", "--force", "--ignore", fresh]))
                throw KeelError("\(host.name): podman_container: cannot recreate \(name), the running container is left as it was: \(created.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            let wasRunning = (try await host.runPodman(podman(["container", "inspect", "--format", "{{.State.Running}}", name])).stdoutText
                .trimmingCharacters(in: .whitespacesAndNewlines)) == "true"
            let stopOld = unit.map { "\(systemctl) stop \(q($0))" } ?? podman(["stop", name])
            try await host.runPodmanChecked("""
                \(stopOld) >/dev/null
                \(podman(["rm", "--force", "--ignore", old])) >/dev/null
                \(podman(["rename", name, old])) && \(podman(["rename", fresh, name]))
                """, failure: "podman_container: cannot swap the new container in for \(name)")
            let startNew = unit.map { "\(systemctl) start \(q($0))" } ?? podman(["start", name])
            if start {
                let started = try await host.runPodman(startNew + (unit == nil ? "" : " && \(PodmanHealthGate(container: name, healthcheck: false, port: nil, timeout: 15, executable: executable, unit: unit, userScope: userScope).script)"))
                if started.status != 0 {
                    let restartOld = wasRunning ? (unit.map { "\(systemctl) start \(q($0))" } ?? podman(["start", name])) : "true"
                    _ = try? await host.runPodman("""
                        \(unit.map { "\(systemctl) stop \(q($0)) >/dev/null 2>&1;" } ?? "")
                        \(podman(["rm", "--force", name])) >/dev/null 2>&1
                        \(podman(["rename", old, name])) && \(restartOld)
                        """)
                    throw KeelError("\(host.name): podman_container: the recreated \(name) did not start, the old container is back: "
                                    + (started.stderrText + started.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            try await host.runPodmanChecked(podman(["rm", "--force", old]), failure: "podman_container: cannot remove the old container \(old)")
        }
    }
}
