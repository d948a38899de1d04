import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_tag` (containers.podman.podman_tag): more names for an image. Each target name that does not
/// already point at the image's ID is tagged; names already right are left alone, so a second run is ok
/// (containers.podman tags, and reports changed, on every run).
public struct PodmanImageTagModule: Module {
    public static let name = "podman_tag"
    public static let aliases = ["containers.podman.podman_tag"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Give a podman image more names (tags)",
        description: """
            The image and every target name are looked up in one round trip (`podman image inspect`); `podman tag IMAGE \
            NAME...` runs for the names that are missing or name another image. A missing source image fails the task.
            """,
        examples: """
            - name: Mark the release as current
              containers.podman.podman_tag:
                image: localhost/gateway:2026.12.06
                target_names:
                  - localhost/gateway:current
                  - registry.lab:5000/apps/gateway:2026.12.06
            """,
        deviations: ["Idempotent: names that already point at the image are not tagged again (containers.podman reports changed every run)."])

    public struct Arguments: ModuleArguments {
        @Option("image", .string, required: true, format: .word, help: "The image to tag (name, name:tag or ID).") var image: String
        @Option("target_names", .list(.string), required: true, help: "The names to give it.") var target_names: [String]
        @Option("executable", .string, default: "podman", format: .word, help: "The podman program.") var executable: String
        public init() {}
    }

    public struct State: Equatable, Sendable {
        var imageID: String?
        /// Each target's current image ID ("" when the name is free).
        var targets: [String: String]
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var image: String
        var names: [String]
        var executable: String

        public var description: String { (["podman", "tag", image] + names).joined(separator: " ") }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        var sections = [("image", Self.idScript(a.image, a.executable))]
        for (index, name) in a.target_names.enumerated() { sections.append(("target\(index)", Self.idScript(name, a.executable))) }
        let output = try await PodmanSections.run(sections, on: host, failure: "cannot inspect image \(a.image)")
        func id(_ key: String) -> String { (output[key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        var targets: [String: String] = [:]
        for (index, name) in a.target_names.enumerated() { targets[name] = id("target\(index)") }
        return State(imageID: id("image").isEmpty ? nil : id("image"), targets: targets)
    }

    static func idScript(_ name: String, _ executable: String) -> String {
        "if \(PodmanImageShell.command(["image", "exists", name], executable: executable)); then "
            + "\(PodmanImageShell.command(["image", "inspect", "--format", "{{.Id}}", name], executable: executable)); fi"
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        guard let id = observed.imageID else { throw KeelError("image \(a.image) is not on the host: nothing to tag") }
        let values: OrderedDictionary<String, Value> = ["image": .string(a.image), "target_names": .list(a.target_names.map(Value.string))]
        var changes = FieldChanges()
        var names: [String] = []
        for name in a.target_names where observed.targets[name] != id && !names.contains(name) {
            names.append(name)
            changes.compare(name, desired: id, observed: observed.targets[name].flatMap { $0.isEmpty ? nil : $0 })
        }
        guard !names.isEmpty else { return .unchanged(values: values) }
        return Plan(steps: [Step(image: a.image, names: names, executable: a.executable)], diffs: [changes.diff(label: "tags of \(a.image)")],
                    values: values, fieldChanges: changes)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            try await PodmanImageShell.run(["tag", step.image] + step.names, on: host, failure: "cannot tag \(step.image)", executable: step.executable)
        }
        return .changed()
    }
}
