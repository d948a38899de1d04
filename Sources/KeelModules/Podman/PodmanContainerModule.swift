import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_container`: a container exists with the settings the task gives and runs (or not), optionally
/// as a systemd service, behind a health gate (containers.podman.podman_container's arguments).
///
/// One round trip observes everything: the container's and the image's `podman inspect`, the env files,
/// the pod, the ports other containers publish and the service's unit. The plan recreates the container
/// only when a setting the task gave differs from what podman shows, once podman's and the image's own
/// defaults are taken out, or when the image name now resolves to another image.
public struct PodmanContainerModule: Module {
    public static let name = "podman_container"
    public static let aliases = ["containers.podman.podman_container"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["recreate", "force_restart"]])

    public struct State: Equatable, Sendable {
        var container: PodmanContainerObserved?
        /// The image's ID when the task's image name resolves on the host, nil when it is not there.
        var imageID: String?
        var envFiles: [String: String]
        /// The pod's ID when the task names a pod that exists.
        var podID: String?
        /// Host ports (`8080/tcp`) published by other running containers, with the container's name.
        var portsOfOthers: [String: String]
        var unit: PodmanUnitObserved?
        /// The host's podman has quadlet (4.4 or later); nil when the task does not need to know.
        var quadletSupported: Bool?
        /// The quadlet file (NAME.container) and its service, when the task writes or may remove one.
        var quadlet: PodmanQuadletObserved?
        /// The user podman runs as, and their home (for a rootless container's user unit).
        var uid: Int?
        var home: String
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let podman = { (args: [String]) in PodmanCommand.line(args, executable: a.executable) }
        var sections: [(name: String, script: String)] = [
            ("podman", "command -v \(ShellQuote.quote(a.executable)) >/dev/null 2>&1 || { echo '@@no-podman@@'; exit 0; }"),
            // Who runs podman: root, or a user (become_user) whose containers are rootless.
            ("identity", "id -u; printf '%s\\n' \"$HOME\""),
            ("container", "\(podman(["container", "inspect", a.name])) 2>/dev/null"),
            // The image the container runs now: its ENV and LABELs are defaults, not settings.
            ("container-image", "id=$(\(podman(["container", "inspect", "--format", "{{.Image}}", a.name])) 2>/dev/null) && \(podman(["image", "inspect"])) \"$id\" 2>/dev/null"),
        ]
        if let image = a.image { sections.append(("image", "\(podman(["image", "inspect", image])) 2>/dev/null")) }
        for (index, path) in (a.env_file ?? []).enumerated() {
            sections.append(("envfile-\(index)", "if [ -f \(ShellQuote.quote(path)) ]; then cat \(ShellQuote.quote(path)); else echo '@@missing@@'; fi"))
        }
        if let pod = a.pod { sections.append(("pod", "\(podman(["pod", "inspect", "--format", "{{.Id}}", pod])) 2>/dev/null")) }
        if a.publish != nil { sections.append(("ps", "\(podman(["ps", "--format", "json"])) 2>/dev/null")) }
        let unit = try PodmanSystemdUnit(option: a.systemd, container: a.name, executable: a.executable) ?? PodmanSystemdUnit(container: a.name)
        if a.systemd != nil || a.state == .absent {
            sections += PodmanSystemdUnit.observation(name: unit.name, directory: unit.directoryGiven ? unit.directory : nil)
        }
        // Quadlet or a unit of Keel's own is decided here, in the same round trip: by the host's podman version.
        if a.systemd != nil { sections.append(("version", "\(podman(["--version"])) 2>/dev/null")) }
        if a.systemd != nil || a.state == .quadlet || a.state == .absent {
            let file = PodmanQuadlet.fileName(a.quadlet_filename, name: a.name, kind: "container")
            sections += PodmanQuadletObserved.observation(fileName: file, directory: a.quadlet_dir,
                                                          service: a.state == .quadlet ? nil : PodmanContainerQuadlet.serviceName(file))
        }

        let output = try await host.runPodman(PodmanCommand.sectionedScript(sections)).stdoutText
        let found = PodmanCommand.sections(output)
        if (found["podman"] ?? "").hasPrefix("@@no-podman@@") {
            throw KeelError("\(host.name): podman_container: \(a.executable) is not installed on the host", expected: "podman on the host (apt install podman)", found: "no \(a.executable) in PATH")
        }
        let image = found["image"].flatMap(PodmanCommand.firstInspected)
        var envFiles: [String: String] = [:]
        for (index, path) in (a.env_file ?? []).enumerated() {
            let content = found["envfile-\(index)"] ?? ""
            if content != "@@missing@@" { envFiles[path] = content }
        }
        var portsOfOthers: [String: String] = [:]
        for other in (found["ps"].flatMap { try? Value.parseJSON($0) }?.listValue ?? []) {
            let names = other[path: "Names"]?.stringList ?? []
            if names.contains(a.name) || names.contains("\(a.name)-keel-new") || names.contains("\(a.name)-keel-old") { continue }
            for port in other[path: "Ports"]?.listValue ?? [] {
                guard let hostPort = port[path: "host_port"]?.integer, hostPort > 0 else { continue }
                let range = max(1, port[path: "range"]?.integer ?? 1)
                let proto = port[path: "protocol"]?.stringValue ?? "tcp"
                for offset in 0..<range { portsOfOthers["\(hostPort + offset)/\(proto)"] = names.first ?? "?" }
            }
        }
        let identity = (found["identity"] ?? "").split(separator: "\n").map(String.init)
        let pod = (found["pod"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return State(container: found["container"].flatMap(PodmanCommand.firstInspected).map {
                         PodmanContainerObserved(inspect: $0, image: found["container-image"].flatMap(PodmanCommand.firstInspected))
                     },
                     imageID: image?[path: "Id"]?.stringValue, envFiles: envFiles,
                     podID: pod.isEmpty || pod.contains(" ") ? nil : pod, portsOfOthers: portsOfOthers,
                     unit: found["unit-file"] != nil ? PodmanUnitObserved(sections: found) : nil,
                     quadletSupported: found["version"].map { PodmanQuadlet.version($0).map { PodmanQuadlet.supported(major: $0.major, minor: $0.minor) } ?? false },
                     quadlet: PodmanQuadletObserved(sections: found),
                     uid: identity.first.flatMap { Int($0) }, home: identity.count > 1 ? identity[1] : "")
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var planner = PodmanContainerPlanner(arguments: a, observed: observed, host: host.name)
        return try planner.plan()
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps { try await step.perform(on: host) }
        guard let name = plan.steps.first?.container, let executable = plan.steps.first?.executable else { return .changed() }
        let inspected = try await host.runPodman(PodmanCommand.line(["container", "inspect", name], executable: executable)).stdoutText
        return .changed(["container": PodmanCommand.firstInspected(inspected) ?? .dict([:])])
    }
}
