import Foundation
import KeelBase
import OrderedCollections

/// podman_container's plan, from the arguments and one observation: which settings differ (and so force
/// a recreate), what happens to the container for the wanted state, and what the systemd unit needs.
/// Pure: check mode shows exactly these steps and diffs.
struct PodmanContainerPlanner {
    typealias Module = PodmanContainerModule
    let arguments: Module.Arguments
    let observed: Module.State
    let host: String
    var steps: [Module.Step] = []
    var diffs: [Diff] = []

    init(arguments: Module.Arguments, observed: Module.State, host: String) {
        self.arguments = arguments
        self.observed = observed
        self.host = host
    }

    var name: String { arguments.name }

    /// Whether the unit is the user's (a rootless container), which every systemctl call must know.
    var userScope = false

    mutating func add(_ action: Module.Action, unit: String? = nil) {
        steps.append(Module.Step(action: action, container: name, executable: arguments.executable, unit: unit, userScope: userScope))
    }

    mutating func plan() throws -> Plan<Module.Step> {
        let a = arguments
        var values: OrderedDictionary<String, Value> = ["name": .string(name), "state": .string(a.state.rawValue)]
        if let container = observed.container { values["container"] = container.inspect }
        var unit = try PodmanSystemdUnit(option: a.systemd, container: name, executable: a.executable)
        unit?.scope(uid: observed.uid, home: observed.home)
        userScope = unit?.userScope ?? false
        if a.state == .absent { return planAbsent(values: values) }
        if a.state == .quadlet { return try planQuadletFile(values: values) }
        if let unit, observed.quadletSupported == true { return try planQuadletService(unit, values: values) }

        let container = observed.container
        let desired = try PodmanContainerDesired(a, envFiles: observed.envFiles)
        if let pod = a.pod, observed.podID == nil {
            throw KeelError("\(host): podman_container: the pod \(pod) does not exist", expected: "an existing pod (podman_pod)", found: "no pod \(pod)")
        }
        if container == nil && a.image == nil {
            throw KeelError("\(host): podman_container: the container \(name) does not exist and the task gives no image to create it from",
                            expected: "image: NAME[:TAG]", found: "no image")
        }
        let changes = container.map { compare(desired, with: $0) } ?? FieldChanges()
        let recreate = container != nil && a.state != .stopped && (changes.requiresReplace || a.recreate)
        if container == nil || recreate || a.state != .stopped {
            try checkPortsAreFree(desired)
        }
        let unitName = unit?.name
        let needsPull = a.image != nil && observed.imageID == nil && (container == nil || recreate)
        if needsPull { add(.pull(image: a.image!)) }

        // The service first, so a (re)started container runs under the unit as it is now.
        var unitChanged = false
        if let unit {
            if observed.unit?.content != unit.content {
                add(.writeUnit(unit))
                add(.daemonReload)
                unitChanged = true
                diffs.append(Diff(label: unit.path, before: observed.unit?.content ?? "", after: unit.content))
            }
            if unit.enabled != (observed.unit?.enabled ?? false) { add(unit.enabled ? .enableUnit : .disableUnit, unit: unit.name) }
        }

        let running = container?.running ?? false
        var started = false
        switch a.state {
        case .started:
            if container == nil {
                add(.create(arguments: desired.createArguments))
                add(.start, unit: unitName)
                started = true
            } else if recreate {
                add(.replace(arguments: desired.createArguments, start: true), unit: unitName)
                started = true
            } else if a.force_restart || (unitChanged && observed.unit?.active == true) {
                add(running ? .restart : .start, unit: unitName)
                started = true
            } else if !running || (unit != nil && observed.unit?.active != true) {
                add(.start, unit: unitName)
                started = true
            }
        case .present, .created:
            if container == nil {
                add(.create(arguments: desired.createArguments))
            } else if recreate {
                add(.replace(arguments: desired.createArguments, start: running), unit: unitName)
                started = running
            } else if a.force_restart {
                add(running ? .restart : .start, unit: unitName)
                started = true
            }
        case .stopped:
            if container == nil {
                add(.create(arguments: desired.createArguments))
            } else if running || observed.unit?.active == true {
                add(.stop, unit: observed.unit?.active == true ? unitName : nil)
            }
        case .absent, .quadlet:
            break
        }
        if started && (a.wait_healthy || a.wait_port != nil || unitName != nil) {
            add(.waitUntilReady(PodmanHealthGate(container: name, healthcheck: a.wait_healthy, port: a.wait_port, timeout: a.wait_timeout,
                                                 executable: a.executable, unit: unitName, userScope: userScope)))
        }
        if !started && a.wait_healthy && container?.health == "unhealthy" {
            throw KeelError("\(host): podman_container: \(name) is unhealthy", expected: "its healthcheck passing", found: "podman reports it unhealthy")
        }

        if container == nil {
            let shown = [("image", a.image ?? "")] + desired.fields.map { ($0.name, $0.text) }
            diffs.insert(Diff(label: "container \(name)", before: "",
                              after: "state: \(a.state == .started ? "running" : "created")\n" + shown.map { "\($0.0): \($0.1)\n" }.joined()), at: 0)
        } else if recreate {
            var shownChanges = changes
            if changes.isEmpty {
                shownChanges.compare("recreate", desired: "requested", observed: "", requiresReplace: true)
            }
            diffs.insert(shownChanges.diff(label: "container \(name)"), at: 0)
            values["recreated_because"] = .list(shownChanges.changes.map { .string($0.field) })
        } else if let container, !steps.isEmpty, steps.contains(where: { [.start, .stop, .restart].contains($0.action) }) {
            let after = a.state == .stopped ? "exited" : "running"
            let restarted = steps.contains { $0.action == .restart }
            let why = !restarted ? "" : a.force_restart ? " (restarted)" : " (restarted: its unit changed)"
            diffs.insert(Diff(label: "container \(name)", before: "state: \(container.status)\n", after: "state: \(after)\(why)\n"), at: 0)
        }
        guard !steps.isEmpty else { return .unchanged(values: values) }
        values["actions"] = .list(steps.map { .string($0.description) })
        return Plan(steps: steps, diffs: diffs, values: values, fieldChanges: recreate ? changes : nil)
    }

    /// The settings the task gave that podman shows otherwise; each forces a recreate (podman changes
    /// none of them in place).
    func compare(_ desired: PodmanContainerDesired, with container: PodmanContainerObserved) -> FieldChanges {
        var changes = FieldChanges()
        if let image = arguments.image {
            let short = { (id: String) in String(id.prefix(12)) }
            let before = "\(container.imageName) (\(short(container.imageID)))"
            if let wanted = observed.imageID {
                if wanted != container.imageID {
                    changes.compare("image", desired: "\(image) (\(short(wanted)))", observed: before, requiresReplace: true)
                }
            } else {
                changes.compare("image", desired: "\(image) (not on the host: pulled)", observed: before, requiresReplace: true)
            }
        }
        for field in desired.fields {
            if field.name == "pod" {
                if observed.podID != container.text("pod", desired: desired) {
                    changes.compare("pod", desired: field.text, observed: container.text("pod", desired: desired), requiresReplace: true)
                }
                continue
            }
            changes.compare(field.name, desired: field.text, observed: container.text(field.name, desired: desired), requiresReplace: true)
        }
        return changes
    }

    /// A host port another running container publishes would make the start fail after the old
    /// container was stopped: refuse before touching anything.
    func checkPortsAreFree(_ desired: PodmanContainerDesired) throws {
        for port in desired.hostPorts {
            if let other = observed.portsOfOthers[port] {
                throw KeelError("\(host): podman_container: host port \(port) is already published by the container \(other)",
                                expected: "a host port no other container publishes", found: "\(port) published by \(other)")
            }
        }
    }

    mutating func planAbsent(values: OrderedDictionary<String, Value>) -> Plan<Module.Step> {
        var values = values
        var unit = (try? PodmanSystemdUnit(option: arguments.systemd, container: name, executable: arguments.executable)) ?? PodmanSystemdUnit(container: name)
        unit.scope(uid: observed.uid, home: observed.home)
        userScope = unit.userScope
        if let observedUnit = observed.unit, observedUnit.content != nil, observedUnit.writtenByKeel {
            if observedUnit.active { add(.stop, unit: unit.name) }
            if observedUnit.enabled { add(.disableUnit, unit: unit.name) }
            add(.removeUnit(path: unit.path))
            add(.daemonReload)
            diffs.append(Diff(label: unit.path, before: observedUnit.content ?? "", after: ""))
        }
        planQuadletRemoval()
        if let container = observed.container {
            add(.remove)
            diffs.insert(Diff(label: "container \(name)", before: "state: \(container.status)\n", after: "state: absent\n"), at: 0)
        }
        guard !steps.isEmpty else { return .unchanged(values: values) }
        values["actions"] = .list(steps.map { .string($0.description) })
        return Plan(steps: steps, diffs: diffs, values: values)
    }
}
