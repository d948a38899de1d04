import Foundation
import KeelBase
import OrderedCollections

/// podman_container's plans that go through quadlet files: `state: quadlet` (write the file, nothing else,
/// as containers.podman does) and `systemd:` on podman 4.4 and later, where the file is the service: the
/// generator makes NAME.service from NAME.container at `daemon-reload`, and the service creates the
/// container on every start (`podman run --replace`). Pure, like the rest of the planner.
extension PodmanContainerPlanner {
    private var quadletFileName: String { PodmanQuadlet.fileName(arguments.quadlet_filename, name: name, kind: "container") }
    private var quadletPath: String {
        (arguments.quadlet_dir ?? PodmanQuadlet.defaultDirectory(uid: observed.uid, home: observed.home)) + "/" + quadletFileName
    }
    private var quadletService: String { PodmanContainerQuadlet.serviceName(quadletFileName) }

    /// `state: quadlet`: the file NAME.container with the task's settings; the container is not touched.
    mutating func planQuadletFile(values: OrderedDictionary<String, Value>) throws -> Plan<Module.Step> {
        var values = values
        let file = try PodmanContainerQuadlet.file(arguments)
        let path = quadletPath
        values["quadlet_file"] = .string(path)
        let existing = observed.quadlet?.content
        let wantedMode = try arguments.quadlet_file_mode.map(Self.octalMode)
        let sameContent = observed.quadlet?.matches(file) ?? false
        let modeDiffers = existing != nil && wantedMode != nil && wantedMode != observed.quadlet?.mode
        if !sameContent || modeDiffers {
            // A new file gets 0640 (containers.podman's default); an existing one keeps its mode unless one is given.
            add(.writeFile(path: path, content: file.content, mode: wantedMode ?? (existing == nil ? "640" : nil)))
        }
        if !sameContent { diffs.append(Diff(label: path, before: existing ?? "", after: file.content)) }
        if modeDiffers { diffs.append(Diff(label: "\(path) mode", before: (observed.quadlet?.mode ?? "") + "\n", after: (wantedMode ?? "") + "\n")) }
        guard !steps.isEmpty else { return .unchanged(values: values) }
        values["actions"] = .list(steps.map { .string($0.description) })
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    /// `systemd:` where the host's podman has quadlet: the file is converged, systemd reloaded so the
    /// generator remakes the service, and the service (re)started when the file changed, the running
    /// container differs from a setting the task gives (an edited env file, a moved image tag), or the
    /// task asks (recreate, force_restart). A unit Keel rendered itself before (podman was older) goes.
    mutating func planQuadletService(_ unit: PodmanSystemdUnit, values: OrderedDictionary<String, Value>) throws -> Plan<Module.Step> {
        let a = arguments
        var values = values
        guard let image = a.image else {
            throw KeelError("\(host): podman_container: a quadlet service needs the image (the service creates the container on every start)",
                            expected: "image: NAME[:TAG]", found: "no image")
        }
        let desired = try PodmanContainerDesired(a, envFiles: observed.envFiles)
        if let pod = a.pod, observed.podID == nil {
            throw KeelError("\(host): podman_container: the pod \(pod) does not exist", expected: "an existing pod (podman_pod)", found: "no pod \(pod)")
        }
        let container = observed.container
        let changes = container.map { compare(desired, with: $0) } ?? FieldChanges()
        let active = observed.quadlet?.active ?? false
        let file = try PodmanContainerQuadlet.service(a, unit: unit)
        let fileChanged = !(observed.quadlet?.matches(file) ?? false)
        let service = quadletService
        values["quadlet_file"] = .string(quadletPath)
        values["service"] = .string(service)
        if container == nil || !changes.isEmpty || a.state != .stopped { try checkPortsAreFree(desired) }
        if observed.imageID == nil && a.state != .stopped { add(.pull(image: image)) }

        var reload = false
        if let legacy = observed.unit, legacy.content != nil, legacy.writtenByKeel {
            if legacy.active { add(.stop, unit: unit.name) }
            if legacy.enabled { add(.disableUnit, unit: unit.name) }
            add(.removeUnit(path: unit.path))
            diffs.append(Diff(label: unit.path, before: legacy.content ?? "", after: ""))
            reload = true
        }
        if fileChanged {
            add(.writeFile(path: quadletPath, content: file.content, mode: nil))
            diffs.append(Diff(label: quadletPath, before: observed.quadlet?.content ?? "", after: file.content))
            reload = true
        }
        if reload { add(.daemonReload) }

        let recreate = container != nil && a.state != .stopped && (!changes.isEmpty || a.recreate)
        let restart = active && (fileChanged || recreate || a.force_restart)
        var started = false
        switch a.state {
        case .started:
            if restart { add(.restart, unit: service); started = true }
            else if !active || container?.running != true { add(.start, unit: service); started = true }
        case .present, .created:
            if restart { add(.restart, unit: service); started = true }
        case .stopped:
            if active { add(.stop, unit: service) }
        case .absent, .quadlet:
            break
        }
        for index in steps.indices where steps[index].unit == service { steps[index].quadletFile = quadletPath }
        if started {
            add(.waitUntilReady(PodmanHealthGate(container: name, healthcheck: a.wait_healthy, port: a.wait_port, timeout: a.wait_timeout,
                                                 executable: a.executable, unit: service, userScope: userScope)))
        }
        if recreate && started {
            var shown = changes
            if changes.isEmpty { shown.compare("recreate", desired: "requested", observed: "", requiresReplace: true) }
            diffs.insert(shown.diff(label: "container \(name)"), at: 0)
            values["recreated_because"] = .list(shown.changes.map { .string($0.field) })
        } else if steps.contains(where: { [.start, .stop, .restart].contains($0.action) && $0.unit == service }) {
            let after = a.state == .stopped ? "stopped" : steps.contains { $0.action == .restart } ? "running (restarted by \(service))" : "running (started by \(service))"
            diffs.insert(Diff(label: "container \(name)", before: "state: \(container?.status ?? "absent")\n", after: "state: \(after)\n"), at: 0)
        }
        guard !steps.isEmpty else { return .unchanged(values: values) }
        values["actions"] = .list(steps.map { .string($0.description) })
        return Plan(steps: steps, diffs: diffs, values: values, fieldChanges: recreate ? changes : nil)
    }

    /// `state: absent`: a quadlet service file Keel wrote for `systemd:` goes with its service (a file of
    /// `state: quadlet` stays, as with containers.podman).
    mutating func planQuadletRemoval() {
        guard let quadlet = observed.quadlet, let content = quadlet.content,
              content.hasPrefix("\(PodmanSystemdUnit.header) for the container") else { return }
        if quadlet.active { add(.stop, unit: quadletService) }
        add(.removeUnit(path: quadletPath))
        if !steps.contains(where: { $0.action == .daemonReload }) { add(.daemonReload) }
        diffs.append(Diff(label: quadletPath, before: content, after: ""))
    }

    /// `0640`, `640` or `0o640` -> `640` (what `stat -c %a` shows); symbolic modes are refused.
    static func octalMode(_ text: String) throws -> String {
        var digits = Substring(text)
        if digits.hasPrefix("0o") { digits = digits.dropFirst(2) }
        while digits.count > 1, digits.hasPrefix("0") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ ("0"..."7").contains($0) }) else {
            throw KeelError("podman_container: quadlet_file_mode '\(text)' is not an octal mode", expected: "an octal mode such as 0640", found: text)
        }
        return String(digits)
    }
}
